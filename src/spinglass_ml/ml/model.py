"""The paper's CNN (Table III) in Keras 3: one strided 3D convolution, ReLU, a dense softmax over two classes.

Input: one overlap snapshot, float32 (L, L, L, 1) with values ±1. Output: float32 (2,) class probabilities,
index 1 = "high temperature" (T above the training threshold).

Periodic boundaries (default). The lattice is periodic, so the convolution wraps around: it is the 'valid'
convolution of the input padded periodically by ``kernel // 2`` sites on each side. Every filter position
then sees the true neighbours of its centre site (centres at sites 0, stride, 2 stride, ...), every site
enters the same number of windows, and translating the lattice by a multiple of the stride translates the
feature map: no boundary is singled out. With ``periodic=False`` it is the plain 'valid' convolution of the
open cube, which drops the sites of the last rows when ``(L - kernel) % stride != 0`` and weights boundary
sites less.

Implementation. :class:`LatticeConv3D` computes the convolution as a gather of the k**3 sites of every
window (a fixed index table, periodic wrap included) followed by one matrix product with the kernel. It is
the same function with the same weights as ``keras.layers.Conv3D`` (kernel shape (k, k, k, C_in, C_out),
Glorot-uniform initialisation, zero bias; the tests compare both), but TensorFlow's CPU kernel for the
gradient of a 3D convolution with respect to its filter is pathologically slow at these sizes (about 1 s per
batch of 1000 at L = 8), while the gradient of a matrix product is not. The gather takes whole rows of the
batch-last (sites, batch) input, ordered offset-major, so that the product with the kernel is one
(C_out, k**3 C_in) x (k**3 C_in, windows x batch) matrix product: gathering single elements along the site
axis of the batch-first input cost about 20 ms per batch of 1000 at L = 8 on one core, as much as the rest of
a training step.
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
from keras import layers, ops

N_CLASSES = 2


def output_side(L: int, kernel: int, stride: int, periodic: bool) -> int:
    """Side of the convolution's output cube: ``(L + 2 p - kernel) // stride + 1``, ``p = kernel // 2`` if
    periodic else 0 (``ceil(L / stride)`` for periodic, odd kernel and stride <= kernel)."""
    return (L + 2 * (kernel // 2 if periodic else 0) - kernel) // stride + 1


def window_sites(L: int, kernel: int, stride: int, periodic: bool) -> np.ndarray:
    """Flat site indices ``(x*L + y)*L + z`` of every convolution window.

    Returns
    -------
    int32 (m**3, kernel**3): row = output position (C order over the m x m x m output cube), column = offset
    (dx, dy, dz) within the window in C order, as in the kernel layout of ``keras.layers.Conv3D``.
    """
    m = output_side(L, kernel, stride, periodic)
    start = np.arange(m) * stride - (kernel // 2 if periodic else 0)
    ax = (start[:, None] + np.arange(kernel)[None, :]) % L  # (m, kernel), wrapped into the lattice
    x = ax[:, None, None, :, None, None]
    y = ax[None, :, None, None, :, None]
    z = ax[None, None, :, None, None, :]
    return ((x * L + y) * L + z).reshape(m**3, kernel**3).astype(np.int32)


@keras.saving.register_keras_serializable(package="spinglass_ml")
class LatticeConv3D(layers.Layer):
    """Strided 3D convolution of a cubic lattice, periodic or 'valid', as a gather and a matrix product.

    Input (batch, L, L, L, C_in) float32; output (batch, m, m, m, filters) with ``m =``
    :func:`output_side`. Weights ``kernel`` (k, k, k, C_in, filters) and ``bias`` (filters,), as in
    ``keras.layers.Conv3D``.
    """

    def __init__(
        self,
        filters: int,
        kernel_size: int = 3,
        strides: int = 2,
        periodic: bool = True,
        activation: str | None = "relu",
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.filters, self.kernel_size, self.strides = int(filters), int(kernel_size), int(strides)
        self.periodic = bool(periodic)
        self.activation = keras.activations.get(activation)

    def build(self, input_shape) -> None:
        L, c_in = input_shape[1], input_shape[4]
        if not input_shape[1] == input_shape[2] == input_shape[3]:
            raise ValueError(f"LatticeConv3D: input must be a cube (batch, L, L, L, C), got {input_shape}")
        k = self.kernel_size
        self.kernel = self.add_weight(
            name="kernel", shape=(k, k, k, c_in, self.filters), initializer="glorot_uniform"
        )
        self.bias = self.add_weight(name="bias", shape=(self.filters,), initializer="zeros")
        sites = window_sites(L, k, self.strides, self.periodic)  # (n_win, n_off)
        # rows of the batch-last input to gather, offset-major: (offset, channel, window)
        self._rows = (sites.T[:, None, :] * c_in + np.arange(c_in, dtype=np.int32)[None, :, None]).ravel()
        self._n_win, self._n_in = sites.shape[0], sites.shape[1] * c_in
        self._m = output_side(L, k, self.strides, self.periodic)

    def call(self, x):
        L, c_in = x.shape[1], x.shape[4]
        rows = ops.transpose(ops.reshape(x, (-1, L**3 * c_in)))  # (L^3 C_in, b), row = site * C_in + channel
        patches = ops.reshape(ops.take(rows, self._rows, axis=0), (self._n_in, -1))  # (n_off C_in, n_win b)
        kernel = ops.transpose(ops.reshape(self.kernel, (self._n_in, self.filters)))  # (C_out, n_off C_in)
        y = (
            ops.reshape(ops.matmul(kernel, patches), (self.filters, self._n_win, -1))
            + self.bias[:, None, None]
        )
        y = ops.transpose(self.activation(y), (2, 1, 0))  # (b, n_win, C_out)
        return ops.reshape(y, (-1, self._m, self._m, self._m, self.filters))

    def compute_output_shape(self, input_shape):
        m = output_side(input_shape[1], self.kernel_size, self.strides, self.periodic)
        return (input_shape[0], m, m, m, self.filters)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "periodic": self.periodic,
            "activation": keras.activations.serialize(self.activation),
        }


def _check(L: int, channels: int, kernel: int, stride: int, periodic: bool) -> None:
    for name, value in (("L", L), ("channels", channels), ("kernel", kernel), ("stride", stride)):
        if int(value) != value or value < 1:
            raise ValueError(f"{name}: need a positive integer, got {value}")
    if periodic and kernel % 2 == 0:
        raise ValueError(f"kernel: periodic wrapping needs an odd kernel (centred windows), got {kernel}")
    if not periodic and kernel > L:
        raise ValueError(f"kernel: {kernel} does not fit in L = {L} without wrapping")


def build_model(
    L: int, channels: int = 5, kernel: int = 3, stride: int = 2, periodic: bool = True
) -> keras.Model:
    """The Table III network for L x L x L overlaps.

    Parameters
    ----------
    L : linear lattice size
    channels : filters of the convolution (Table III: 5)
    kernel : filter side, in sites (Table III: 3, i.e. 3x3x3)
    stride : convolution stride, in sites (Table III: 2)
    periodic : wrap the convolution around the periodic lattice (see the module docstring)

    Returns
    -------
    Uncompiled functional model: input float32 (batch, L, L, L, 1), output float32 (batch, 2) softmax.
    Layers: LatticeConv3D (ReLU) named "conv", Flatten, Dense (softmax) named "softmax".
    """
    _check(L, channels, kernel, stride, periodic)
    inputs = keras.Input(shape=(L, L, L, 1), dtype="float32", name="overlaps")
    x = LatticeConv3D(channels, kernel, stride, periodic, activation="relu", name="conv")(inputs)
    x = layers.Flatten(name="flatten")(x)
    outputs = layers.Dense(N_CLASSES, activation="softmax", name="softmax")(x)
    return keras.Model(inputs, outputs, name=f"cnn_L{L}")


def expected_parameter_count(
    L: int, channels: int = 5, kernel: int = 3, stride: int = 2, periodic: bool = True
) -> int:
    """Trainable parameters of :func:`build_model`, in closed form.

    Convolution ``kernel**3 * channels + channels``; dense ``m**3 * channels * 2 + 2`` with ``m`` from
    :func:`output_side`. For the defaults ``m = ceil(L / 2)``: L = 8 gives 140 + 642 = 782.
    """
    _check(L, channels, kernel, stride, periodic)
    m = output_side(L, kernel, stride, periodic)
    return kernel**3 * channels + channels + m**3 * channels * N_CLASSES + N_CLASSES


def load_model(path: str | Path) -> keras.Model:
    """Load a model saved by ``spinglass_ml.ml.train`` (importing this module registers its layer)."""
    return keras.models.load_model(path)
