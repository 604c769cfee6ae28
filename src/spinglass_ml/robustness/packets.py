"""The "neural packet" of Zhang et al. and its position and momentum spreads, by Monte Carlo integration.

For a classifier with loss ``l(f(X), Y)`` the packet of class Y is ``psi_Y(X) = l(f(X), Y) / sqrt(beta)``,
``beta = int_D l^2 dX``, so that ``int_D psi_Y^2 dX = 1`` over the integration domain D. Its moments along
coordinate i (Zhang et al., Eqs. 11-13: the momentum spread as the papers define it):

* ``<x_i> = int x_i psi^2``, ``Dx_i^2 = int (x_i - <x_i>)^2 psi^2``;
* ``<p_i> = int psi d_i psi``, ``Dp_i^2 = int (d_i psi)^2 - <p_i>^2``  (``d_i = d/dx_i``);
* the boundary term ``B_i = 1/2 + int (x_i - <x_i>) psi d_i psi``. By the divergence theorem
  ``B_i = 1/2 oint_{faces i} (x_i - <x_i>) psi^2``: the flux of ``(x_i - <x_i>) psi^2 / 2`` through the two
  faces of D normal to axis i.

The claimed bound ``Dx_i Dp_i >= 1/2`` is the Robertson relation for ``[p_i, x_i] = 1``, which needs ``p_i``
to be symmetric on the packet: the boundary terms must vanish. What holds on any box, by the Cauchy-Schwarz
inequality applied to ``int (x_i - <x_i>) psi (d_i psi - <p_i> psi) = B_i - 1/2``, is

    ``Dx_i Dp_i >= |1/2 - B_i|``,

which is the claimed bound when ``B_i = 0`` (a packet that vanishes on the faces, e.g. a Gaussian well inside
the box) and no bound at all when ``B_i = 1/2`` (a constant packet: ``Dp_i = 0``). For real psi, ``<p_i>``
is itself a face term, ``1/2 oint psi^2``; with ``p = -i d/dx`` it would be imaginary unless that vanishes, so
``<p_i>`` is reported, as in the paper's Eq. 13, without the factor ``-i``.

Estimation. D is an axis-aligned box ``[low, high]`` (coordinates with ``low == high`` are held fixed and
excluded: their moments are NaN). X is drawn uniformly in D; every moment is a ratio of sample means of
``l^2``, ``x l^2``, ``x^2 l^2``, ``l d l``, ``(d l)^2`` and ``x l d l`` (beta cancels), so one sample set
gives all of them. Error bars are jackknife errors over ``n_blocks`` equal blocks of independent samples.

Network packets. ``l`` is the cross-entropy of class Y computed from the logits (``attacks.example_losses``),
one packet per class. Two variables (issue item 3): the *input* X, the overlaps flattened to (L**3,), and the
*features* H, the input of the final Dense layer (the flattened ReLU output of the convolution, (m**3 C,)).
The feature box is the per-coordinate range of H over given data (:func:`feature_box`); its coordinates are
integrated in the affine variable ``u = 2 (h - low) / (high - low) - 1`` in [-1, 1], which leaves every
product ``Dx_i Dp_i`` and boundary term ``B_i`` unchanged (Dx scales by the factor, Dp by its inverse) and
puts the input and feature attacks in the same units. Feature coordinates constant over the data (a ReLU
that never fires there) are held fixed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields

import keras
import numpy as np
import tensorflow as tf

from spinglass_ml.robustness.attacks import example_losses

#: a packet function: X float64 (b, n) -> (l float64 (b, k), dl/dX float64 (b, k, n)) for k packets
PacketFunction = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]

BOUND = 0.5  # the claimed lower bound of Dx_i Dp_i (units: hbar = 1)


@dataclass(frozen=True)
class PacketMoments:
    """Moments of k packets over n coordinates, each with its jackknife error (field ``<name>_err``).

    Attributes
    ----------
    beta : (k,) ``int_D l^2 dX`` (units: loss^2 x volume of D)
    x_mean, dx : (k, n) ``<x_i>`` and ``Dx_i`` (units of x)
    p_mean, dp : (k, n) ``<p_i>`` and ``Dp_i`` (units of 1/x)
    product : (k, n) ``Dx_i Dp_i`` (dimensionless; claimed >= 1/2)
    boundary : (k, n) ``B_i`` (dimensionless; 0 when the packet vanishes on the faces normal to axis i)
    n_samples : points drawn uniformly in D
    volume : volume of D over its free coordinates (1 if there is none)
    """

    beta: np.ndarray
    beta_err: np.ndarray
    x_mean: np.ndarray
    x_mean_err: np.ndarray
    dx: np.ndarray
    dx_err: np.ndarray
    p_mean: np.ndarray
    p_mean_err: np.ndarray
    dp: np.ndarray
    dp_err: np.ndarray
    product: np.ndarray
    product_err: np.ndarray
    boundary: np.ndarray
    boundary_err: np.ndarray
    n_samples: int
    volume: float

    @property
    def lower_bound(self) -> np.ndarray:
        """(k, n) ``|1/2 - B_i|``, the bound on ``Dx_i Dp_i`` that holds on the box (see module docstring)."""
        return np.abs(BOUND - self.boundary)

    def arrays(self, prefix: str = "") -> dict[str, np.ndarray]:
        """Every array field, keyed ``prefix + name`` (e.g. for ``numpy.savez``)."""
        return {prefix + f.name: np.asarray(getattr(self, f.name)) for f in fields(self)}


_ESTIMATES = ("beta", "x_mean", "dx", "p_mean", "dp", "product", "boundary")


def _estimates(means: dict[str, np.ndarray], volume: float) -> dict[str, np.ndarray]:
    """The moments from sample means (each (..., k) or (..., k, n)); see the module docstring."""
    m0 = means["l2"][..., None]
    x_mean = means["xl2"] / m0
    p_mean = means["lg"] / m0
    dx = np.sqrt(np.maximum(means["x2l2"] / m0 - x_mean**2, 0.0))
    dp = np.sqrt(np.maximum(means["g2"] / m0 - p_mean**2, 0.0))
    boundary = BOUND + (means["xlg"] - x_mean * means["lg"]) / m0
    return {
        "beta": volume * means["l2"],
        "x_mean": x_mean,
        "dx": dx,
        "p_mean": p_mean,
        "dp": dp,
        "product": dx * dp,
        "boundary": boundary,
    }


def packet_moments(
    packet: PacketFunction,
    low: np.ndarray,
    high: np.ndarray,
    n_samples: int,
    seed_sequence: np.random.SeedSequence,
    *,
    batch_size: int = 1000,
    n_blocks: int = 20,
) -> PacketMoments:
    """Monte Carlo estimate of the moments of the packets ``psi = l / sqrt(beta)`` on the box [low, high].

    Parameters
    ----------
    packet : X float64 (b, n) -> (l (b, k), dl/dX (b, k, n)): the unnormalised packets and their gradients
    low, high : (n,) the box D, in units of x; ``low[i] == high[i]`` fixes coordinate i (moments NaN)
    n_samples : uniform points in D; a multiple of ``n_blocks``
    seed_sequence : seed of the sample points
    batch_size : points per call of ``packet``
    n_blocks : jackknife blocks (at least 2)

    Returns
    -------
    :class:`PacketMoments`; errors are one jackknife standard error.
    """
    low, high = np.asarray(low, np.float64), np.asarray(high, np.float64)
    if low.ndim != 1 or low.shape != high.shape or not np.all(high >= low) or not np.all(np.isfinite(low)):
        raise ValueError(f"low, high: need finite (n,) arrays, high >= low; got {low.shape}, {high.shape}")
    if n_blocks < 2 or n_samples < n_blocks or n_samples % n_blocks:
        raise ValueError(f"n_samples: need a positive multiple of n_blocks >= 2, got {n_samples}, {n_blocks}")
    if batch_size < 1:
        raise ValueError(f"batch_size: need >= 1, got {batch_size}")
    free = high > low  # with no free coordinate the box is a point: volume 1, beta = l^2 there, moments NaN
    width = high - low
    volume = float(np.prod(width[free]))
    rng = np.random.default_rng(seed_sequence)
    per_block = n_samples // n_blocks
    sums: dict[str, list[np.ndarray]] = {k: [] for k in ("l2", "xl2", "x2l2", "lg", "g2", "xlg")}
    for _ in range(n_blocks):
        acc: dict[str, np.ndarray | float] = {k: 0.0 for k in sums}
        done = 0
        while done < per_block:
            b = min(batch_size, per_block - done)
            x = low + width * rng.random((b, low.size))
            value, grad = packet(x)
            value, grad = np.asarray(value, np.float64), np.asarray(grad, np.float64)
            if value.ndim != 2 or grad.shape != (*value.shape, low.size) or value.shape[0] != b:
                raise ValueError(f"packet: need (b, k) values and (b, k, n) gradients, got {value.shape}, "
                                 f"{grad.shape} for b = {b}, n = {low.size}")  # fmt: skip
            lx = value[:, :, None] * x[:, None, :]
            lg = value[:, :, None] * grad
            acc["l2"] = acc["l2"] + (value**2).sum(0)
            acc["xl2"] = acc["xl2"] + (lx * value[:, :, None]).sum(0)
            acc["x2l2"] = acc["x2l2"] + (lx**2).sum(0)
            acc["lg"] = acc["lg"] + lg.sum(0)
            acc["g2"] = acc["g2"] + (grad**2).sum(0)
            acc["xlg"] = acc["xlg"] + (lg * x[:, None, :]).sum(0)
            done += b
        for k in sums:
            sums[k].append(np.asarray(acc[k]))
    blocks = {k: np.stack(v) for k, v in sums.items()}  # (n_blocks, k[, n])
    total = {k: v.sum(0) for k, v in blocks.items()}
    full = _estimates({k: v / n_samples for k, v in total.items()}, volume)
    leave_out = _estimates({k: (total[k] - v) / (n_samples - per_block) for k, v in blocks.items()}, volume)
    out: dict[str, np.ndarray] = {}
    for name in _ESTIMATES:
        jack = leave_out[name]
        err = np.sqrt((n_blocks - 1) / n_blocks * ((jack - jack.mean(0)) ** 2).sum(0))
        value, err = full[name], err
        if value.ndim == 2:  # per-coordinate: fixed coordinates have no moments
            value = np.where(free, value, np.nan)
            err = np.where(free, err, np.nan)
        out[name], out[name + "_err"] = value, err
    return PacketMoments(**out, n_samples=int(n_samples), volume=volume)


def feature_extractor(model: keras.Model) -> keras.Model:
    """The input of the model's final Dense layer as a function of the overlaps.

    Returns
    -------
    Keras model: overlaps float32 (b, L, L, L, 1) -> features float32 (b, M) (the flattened convolution
    output for :func:`spinglass_ml.ml.model.build_model`, M = m**3 channels).
    """
    return keras.Model(model.inputs, model.layers[-1].input)


def features(model: keras.Model, x: np.ndarray) -> np.ndarray:
    """Features of the overlaps x (b, L, L, L), in one call (no ``predict`` loop to trace): float32 (b, M)."""
    return np.asarray(feature_extractor(model)(tf.constant(x, tf.float32)[..., None]))


def feature_box(model: keras.Model, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-coordinate minimum and maximum of the features of the overlaps x (b, L, L, L): two float64 (M,)."""
    h = features(model, x)
    return h.min(axis=0).astype(np.float64), h.max(axis=0).astype(np.float64)


def feature_logits(model: keras.Model, low: np.ndarray, high: np.ndarray):
    """Logits as a function of the feature-box coordinates ``u`` in [-1, 1] (see the module docstring).

    Returns
    -------
    Function u float32 (b, M) -> logits float32 (b, n_classes), ``h = low + (u + 1) (high - low) / 2``.
    """
    last = model.layers[-1]
    low32 = tf.constant(low, tf.float32)
    half = tf.constant((np.asarray(high) - np.asarray(low)) / 2, tf.float32)

    def logits(u: tf.Tensor) -> tf.Tensor:
        return tf.matmul(low32 + (u + 1.0) * half, last.kernel) + last.bias

    return logits


def to_feature_coordinates(h: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Features h (b, M) in the box coordinates u in [-1, 1]; fixed coordinates map to -1: float32 (b, M)."""
    width = np.where(high > low, high - low, 1.0)
    return (2 * (np.asarray(h, np.float64) - low) / width - 1).astype(np.float32)


def class_packets(logits, n_classes: int, shape: tuple[int, ...]) -> PacketFunction:
    """The packets of every class: loss and gradient of each class's cross-entropy, as a PacketFunction.

    Parameters
    ----------
    logits : function of float32 (b, *shape) -> logits (b, n_classes)
    n_classes : packets per point
    shape : the variable's shape as ``logits`` takes it; the packet takes it flattened, (b, prod(shape))
    """

    @tf.function
    def evaluate(x):
        values, grads = [], []
        for c in range(n_classes):
            with tf.GradientTape() as tape:
                tape.watch(x)
                loss = example_losses(logits(x), tf.fill(tf.shape(x)[:1], c), "logits")
                total = tf.reduce_sum(loss)  # examples are independent: d total / d x_b = d loss_b / d x_b
            values.append(loss)
            grads.append(tape.gradient(total, x))
        return tf.stack(values, axis=1), tf.stack(grads, axis=1)

    def packet(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        b = x.shape[0]
        value, grad = evaluate(tf.constant(x.reshape(b, *shape), tf.float32))
        return value.numpy(), grad.numpy().reshape(b, n_classes, -1)

    return packet
