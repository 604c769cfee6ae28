"""Symmetries of the overlap field and how far the classifier respects them; activation maps.

The spin-glass Hamiltonian with couplings drawn independently per bond has, for the disorder-averaged
statistics of the overlap field q_i = s_i^a s_i^b on the periodic L x L x L lattice, these symmetries:

* the global flip q -> -q (flipping every spin of one replica leaves both replicas' weights unchanged);
* the L**3 periodic translations;
* the 48 rotations and reflections of the cube (the point group O_h), acting about site (0, 0, 0): axis
  permutations combined with reflections x -> (-x) mod L.

A phase classifier should give (statistically) the same probability for a snapshot and its image. A single
network need not be exactly invariant, but its violations, measured here as |p(g x) - p(x)| of the
high-temperature probability p, show which symmetries it failed to learn. Note that the Table III network is
not invariant by construction under any of these: its dense layer weights every feature-map position
differently and its ReLU is not odd. A translation by a multiple of the convolution stride permutes the
feature map exactly (periodic convolution), which :func:`activations` makes testable.

Snapshots are float32 (batch, L, L, L); group elements are applied to the three lattice axes.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import keras
import numpy as np

GROUPS = ("global_flip", "translation", "cubic")


@dataclass(frozen=True)
class CubicOp:
    """One element of O_h: ``out[..., x_0, x_1, x_2] = in[..., y]`` with ``y[perm[k]] = (sign_k x_k) mod L``.

    Attributes
    ----------
    perm : permutation of the three lattice axes
    reflect : per output axis, True for the reflection x -> (-x) mod L
    """

    perm: tuple[int, int, int]
    reflect: tuple[bool, bool, bool]

    def apply(self, x: np.ndarray) -> np.ndarray:
        """Image of snapshots x (..., L, L, L), same shape."""
        lead = x.ndim - 3
        y = np.transpose(x, (*range(lead), *(lead + p for p in self.perm)))
        for axis, r in enumerate(self.reflect):
            if r:  # x -> -x mod L keeps site 0: flip, then roll the old site 0 back to 0
                y = np.roll(np.flip(y, lead + axis), 1, axis=lead + axis)
        return y

    @property
    def is_identity(self) -> bool:
        return self.perm == (0, 1, 2) and not any(self.reflect)


def cubic_group() -> list[CubicOp]:
    """The 48 elements of O_h (6 axis permutations x 8 reflection patterns), identity first."""
    return [
        CubicOp(perm, reflect)
        for perm in itertools.permutations(range(3))
        for reflect in itertools.product((False, True), repeat=3)
    ]


def translate(x: np.ndarray, shift: tuple[int, int, int]) -> np.ndarray:
    """Periodic translation of snapshots x (..., L, L, L) by ``shift`` sites along the three axes."""
    return np.roll(x, shift, axis=(-3, -2, -1))


def translations(L: int) -> list[tuple[int, int, int]]:
    """All L**3 shifts, (0, 0, 0) first."""
    return list(itertools.product(range(L), repeat=3))


def images(x: np.ndarray, group: str) -> Iterator[tuple[str, np.ndarray]]:
    """The non-identity images of snapshots x (batch, L, L, L) under a symmetry group.

    Yields
    ------
    (label, g x) for every non-identity element g of ``group`` (one of :data:`GROUPS`): "flip"; a shift
    "dx,dy,dz"; or a cubic operation "perm=...,reflect=...".
    """
    if group == "global_flip":
        yield "flip", -x
    elif group == "translation":
        for shift in translations(x.shape[-1])[1:]:
            yield ",".join(map(str, shift)), translate(x, shift)
    elif group == "cubic":
        for op in cubic_group()[1:]:
            yield f"perm={op.perm},reflect={op.reflect}", op.apply(x)
    else:
        raise ValueError(f"group: expected one of {GROUPS}, got {group!r}")


def class_probabilities(model: keras.Model, x: np.ndarray, batch_size: int = 4096) -> np.ndarray:
    """Class probabilities of snapshots x (batch, L, L, L), in batches: float64 (batch, n_classes)."""
    x = np.asarray(x, np.float32)
    out = [
        np.asarray(model.predict_on_batch(x[i : i + batch_size, ..., None]))
        for i in range(0, len(x), batch_size)
    ]
    return np.concatenate(out).astype(np.float64)


def high_temperature_probability(model: keras.Model, x: np.ndarray, batch_size: int = 4096) -> np.ndarray:
    """p of class 1 for snapshots x (batch, L, L, L): float64 (batch,)."""
    return class_probabilities(model, x, batch_size)[:, 1]


def symmetry_violations(model: keras.Model, x: np.ndarray) -> dict[str, dict[str, float]]:
    """How much the model's output changes under each symmetry group.

    Parameters
    ----------
    model : classifier of (batch, L, L, L, 1) snapshots with a 2-class softmax output
    x : float (batch, L, L, L) snapshots

    Returns
    -------
    Per group of :data:`GROUPS`: ``mean_abs_dp`` (mean over examples and non-identity elements of
    |p(g x) - p(x)|), ``max_abs_dp`` (its maximum), ``decision_changed`` (fraction of (example, element)
    pairs whose predicted class differs from that of x), ``worst_element`` (label of the element with the
    largest mean |dp|) and ``elements`` (their number).
    """
    p = high_temperature_probability(model, x)
    out = {}
    for group in GROUPS:
        per_element, changed, worst, labels = [], [], [], []
        for label, gx in images(np.asarray(x, np.float32), group):
            pg = high_temperature_probability(model, gx)
            dp = np.abs(pg - p)
            per_element.append(dp.mean())
            worst.append(dp.max())
            changed.append(np.mean((pg > 0.5) != (p > 0.5)))
            labels.append(label)
        out[group] = {
            "mean_abs_dp": float(np.mean(per_element)),
            "max_abs_dp": float(np.max(worst)),
            "decision_changed": float(np.mean(changed)),
            "worst_element": labels[int(np.argmax(per_element))],
            "elements": len(labels),
        }
    return out


def activations(model: keras.Model, x: np.ndarray, layer: str = "conv") -> np.ndarray:
    """Output of one layer (default: the convolution, after its ReLU) for snapshots x (batch, L, L, L).

    Returns
    -------
    float32 (batch, m, m, m, channels) for the convolution of :func:`spinglass_ml.ml.model.build_model`.
    """
    probe = keras.Model(model.inputs, model.get_layer(layer).output)
    return np.asarray(probe.predict_on_batch(np.asarray(x, np.float32)[..., None]))


def mean_activation_maps(model: keras.Model, groups: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The convolution's activations averaged over each group of snapshots.

    Parameters
    ----------
    groups : name -> float (n, L, L, L) snapshots, e.g. ordered, disordered and adversarial examples

    Returns
    -------
    name -> float64 (m, m, m, channels), the mean activation map (NaN-free: empty groups are skipped).
    """
    return {
        name: activations(model, x).mean(axis=0, dtype=np.float64) for name, x in groups.items() if len(x)
    }
