"""Training conditions: how a training set was made, and label flipping.

A condition is named by a string that is also a Snakemake wildcard value:

* ``clean``: well-thermalised data, labels as measured;
* ``flip-<rate>``: every training label flipped independently with probability ``rate`` (0 <= rate <= 1);
* ``therm-<fraction>``: training data simulated with ``round(fraction * sweeps)`` sweeps for the same
  disorder instances (0 < fraction <= 1), labels as measured;
* ``adv-<epsilon>``: clean data, trained adversarially (Madry et al.): every training batch is replaced by
  its PGD adversarial examples in the L∞ ball of radius epsilon (0 < epsilon <= 2, overlap units) around
  it (see :mod:`spinglass_ml.robustness.adversarial_training`). Not a poisoning: the robust counterpart of
  clean.
* ``threshold-<T>``: clean data labelled by T > ``T`` instead of ``ml.threshold`` (0 < T <= 10, units of the
  coupling scale): a control. A detector of the transition keeps its bimodal T_c when the label threshold
  moves; a thermometer's T_c follows it.
* ``thermometer`` and ``thermometer-<T>``: not a CNN but a logistic regression on per-snapshot physical
  features (:mod:`spinglass_ml.ml.thermometer`), trained on the same clean data and labels (by
  ``ml.threshold`` or by ``<T>``): the control classifier that can only read the temperature.

Flips are drawn as one uniform number per example from a seeded stream, in example order, and an example is
flipped if its number is below the rate. The flips therefore do not depend on how the draw is chunked, and
for one seed the examples flipped at a lower rate are a subset of those flipped at a higher rate (nested
doses).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

import numpy as np

_PATTERN = re.compile(r"(flip|therm|adv|threshold|thermometer)-([0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)")
_FLIP_CHUNK = 1 << 20  # uniforms drawn per call: bounds the transient memory of a flip draw to 8 MiB


@dataclass(frozen=True)
class Condition:
    """A parsed training condition.

    Attributes
    ----------
    kind : ``"clean"``, ``"flip"``, ``"therm"``, ``"adv"`` or ``"threshold"``
    value : the flip rate (probability per label), the thermalisation fraction (of the configured sweeps),
        the adversarial radius epsilon (overlap units), the label threshold (temperature), or None for
        ``clean`` and ``thermometer`` (labelled by ``ml.threshold``)
    """

    kind: Literal["clean", "flip", "therm", "adv", "threshold", "thermometer"]
    value: float | None = None

    def __str__(self) -> str:
        """The canonical name, e.g. ``flip-0.01``; ``parse_condition(str(c)) == c``."""
        return self.kind if self.value is None else f"{self.kind}-{self.value!r}"


def parse_condition(name: str) -> Condition:
    """Parse a condition name such as ``"clean"``, ``"flip-0.01"``, ``"therm-0.5"`` or ``"adv-0.2"``.

    Raises
    ------
    ValueError
        for any other string, a rate outside [0, 1], a fraction outside (0, 1], or an epsilon outside (0, 2].
    """
    if name in ("clean", "thermometer"):
        return Condition(name)
    match = _PATTERN.fullmatch(name)
    if match is None:
        raise ValueError(f"condition {name!r}: expected 'clean', 'flip-<rate>', 'therm-<fraction>', "
                         "'adv-<epsilon>' or 'threshold-<T>' with a plain decimal number, e.g. 'flip-0.01', "
                         "'therm-0.5', 'adv-0.2', 'threshold-1.05'")  # fmt: skip
    kind, value = match.group(1), float(match.group(2))
    if kind == "flip" and not 0.0 <= value <= 1.0:
        raise ValueError(f"condition {name!r}: the flip rate is a probability, need 0 <= rate <= 1")
    if kind == "therm" and not 0.0 < value <= 1.0:
        raise ValueError(f"condition {name!r}: need 0 < fraction <= 1 of the configured sweeps")
    if kind == "adv" and not 0.0 < value <= 2.0:
        raise ValueError(f"condition {name!r}: need 0 < epsilon <= 2 (overlaps lie in [-1, 1])")
    if kind in ("threshold", "thermometer") and not 0.0 < value <= 10.0:
        raise ValueError(f"condition {name!r}: need a label temperature 0 < T <= 10")
    return Condition(kind, value)


def label_threshold(condition: Condition, default: float) -> float:
    """The temperature above which a condition labels snapshots "high temperature": its own for
    ``threshold-<T>``, else ``default`` (``ml.threshold``)."""
    if condition.kind in ("threshold", "thermometer") and condition.value is not None:
        return condition.value
    return default


def classifier(condition: Condition) -> str:
    """ "thermometer" for the thermometer conditions, "cnn" for every other (the Table III network)."""
    return "thermometer" if condition.kind == "thermometer" else "cnn"


def training_sweeps(condition: Condition, sweeps: int) -> int:
    """Sweeps of the Monte Carlo data a condition trains on: ``round(fraction * sweeps)`` for ``therm``.

    Parameters
    ----------
    condition : the parsed condition
    sweeps : the configured (well-thermalised) sweeps of the Gaussian training data
    """
    if condition.kind == "therm":
        return int(round(condition.value * sweeps))
    return int(sweeps)


def flipped_positions(n: int, rate: float, seed_sequence: np.random.SeedSequence) -> np.ndarray:
    """Positions of the labels flipped among ``n`` examples: one uniform draw per example, flip if < rate.

    Parameters
    ----------
    n : number of examples
    rate : flip probability per example, 0 <= rate <= 1
    seed_sequence : the seed of the flip stream

    Returns
    -------
    int64 array (n_flipped,), ascending. The draw is chunked (memory O(n_flipped), not O(n)); the result is
    the same as one draw of ``n`` uniforms.
    """
    rate = float(rate)
    if not (math.isfinite(rate) and 0.0 <= rate <= 1.0):
        raise ValueError(f"flip rate: need a probability 0 <= rate <= 1, got {rate!r}")
    if int(n) != n or n < 0:
        raise ValueError(f"n: need a non-negative integer, got {n}")
    rng = np.random.default_rng(seed_sequence)
    found = []
    for start in range(0, int(n), _FLIP_CHUNK):
        u = rng.random(min(_FLIP_CHUNK, int(n) - start))
        found.append(start + np.flatnonzero(u < rate))
    return np.concatenate(found).astype(np.int64) if found else np.zeros(0, np.int64)


def flip_labels(
    labels: np.ndarray, rate: float, seed_sequence: np.random.SeedSequence
) -> tuple[np.ndarray, np.ndarray]:
    """Flip each binary label independently with probability ``rate``.

    Parameters
    ----------
    labels : integer array (n,) of 0 and 1; not modified
    rate : flip probability per label, 0 <= rate <= 1
    seed_sequence : the seed of the flip stream (same seed, same flips)

    Returns
    -------
    (new_labels, flipped_indices): a copy of ``labels`` (same dtype) with ``1 - label`` at the flipped
    positions, and those positions, int64 (n_flipped,) ascending (see :func:`flipped_positions`).
    """
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels: need a 1-d integer array, got {labels.dtype}{labels.shape}")
    if labels.size and not np.all((labels == 0) | (labels == 1)):
        raise ValueError("labels: must be 0 or 1")
    flipped = flipped_positions(labels.size, rate, seed_sequence)
    new = labels.copy()
    new[flipped] = 1 - new[flipped]
    return new, flipped
