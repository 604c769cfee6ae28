"""The threshold control's verdict: the slope of a classifier's bimodal T_c against the label threshold it was
trained with, with its total error.

A classifier that detects the transition puts its T_c at the transition whatever temperature its labels
switch at: slope 0. A thermometer reads the temperature and puts its T_c where its labels switch, shifted by
the disorder: a positive slope on the bimodal data (docs/methods/controls.md).

Model k of every threshold is trained with the same seed k (:mod:`spinglass_ml.seeds`) on the same instances,
and every analysis uses the same bootstrap resamples, so the slope is taken seed by seed and resample by
resample: s_k[b] = least-squares slope of t_k(x)[b] over the thresholds x. The s_k are then combined as any
seed-ensemble estimate (:func:`spinglass_ml.analysis.ensemble.seed_ensemble`: value, seed spread, disorder,
total error), so that what the models share cancels in each s_k.

JSON layout of :func:`threshold_response` (``results/analysis/threshold_response.json``)::

    {"thresholds": {"cnn": [x, ...], "thermometer": [x, ...]},
     "conditions": {"cnn": [str, ...], "thermometer": [str, ...]},
     "slopes": {"cnn" | "thermometer": {"Tc" | "collapse.Tc": <seed-ensemble entry of the slope>}},
     "min_valid_fraction": float}

Temperatures in units of the coupling (k_B = 1); slopes are dimensionless.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from spinglass_ml.analysis.bootstrap import bootstrap_error
from spinglass_ml.analysis.ensemble import _check_shared, _combine, _per_seed

SLOPE_ESTIMATES = ("Tc", "collapse.Tc")  # the headline T_c (where it exists) and the collapse's


def _slope(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Least-squares slope of y against x along axis 0: x (n,), y (n, ...); NaN where any y is NaN."""
    dx = x - x.mean()
    return np.tensordot(dx, y - y.mean(axis=0), axes=(0, 0)) / float(dx @ dx)


def threshold_slope(
    by_threshold: Mapping[float, Sequence[Mapping]],
    name: str,
    *,
    min_valid_fraction: float = 0.8,
    deterministic: bool = False,
) -> dict:
    """The seed-ensemble entry of the slope dT_c/dx of estimate ``name`` against the label threshold x.

    Parameters
    ----------
    by_threshold : {x: the bimodal analyses of models 0 .. K_x - 1 (with replicas)}, at least two thresholds;
        seeds k < min K_x are paired across thresholds
    name : an estimate of :func:`spinglass_ml.analysis.ensemble.estimate_names`, e.g. "collapse.Tc"
    deterministic : the classifier's training has no randomness (the thermometer): seed spread 0

    Raises
    ------
    ValueError
        If fewer than two thresholds are given, or the analyses are not on the same data and resamples.
    """
    if len(by_threshold) < 2:
        raise ValueError(f"a slope needs at least two label thresholds, got {sorted(by_threshold)}")
    x = np.array(sorted(by_threshold), float)
    K = min(len(a) for a in by_threshold.values())
    per = [_per_seed(list(by_threshold[t])[:K], name) for t in x]
    _check_shared([a for t in x for a in list(by_threshold[t])[:K]])
    values = _slope(x, np.stack([p[0] for p in per]))  # (K,)
    replicas = _slope(x, np.stack([p[3] for p in per]))  # (K, B + 1)
    errs = np.array([bootstrap_error(r, np.isfinite(r)) if np.isfinite(v) else math.nan
                     for v, r in zip(values, replicas, strict=True)])  # fmt: skip
    reasons = []
    for k, v in enumerate(values):
        missing = [f"threshold {t:g}: {p[2][k]}" for t, p in zip(x, per, strict=True) if p[2][k]]
        reasons.append(None if np.isfinite(v) else "; ".join(missing))
    return _combine(
        values, errs, reasons, replicas, min_valid_fraction, f"the slope of {name}", deterministic
    )


def threshold_response(
    analyses: Mapping[str, Mapping[float, Sequence[Mapping]]],
    conditions: Mapping[str, Sequence[str]],
    *,
    min_valid_fraction: float = 0.8,
) -> dict:
    """The slopes of every classifier (layout in the module docstring).

    Parameters
    ----------
    analyses : classifier ("cnn", "thermometer") -> {threshold: bimodal analyses of its models}; a classifier
        with fewer than two thresholds gets no slopes
    conditions : classifier -> the conditions behind its thresholds, for the record
    """
    out: dict = {"thresholds": {}, "conditions": dict(conditions), "slopes": {},
                 "min_valid_fraction": min_valid_fraction}  # fmt: skip
    for family, by_threshold in analyses.items():
        out["thresholds"][family] = sorted(by_threshold)
        if len(by_threshold) < 2:
            continue
        out["slopes"][family] = {
            name: threshold_slope(
                by_threshold,
                name,
                min_valid_fraction=min_valid_fraction,
                deterministic=family == "thermometer",
            )  # fmt: skip
            for name in SLOPE_ESTIMATES
        }
    return out


def headline_slope(record: Mapping, family: str) -> tuple[float | None, float | None, str | None]:
    """(value, total error, estimate name) of a classifier's slope in a :func:`threshold_response` record: of
    the headline T_c where it exists, else of the collapse's; (None, None, None) without a slope."""
    slopes = record["slopes"].get(family, {})
    for name in SLOPE_ESTIMATES:
        entry = slopes.get(name)
        if entry and entry["value"] is not None:
            return entry["value"], entry["total_err"], name
    return None, None, None
