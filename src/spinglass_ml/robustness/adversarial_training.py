"""Adversarial training (Madry et al.'s min-max objective): the network trained on PGD examples of every
batch. :func:`spinglass_ml.ml.train.train_model` fits ``AdversarialTrainer(net, **settings)`` when given
``wrap=adversarial_wrapper(settings)``; the ``adv-<epsilon>`` condition fine-tunes the clean model this way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import keras
import numpy as np
import tensorflow as tf

from spinglass_ml.robustness.attacks import LossOn, gradient_function, iterate
from spinglass_ml.seeds import STREAM_ADVERSARIAL_TRAINING, model_key, stream_seed


class AdversarialTrainer(keras.Model):
    """Trains ``net`` on PGD adversarial examples of each batch (min-max training, Madry et al. 2018).

    Calling the trainer calls ``net`` (so validation is on clean examples); its train step first moves the
    batch (x float32 (b, L, L, L, 1), y (b,)) to :func:`spinglass_ml.robustness.attacks.iterate` of the
    current weights, then takes the usual optimizer step on the adversarial batch. The random start of step k
    is drawn from TensorFlow's stateless generator seeded by (``seed``, k): the same seed gives the same run.

    Parameters
    ----------
    net : the classifier (see :mod:`spinglass_ml.robustness.attacks`); its weights are the ones trained
    epsilon, step_size : L∞ radius and PGD step, in overlap units
    steps : PGD steps per batch
    random_start : start each PGD from a uniform point of the ball
    seed : 64-bit seed of the random starts
    loss_on : "logits" or "probabilities"
    """

    def __init__(
        self,
        net: keras.Model,
        epsilon: float,
        step_size: float,
        steps: int,
        random_start: bool,
        seed: int,
        loss_on: LossOn = "logits",
    ) -> None:
        super().__init__(name=f"adversarial_{net.name}")
        self.net = net
        self.epsilon, self.step_size, self.steps = float(epsilon), float(step_size), int(steps)
        self.random_start, self.seed = bool(random_start), int(seed)
        self._gradient = gradient_function(net, loss_on)

    def call(self, x, training: bool = False):
        return self.net(x, training=training)

    def adversarial_batch(self, x: tf.Tensor, y: tf.Tensor, step: tf.Tensor) -> tf.Tensor:
        """PGD examples of a batch x (b, L, L, L, 1) at optimizer step ``step``: same shape."""
        x0, y = x[..., 0], tf.cast(y, tf.int32)
        start = x0
        if self.random_start:
            seed = tf.stack([tf.constant(self.seed, tf.int64), tf.cast(step, tf.int64)])
            noise = tf.random.stateless_uniform(tf.shape(x0), seed, -self.epsilon, self.epsilon)
            start = tf.clip_by_value(x0 + noise, -1.0, 1.0)
        return iterate(self._gradient, x0, y, start, self.epsilon, self.step_size, self.steps)[..., None]

    def train_step(self, data):
        x, y = data
        return super().train_step((self.adversarial_batch(x, y, self.optimizer.iterations), y))


def adversary_settings(epsilon: float, settings: Mapping, seed: int, L: int, model: int = 0) -> dict:
    """Keyword arguments of :class:`AdversarialTrainer` for an ``adv-<epsilon>`` model of size L.

    Parameters
    ----------
    epsilon : the condition's L∞ radius (overlap units)
    settings : ``robustness.adversarial.training``: ``steps``, ``step_fraction`` (step size = step_fraction
        x epsilon), ``random_start``, ``loss_on``
    seed : the config seed; the random starts derive from
        ``stream_seed(seed, STREAM_ADVERSARIAL_TRAINING, L, *model_key(model))`` (:mod:`spinglass_ml.seeds`)
    model : index k of the model in its seed ensemble
    """
    sequence = stream_seed(seed, STREAM_ADVERSARIAL_TRAINING, L, *model_key(model))
    state = sequence.generate_state(1, np.uint64)
    return {
        "epsilon": float(epsilon),
        "step_size": float(settings["step_fraction"]) * float(epsilon),
        "steps": int(settings["steps"]),
        "random_start": bool(settings["random_start"]),
        "loss_on": settings["loss_on"],
        "seed": int(state[0] >> np.uint64(1)),  # a non-negative int64
    }


def adversarial_wrapper(settings: Mapping) -> Callable[[keras.Model], keras.Model]:
    """The ``wrap`` argument of :func:`spinglass_ml.ml.train.train_model` that trains on PGD examples with
    ``settings`` (keyword arguments of :class:`AdversarialTrainer` other than ``net``)."""
    return lambda net: AdversarialTrainer(net, **settings)


def fine_tuning(epsilon: float, settings: Mapping, seed: int, L: int, initial: str, model: int = 0) -> dict:
    """Keyword arguments of :func:`spinglass_ml.ml.train.train_condition` for model ``model`` of an
    ``adv-<epsilon>`` condition: the clean model at ``initial`` (the same model index of clean) trained on for
    ``settings["iterations"]`` steps on PGD examples."""
    from spinglass_ml.ml.model import load_model

    adversary = adversary_settings(epsilon, settings, seed, L, model)
    iterations = int(settings["iterations"])
    return {
        "wrap": adversarial_wrapper(adversary),
        "initial_weights": load_model(initial).get_weights(),
        "iterations": iterations,
        "provenance_extra": {"adversarial": {**adversary, "iterations": iterations, "initial": str(initial)}},
    }
