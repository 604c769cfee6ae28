"""The disorder bootstrap shared by every analysis: instance resamples, per-size curves with their replicas,
and the error and validity of an estimate over the replicas.

Replica 0 is the full sample; replicas 1..B resample the disorder instances of size L with replacement, from
``stream_seed(seed, STREAM_BOOTSTRAP, L, d)`` (:mod:`spinglass_ml.seeds`, d the disorder code), over the
instances sorted by id. The CNN's bimodal predictions and the bimodal physics reference of one L therefore
share their replicas.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from spinglass_ml.seeds import DISORDER_CODE, STREAM_BOOTSTRAP


@dataclass(frozen=True)
class Curve:
    """Bootstrap replicas of one size's curve Q(T).

    Attributes
    ----------
    T : float64 (n_T,), ascending temperatures
    replicas : float64 (B + 1, n_T); row 0 the full sample, rows 1..B the bootstrap resamples
    instances : number of disorder instances averaged
    """

    T: np.ndarray
    replicas: np.ndarray
    instances: int


# ---------------------------------------------------------------------------------------------- bootstrap
def bootstrap_indices(n: int, samples: int, seed: int, L: int, disorder: str) -> np.ndarray:
    """Instance resamples of one (disorder, L): row 0 is the identity, rows 1..samples draw with replacement.

    Returns
    -------
    int64 (samples + 1, n): positions into the instances sorted by id.
    """
    if n < 1 or samples < 1:
        raise ValueError(
            f"bootstrap needs at least one instance and one sample, got n = {n}, samples = {samples}"
        )
    rng = np.random.default_rng(
        np.random.SeedSequence(seed, spawn_key=(STREAM_BOOTSTRAP, L, DISORDER_CODE[disorder]))
    )
    return np.vstack([np.arange(n), rng.integers(0, n, size=(samples, n))])


def per_instance_table(
    instances: np.ndarray, T: np.ndarray, values: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Pivot rows (instance, T, value) into a table, instances sorted by id.

    Returns
    -------
    (temperatures (n_T,) ascending, table (n_i, n_T)).

    Raises
    ------
    ValueError
        If a value is NaN or not finite, or some (instance, T) pair is missing or repeated.
    """
    instances, T, values = (np.asarray(a) for a in (instances, T, values))
    if not np.all(np.isfinite(values)) or not np.all(np.isfinite(T)):
        raise ValueError("values and temperatures must be finite (found NaN or inf)")
    ids, i = np.unique(instances, return_inverse=True)
    temps, t = np.unique(T, return_inverse=True)
    if values.size != ids.size * temps.size or np.unique(i * temps.size + t).size != values.size:
        raise ValueError(
            f"expected one row per (instance, T): {ids.size} instances x {temps.size} temperatures, got "
            f"{values.size} rows with missing or repeated pairs"
        )
    table = np.empty((ids.size, temps.size))
    table[i, t] = values
    return temps, table


def replicas_of_means(table: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """Disorder averages of ``table`` (n_i, ...) over each row of ``indices`` (B + 1, n_i): (B + 1, ...)."""
    return np.stack([table[idx].mean(axis=0) for idx in indices])


def window(curve: Curve, lo: float | None, hi: float | None) -> Curve:
    """The temperatures of ``curve`` within [lo, hi] (None: unbounded)."""
    keep = np.ones(curve.T.size, bool)
    if lo is not None:
        keep &= curve.T >= lo
    if hi is not None:
        keep &= curve.T <= hi
    return Curve(curve.T[keep], curve.replicas[:, keep], curve.instances)


# ---------------------------------------------------------------------------------------------- helpers
def bootstrap_error(values: np.ndarray, valid: np.ndarray) -> float:
    """Bootstrap error: standard deviation of the valid replicas 1..B (ddof = 1)."""
    v = values[1:][valid[1:]]
    return float(np.std(v, ddof=1)) if v.size > 1 else math.nan


def json_number(x: float) -> float | None:
    """JSON number or null."""
    return None if x is None or not np.isfinite(x) else float(x)


def replica_list(values: np.ndarray, valid: np.ndarray | None = None) -> list[float | None]:
    """Replicas (B + 1,) of an estimate as a JSON list: null where a replica is invalid or not finite."""
    values = np.asarray(values, float)
    ok = np.isfinite(values) if valid is None else np.asarray(valid, bool) & np.isfinite(values)
    return [float(v) if k else None for v, k in zip(values, ok, strict=True)]


def bootstrap_estimate(values: np.ndarray, valid: np.ndarray, min_fraction: float, what: str) -> tuple:
    """(value, error, valid fraction, reason) of a bootstrapped estimate; replica 0 is the full sample."""
    fraction = float(valid[1:].mean())
    if not valid[0]:
        return None, None, fraction, None
    if fraction < min_fraction:
        return (
            None,
            None,
            fraction,
            (
                f"{what} exists in the full sample but in only {fraction:.0%} of the bootstrap resamples "
                f"(required: {min_fraction:.0%}): not a stable estimate"
            ),
        )
    return json_number(values[0]), json_number(bootstrap_error(values, valid)), fraction, None


def floored_errors(err: np.ndarray) -> np.ndarray:
    """Errors used as fit weights: zeros (all instances agree, e.g. a saturated p) are raised to the smallest
    positive error of the same set; all zero → ones (an unweighted fit)."""
    positive = err[err > 0]
    return np.where(err > 0, err, positive.min()) if positive.size else np.ones_like(err)


def validate_curves(curves: Mapping[int, Curve]) -> list[int]:
    """Check the input of :func:`analyze`; return the sizes ascending.

    Raises
    ------
    ValueError
        If there are fewer than two sizes, a size has fewer than two temperatures, temperatures are not
        strictly ascending, replicas do not match the temperatures or differ in number between sizes, or a
        value is NaN.
    """
    sizes = sorted(int(L) for L in curves)
    if len(sizes) < 2:
        raise ValueError(f"finite-size scaling needs at least two sizes, got {sizes}")
    n_rep = {c.replicas.shape[0] for c in curves.values()}
    if len(n_rep) != 1 or n_rep.pop() < 3:
        raise ValueError("every size needs the same number (>= 3) of replicas: full sample + bootstrap")
    for L in sizes:
        c = curves[L]
        if c.T.ndim != 1 or c.T.size < 2:
            raise ValueError(f"L = {L}: needs at least two temperatures, got {c.T.size}")
        if not np.all(np.diff(c.T) > 0):
            raise ValueError(f"L = {L}: temperatures must be strictly ascending")
        if c.replicas.ndim != 2 or c.replicas.shape[1] != c.T.size:
            raise ValueError(
                f"L = {L}: replicas of shape {c.replicas.shape} do not match {c.T.size} temperatures"
            )
        if not (np.all(np.isfinite(c.replicas)) and np.all(np.isfinite(c.T))):
            raise ValueError(f"L = {L}: the curve contains NaN or inf")
    return sizes
