"""Adversarial attacks on the phase classifier, in plain TensorFlow (``tf.GradientTape``).

Inputs are overlap snapshots x, float32 (batch, L, L, L) with values in [-1, 1] (measured snapshots are ±1),
and integer class labels y (batch,) (1 = "high temperature"). Every attack is untargeted: it increases the
classification loss of the true label. The continuous attacks stay in the L∞ ball of radius ``epsilon``
around x and in the input range [-1, 1]:

* :func:`fgsm`: one step, ``x + epsilon * sign(grad)`` (Goodfellow et al. 2015);
* :func:`pgd`: ``steps`` signed-gradient steps of size ``step_size``, each projected back onto the ball and
  the range (the basic iterative method of Kurakin et al.; with ``random_start``, Madry et al.'s PGD, which
  starts from a uniform point of the ball);
* :func:`momentum_iterative`: PGD whose step follows the sign of an accumulated, L1-normalised gradient
  (MI-FGSM, Dong et al. 2018).

Because measured overlaps are ±1, :func:`flip_attack` perturbs within the data's own domain: it flips
single sites (q_i -> -q_i), greedily the one whose flip the gradient predicts lowers the true-class logit
margin most, until the decision changes. For a model whose logits are linear in x the prediction is exact,
and the greedy count is the minimal number of flips (tested by enumeration). :func:`sign_project` maps a
continuous adversarial example back to ±1.

Gradients are taken of the cross-entropy computed either from the network's logits (``loss_on="logits"``:
the stable log-softmax, whose gradient vanishes only where ``exp(-margin)`` underflows in float32, margins
above about 87) or from its softmax probabilities (``loss_on="probabilities"``:
``-log(max(p_y, PROB_FLOOR))``, whose gradient is exactly zero wherever ``p_y`` is below the floor: the
gradient masking an attacker meets on confidently misclassified examples).

The model is any Keras classifier whose last layer is a ``Dense`` layer with softmax activation, taking
(batch, L, L, L, 1) inputs (:func:`spinglass_ml.ml.model.build_model`); its logits are that layer's
pre-activation.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Literal

import keras
import numpy as np
import tensorflow as tf

LossOn = Literal["logits", "probabilities"]
PROB_FLOOR = 1e-7  # probabilities are floored before the log, as in keras' cross-entropy
LOSSES = ("logits", "probabilities")
_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model -> {key: traced function}


def logits_function(model: keras.Model) -> Callable[[tf.Tensor], tf.Tensor]:
    """The model's pre-softmax output as a function of the overlaps.

    Parameters
    ----------
    model : Keras classifier whose last layer is a ``Dense`` softmax layer and whose input is (b, L, L, L, 1)

    Returns
    -------
    Function x float32 (b, L, L, L) -> logits float32 (b, n_classes). It shares the model's weights, so it
    follows the model through training.
    """
    last = model.layers[-1]
    if not isinstance(last, keras.layers.Dense) or keras.activations.serialize(last.activation) != "softmax":
        raise ValueError(f"model {model.name}: the last layer must be a Dense softmax layer, got {last.name}")
    features = keras.Model(model.inputs, last.input)

    def logits(x: tf.Tensor) -> tf.Tensor:
        return tf.matmul(features(x[..., None]), last.kernel) + last.bias

    return logits


def example_losses(logits: tf.Tensor, y: tf.Tensor, loss_on: LossOn = "logits") -> tf.Tensor:
    """Cross-entropy of the true labels, one value per example.

    Parameters
    ----------
    logits : float32 (b, n_classes)
    y : int (b,) true labels
    loss_on : "logits" (stable log-softmax) or "probabilities" (``-log(max(softmax_y, PROB_FLOOR))``)

    Returns
    -------
    float32 (b,), in nats.
    """
    y = tf.cast(y, tf.int32)
    if loss_on == "logits":
        return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
    if loss_on == "probabilities":
        p_true = tf.gather(tf.nn.softmax(logits), y, batch_dims=1)
        return -tf.math.log(tf.maximum(p_true, PROB_FLOOR))
    raise ValueError(f"loss_on: expected one of {LOSSES}, got {loss_on!r}")


def gradient_function(
    model: keras.Model, loss_on: LossOn = "logits"
) -> Callable[[tf.Tensor, tf.Tensor], tf.Tensor]:
    """Gradient of each example's loss with respect to its own input, as a compiled function.

    Returns
    -------
    Function (x float32 (b, L, L, L), y int32 (b,)) -> float32 (b, L, L, L), d loss_b / d x_b.
    """
    return loss_gradient(logits_function(model), loss_on)


def loss_gradient(
    logits: Callable[[tf.Tensor], tf.Tensor], loss_on: LossOn = "logits"
) -> Callable[[tf.Tensor, tf.Tensor], tf.Tensor]:
    """Gradient of each example's loss with respect to its own variable, for any logits function.

    Parameters
    ----------
    logits : function of float32 (b, ...) -> logits (b, n_classes), e.g. :func:`logits_function`
    loss_on : "logits" or "probabilities" (see :func:`example_losses`)

    Returns
    -------
    Function (x float32 (b, ...), y int32 (b,)) -> float32 (b, ...), d loss_b / d x_b.
    """
    _check_loss(loss_on)

    def gradient(x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            tape.watch(x)
            total = tf.reduce_sum(example_losses(logits(x), y, loss_on))  # examples are independent
        return tape.gradient(total, x)

    return gradient


def compiled(model: keras.Model, key: str) -> Callable:
    """The traced (``tf.function``) gradient of ``loss_on = key``, or with key "margin" the function
    (x, y) -> (predicted class, d margin / d x) of :func:`flip_attack`; traced once per model and key (and
    without retracing for new batch sizes), so repeated attacks pay for tracing once."""
    cache = _COMPILED.setdefault(model, {})
    if key not in cache:
        fn = _margin_gradient(model) if key == "margin" else gradient_function(model, key)
        cache[key] = tf.function(fn, reduce_retracing=True)
    return cache[key]


def _margin_gradient(model: keras.Model) -> Callable[[tf.Tensor, tf.Tensor], tuple[tf.Tensor, tf.Tensor]]:
    """(x, y) -> (argmax of the logits, d (z_y - max_{c != y} z_c) / d x), per example."""
    logits = logits_function(model)
    n_classes = model.output_shape[-1]

    def margin_gradient(x: tf.Tensor, y: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        with tf.GradientTape() as tape:
            tape.watch(x)
            z = logits(x)
            true = tf.gather(z, y, batch_dims=1)
            other = tf.reduce_max(z - 1e30 * tf.one_hot(y, n_classes), axis=1)
            total = tf.reduce_sum(true - other)  # examples are independent
        return tf.argmax(z, axis=1, output_type=tf.int32), tape.gradient(total, x)

    return margin_gradient


def project(x: tf.Tensor, x0: tf.Tensor, epsilon: float) -> tf.Tensor:
    """Closest point of the L∞ ball of radius ``epsilon`` around ``x0`` intersected with [-1, 1]."""
    return tf.clip_by_value(tf.clip_by_value(x, x0 - epsilon, x0 + epsilon), -1.0, 1.0)


def iterate(
    gradient: Callable[[tf.Tensor, tf.Tensor], tf.Tensor],
    x0: tf.Tensor,
    y: tf.Tensor,
    x_start: tf.Tensor,
    epsilon: float,
    step_size: float,
    steps: int,
    decay: float | None = None,
) -> tf.Tensor:
    """The projected signed-gradient iteration shared by PGD, MI-FGSM and adversarial training.

    Parameters
    ----------
    gradient : from :func:`gradient_function`
    x0 : float32 (b, L, L, L) clean inputs, the centre of the ball
    y : int32 (b,) true labels
    x_start : float32 (b, L, L, L) starting point inside the ball (``x0``, or a random point of it)
    epsilon, step_size : ball radius and step, in units of the overlap (|q_i| <= 1)
    steps : number of steps (Python loop: unrolled when traced)
    decay : None for PGD; else the momentum decay factor mu of MI-FGSM, the step following the sign of
        ``g <- mu g + grad / mean|grad|`` (per-example L1 normalisation; the mean instead of the sum is the
        same direction)

    Returns
    -------
    float32 (b, L, L, L), inside the ball and [-1, 1].
    """
    x, g = x_start, tf.zeros_like(x0)
    for _ in range(steps):
        grad = gradient(x, y)
        if decay is not None:
            norm = tf.reduce_mean(tf.abs(grad), axis=(1, 2, 3), keepdims=True)
            g = decay * g + grad / tf.maximum(norm, 1e-30)
            grad = g
        x = project(x + step_size * tf.sign(grad), x0, epsilon)
    return x


def _inputs(x, y) -> tuple[tf.Tensor, tf.Tensor]:
    x = tf.convert_to_tensor(x, tf.float32)
    y = tf.convert_to_tensor(y, tf.int32)
    if x.shape.rank != 4 or x.shape[1] != x.shape[2] or x.shape[2] != x.shape[3]:
        raise ValueError(f"x: need overlaps of shape (batch, L, L, L), got {tuple(x.shape)}")
    if y.shape.rank != 1 or y.shape[0] != x.shape[0]:
        raise ValueError(f"y: need one label per example, shape ({x.shape[0]},), got {tuple(y.shape)}")
    return x, y


def _check_loss(loss_on: str) -> str:
    if loss_on not in LOSSES:
        raise ValueError(f"loss_on: expected one of {LOSSES}, got {loss_on!r}")
    return loss_on


def _check_ball(epsilon: float, step_size: float | None = None, steps: int | None = None) -> None:
    if not (np.isfinite(epsilon) and epsilon >= 0):
        raise ValueError(f"epsilon: need a finite radius >= 0, got {epsilon}")
    if step_size is not None and not (np.isfinite(step_size) and step_size > 0):
        raise ValueError(f"step_size: need a finite step > 0, got {step_size}")
    if steps is not None and (int(steps) != steps or steps < 1):
        raise ValueError(f"steps: need a positive integer, got {steps}")


def fgsm(model: keras.Model, x, y, epsilon: float, loss_on: LossOn = "logits") -> np.ndarray:
    """Fast gradient sign method: ``clip(x + epsilon * sign(d loss / d x), -1, 1)``.

    Parameters
    ----------
    model : classifier (see the module docstring)
    x : float (batch, L, L, L) overlaps in [-1, 1]
    y : int (batch,) true labels
    epsilon : L∞ radius, in units of the overlap
    loss_on : "logits" or "probabilities" (see the module docstring)

    Returns
    -------
    float32 (batch, L, L, L) adversarial examples.
    """
    _check_ball(epsilon)
    x, y = _inputs(x, y)
    grad = compiled(model, _check_loss(loss_on))(x, y)
    return project(x + epsilon * tf.sign(grad), x, epsilon).numpy()


def random_start_point(x: np.ndarray, epsilon: float, seed) -> np.ndarray:
    """A uniform point of the L∞ ball around x, clipped to [-1, 1]: float32 like x.

    ``seed`` is anything ``numpy.random.default_rng`` accepts (a ``SeedSequence`` derived from the config
    seed and the item's identity, in the workflow)."""
    noise = np.random.default_rng(seed).uniform(-epsilon, epsilon, size=np.shape(x))
    return np.clip(np.asarray(x, np.float32) + noise.astype(np.float32), -1.0, 1.0)


def _iterative(model, x, y, epsilon, step_size, steps, random_start, seed, loss_on, decay) -> np.ndarray:
    _check_ball(epsilon, step_size, steps)
    x, y = _inputs(x, y)
    if random_start and seed is None:
        raise ValueError("random_start: needs a seed (every random stream derives from the config seed)")
    start = tf.constant(random_start_point(x.numpy(), epsilon, seed)) if random_start else x
    gradient = compiled(model, _check_loss(loss_on))
    return iterate(gradient, x, y, start, epsilon, step_size, int(steps), decay).numpy()


def pgd(
    model: keras.Model,
    x,
    y,
    epsilon: float,
    step_size: float,
    steps: int,
    random_start: bool = False,
    seed=None,
    loss_on: LossOn = "logits",
) -> np.ndarray:
    """Projected gradient descent on the loss (BIM without, Madry's PGD with a random start).

    Each step moves every site by ``step_size * sign(d loss / d x)`` and projects onto the L∞ ball of
    radius ``epsilon`` around x and onto [-1, 1].

    Parameters
    ----------
    model, x, y, epsilon, loss_on : as in :func:`fgsm`
    step_size : size of one step, in units of the overlap
    steps : number of steps
    random_start : start from :func:`random_start_point` instead of x
    seed : seed of the random start (required with ``random_start``)

    Returns
    -------
    float32 (batch, L, L, L) adversarial examples.
    """
    return _iterative(model, x, y, epsilon, step_size, steps, random_start, seed, loss_on, None)


def momentum_iterative(
    model: keras.Model,
    x,
    y,
    epsilon: float,
    step_size: float,
    steps: int,
    decay: float = 1.0,
    loss_on: LossOn = "logits",
) -> np.ndarray:
    """Momentum iterative method (MI-FGSM): PGD stepping along the sign of the accumulated gradient
    ``g <- decay * g + grad / ||grad||_1`` (per example). Arguments as in :func:`pgd`; ``decay`` >= 0."""
    if not (np.isfinite(decay) and decay >= 0):
        raise ValueError(f"decay: need a finite momentum factor >= 0, got {decay}")
    return _iterative(model, x, y, epsilon, step_size, steps, False, None, loss_on, float(decay))


def sign_project(x_adv, x) -> np.ndarray:
    """Map adversarial examples back to ±1 overlaps: ``sign(x_adv)``, keeping x's value where x_adv is 0.

    Parameters
    ----------
    x_adv : float (batch, L, L, L)
    x : float (batch, L, L, L) the clean ±1 overlaps

    Returns
    -------
    float32 (batch, L, L, L) with values ±1. For epsilon < 1 no site changes sign, so this is x itself.
    """
    s = np.sign(np.asarray(x_adv, np.float32))
    return np.where(s == 0, np.asarray(x, np.float32), s).astype(np.float32)


def flip_attack(model: keras.Model, x, y, max_flips: int) -> tuple[np.ndarray, np.ndarray]:
    """Gradient-guided greedy site flips until the decision changes.

    Each round, every example that is still classified correctly (and has flipped fewer than ``max_flips``
    sites) flips the not-yet-flipped site whose flip lowers its logit margin ``z_y - max_{c != y} z_c`` most
    to first order (the flip changes x_i by -2 x_i).

    Parameters
    ----------
    model : classifier (see the module docstring)
    x : float (batch, L, L, L) ±1 overlaps
    y : int (batch,) true labels
    max_flips : flip budget per example

    Returns
    -------
    (x_adv, flips): x_adv float32 (batch, L, L, L) ±1, the last state of every example; flips float64
    (batch,), the number of flipped sites at which the prediction first differed from y: 0 for examples
    misclassified already, ``inf`` for those still classified correctly after ``max_flips`` flips.
    """
    if int(max_flips) != max_flips or max_flips < 0:
        raise ValueError(f"max_flips: need a non-negative integer, got {max_flips}")
    x, y = _inputs(x, y)
    if not np.all(np.abs(x.numpy()) == 1):
        raise ValueError("x: the flip attack needs ±1 overlaps")
    margin_and_gradient = compiled(model, "margin")
    x_adv = x.numpy().copy()
    y_np = y.numpy()
    flips = np.full(x_adv.shape[0], np.inf)
    flipped = np.zeros(x_adv.shape, bool)
    active = np.arange(x_adv.shape[0])
    for k in range(int(max_flips) + 1):
        pred, grad = margin_and_gradient(tf.constant(x_adv[active]), tf.constant(y_np[active]))
        fooled = pred.numpy() != y_np[active]
        flips[active[fooled]] = k
        active = active[~fooled]
        if k == max_flips or active.size == 0:
            break
        change = grad.numpy()[~fooled] * (-2.0 * x_adv[active])  # first-order margin change per flip
        change[flipped[active]] = np.inf
        site = np.argmin(change.reshape(active.size, -1), axis=1)
        where = (active, *np.unravel_index(site, x_adv.shape[1:]))
        x_adv[where] *= -1.0
        flipped[where] = True
    return x_adv, flips
