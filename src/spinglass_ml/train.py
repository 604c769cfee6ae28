"""Training the CNN for a fixed number of optimizer steps, and saving what a training run produced.

Device placement is TensorFlow's default: the first GPU if TensorFlow sees one, the CPU otherwise. With
``deterministic=True`` (the default) op determinism is enabled, so on the CPU the same seed and data give the
same weights bit for bit. Enabling op determinism is global to the process and cannot be undone.

Adversarial training (conditions ``adv-<epsilon>``): :class:`AdversarialTrainer` wraps the network and
replaces every training batch by its PGD adversarial examples under the current weights (Madry et al.,
2018); the saved model is the plain network. The workflow starts it from the clean model's weights
(``initial_weights``), i.e. it fine-tunes the clean network on the min-max objective.

Files of a run, next to ``L{L}.keras``: ``L{L}.history.csv`` (columns :data:`HISTORY_COLUMNS`),
``L{L}.provenance.json`` and ``L{L}.flips.npz`` (see :meth:`spinglass_ml.dataset.TrainingData.arrays`).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import h5py
import keras
import numpy as np
import tensorflow as tf

from .attacks import LossOn, gradient_function, iterate
from .dataset import TrainingData
from .mcio import package_version
from .model import build_model

HISTORY_COLUMNS = ("step", "loss", "accuracy", "val_loss", "val_accuracy")
STREAM_ADVERSARIAL_TRAINING = 11  # spawn-key stream of the random starts of adversarial training


class AdversarialTrainer(keras.Model):
    """Trains ``net`` on PGD adversarial examples of each batch (min-max training, Madry et al. 2018).

    Calling the trainer calls ``net`` (so validation is on clean examples); its train step first moves the
    batch (x float32 (b, L, L, L, 1), y (b,)) to :func:`spinglass_ml.attacks.iterate` of the current
    weights, then takes the usual optimizer step on the adversarial batch. The random start of step k is
    drawn from TensorFlow's stateless generator seeded by (``seed``, k): the same seed gives the same run.

    Parameters
    ----------
    net : the classifier (see :mod:`spinglass_ml.attacks`); its weights are the ones trained
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


def train_model(
    train_ds: tf.data.Dataset,
    val_ds: tf.data.Dataset,
    *,
    iterations: int = 10_000,
    lr: float = 1e-4,
    log_every: int = 100,
    seed: int,
    model_options: Mapping | None = None,
    deterministic: bool = True,
    progress: Callable[[str], None] | None = None,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    adversary: Mapping | None = None,
    initial_weights: Sequence[np.ndarray] | None = None,
) -> tuple[keras.Model, list[dict[str, float]]]:
    """Build the Table III network and train it with Adam on sparse categorical cross-entropy.

    Parameters
    ----------
    train_ds : infinite dataset of (x float32 (b, L, L, L, 1), y int32 (b,)) batches; its batch size is the
        training batch size (Table III: 1000)
    val_ds : finite dataset of the same structure, evaluated in full every ``log_every`` steps
    iterations : optimizer steps (Table III: 1e4); a multiple of ``log_every``
    lr : Adam learning rate (Table III: 1e-4)
    log_every : steps between history rows
    seed : seeds the weight initialisation (``keras.utils.set_random_seed``)
    model_options : keyword arguments of :func:`spinglass_ml.model.build_model` other than L
    deterministic : enable TensorFlow op determinism (process-wide)
    progress : called with a one-line report for every history row
    callbacks : further Keras callbacks; their ``on_epoch_end`` runs after every history row (one "epoch"
        of ``fit`` is ``log_every`` steps), after the row is logged
    adversary : None for standard training; else keyword arguments of :class:`AdversarialTrainer` other than
        ``net`` (epsilon, step_size, steps, random_start, seed, loss_on): train on PGD examples. The history's
        ``loss`` and ``accuracy`` are then those of the adversarial training batches.
    initial_weights : start from these weights (``keras.Model.get_weights`` of a network of the same
        architecture, e.g. the clean model) instead of the seeded initialisation

    Returns
    -------
    (model, history): the trained model and one dict per logged step with keys :data:`HISTORY_COLUMNS`:
    ``loss`` and ``accuracy`` are means over the last ``log_every`` training batches (labels as trained
    on, i.e. flipped ones included), ``val_loss`` and ``val_accuracy`` are over ``val_ds`` after the step.
    """
    if iterations < 1 or log_every < 1 or iterations % log_every:
        raise ValueError(f"need iterations a positive multiple of log_every, got {iterations}, {log_every}")
    if deterministic:
        tf.config.experimental.enable_op_determinism()
    keras.utils.set_random_seed(int(seed))
    model = build_model(train_ds.element_spec[0].shape[1], **(model_options or {}))
    if initial_weights is not None:
        model.set_weights(initial_weights)
    fitted = model if adversary is None else AdversarialTrainer(model, **adversary)
    fitted.compile(
        optimizer=keras.optimizers.Adam(learning_rate=lr),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
    )
    history: list[dict[str, float]] = []

    def log(epoch: int, logs: dict) -> None:
        row = {"step": (epoch + 1) * log_every, **{k: float(logs[k]) for k in HISTORY_COLUMNS[1:]}}
        history.append(row)
        if progress:
            progress(", ".join(f"{k} {v:.4g}" for k, v in row.items()) + f" (of {iterations} steps)")

    fitted.fit(
        train_ds,
        epochs=iterations // log_every,
        steps_per_epoch=log_every,  # the training stream is infinite; one "epoch" = one history row
        validation_data=val_ds,
        shuffle=False,
        verbose=0,
        callbacks=[keras.callbacks.LambdaCallback(on_epoch_end=log), *callbacks],
    )
    return model, history


def adversary_settings(epsilon: float, settings: Mapping, seed: int, L: int) -> dict:
    """Keyword arguments of :class:`AdversarialTrainer` for an ``adv-<epsilon>`` model of size L.

    Parameters
    ----------
    epsilon : the condition's L∞ radius (overlap units)
    settings : ``robustness.adversarial.training``: ``steps``, ``step_fraction`` (step size = step_fraction
        x epsilon), ``random_start``, ``loss_on``
    seed : the config seed; the random starts derive from ``SeedSequence(seed, spawn_key=(S, L))`` with
        S = :data:`STREAM_ADVERSARIAL_TRAINING`
    """
    sequence = np.random.SeedSequence(seed, spawn_key=(STREAM_ADVERSARIAL_TRAINING, L))
    state = sequence.generate_state(1, np.uint64)
    return {
        "epsilon": float(epsilon),
        "step_size": float(settings["step_fraction"]) * float(epsilon),
        "steps": int(settings["steps"]),
        "random_start": bool(settings["random_start"]),
        "loss_on": settings["loss_on"],
        "seed": int(state[0] >> np.uint64(1)),  # a non-negative int64
    }


def runtime_info() -> dict:
    """Where and with what a model was trained: ``device`` (the first GPU if TensorFlow sees one, else
    "CPU") and ``versions`` of the packages that determine the result."""
    gpus = tf.config.list_logical_devices("GPU")
    return {
        "device": f"{gpus[0].name} (TensorFlow default placement)" if gpus else "CPU",
        "versions": {
            "spinglass-ml": package_version(),
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "numpy": np.__version__,
            "h5py": h5py.__version__,
        },
    }


def training_provenance(data: TrainingData, seed: int, settings: Mapping) -> dict:
    """The provenance record of one training run.

    Parameters
    ----------
    data : the training data of the run
    seed : the master seed (split, flips, shuffling, initialisation)
    settings : the training settings used (iterations, lr, batch size, model options, ...), stored as given
    """
    cond = data.condition
    return {
        "condition": str(cond),
        "condition_value": cond.value,
        "L": data.train.L,
        "seed": seed,
        "disorder": data.train.disorder,
        "sweeps": data.train.sweeps,
        "threshold": data.train.threshold,
        "files": [str(p) for p in data.train.files],
        "n_train_instances": int(data.train.instances.size),
        "n_validation_instances": int(data.validation.instances.size),
        "n_train_examples": data.train.n_examples,
        "n_validation_examples": data.validation.n_examples,
        "flip_rate": cond.value if cond.kind == "flip" else 0.0,
        "n_flipped": int(data.train.flipped.size),
        "achieved_flip_fraction": data.achieved_flip_fraction,
        "settings": dict(settings),
        **runtime_info(),
    }


def save_training(
    model_path: str | Path,
    model: keras.Model,
    history: list[dict[str, float]],
    provenance: Mapping,
    arrays: Mapping[str, np.ndarray],
) -> dict[str, Path]:
    """Write a training run: the model and, next to it, history CSV, provenance JSON and flips ``.npz``.

    Parameters
    ----------
    model_path : ``.../L{L}.keras``
    model, history : as returned by :func:`train_model`
    provenance : e.g. :func:`training_provenance`; must be JSON-serialisable
    arrays : e.g. :meth:`spinglass_ml.dataset.TrainingData.arrays`

    Returns
    -------
    The written paths, keyed ``model``, ``history``, ``provenance``, ``flips``.
    """
    model_path = Path(model_path)
    if model_path.suffix != ".keras":
        raise ValueError(f"model_path: must end in .keras, got {model_path}")
    paths = {
        "model": model_path,
        "history": model_path.with_suffix(".history.csv"),
        "provenance": model_path.with_suffix(".provenance.json"),
        "flips": model_path.with_suffix(".flips.npz"),
    }
    model_path.parent.mkdir(parents=True, exist_ok=True)
    model.save(paths["model"])
    with open(paths["history"], "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=HISTORY_COLUMNS)
        writer.writeheader()
        writer.writerows({k: repr(v) for k, v in row.items()} for row in history)
    paths["provenance"].write_text(json.dumps(provenance, indent=2, sort_keys=True) + "\n")
    np.savez(paths["flips"], **arrays)
    return paths
