"""The analysis stage's outputs: ``results/analysis/{condition}.json`` of a condition's predictions and
``results/tables/summary.csv`` of every condition and of the physics reference.

Layout of ``results/analysis/{condition}.json``: the analysis object (:mod:`spinglass_ml.analysis.fss`) of
the bimodal predictions (quantity ``p``, headline method ``linear_coefficient``: T_c from the sign change,
ν = ν_ml) at the top level, plus::

    "condition": "clean", "data": {"4": "results/predictions/clean/L4.csv", ...},
    "gaussian_check": <analysis object of the held-out Gaussian predictions, headline "crossing">,
    "bootstrap": {"samples": B, "seed": int, "stream": "SeedSequence(seed, spawn_key=(3, L, d))"},
    "settings": {the analysis config slice}

``results/analysis/physics_reference.json`` is described in :mod:`spinglass_ml.analysis.observables`.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

from spinglass_ml.analysis.bootstrap import (
    Curve,
    bootstrap_indices,
    per_instance_table,
    replicas_of_means,
    window,
)
from spinglass_ml.analysis.fss import analyze
from spinglass_ml.ml.conditions import classifier, label_threshold, parse_condition
from spinglass_ml.ml.predictions import read_predictions
from spinglass_ml.seeds import STREAM_BOOTSTRAP


def prediction_curve(path: str | Path, samples: int, seed: int, L: int, disorder: str) -> Curve:
    """p(T) of one size from a prediction CSV, with bootstrap replicas over its instances."""
    instances, T, p = read_predictions(path)
    temps, table = per_instance_table(instances, T, p)
    return Curve(
        temps,
        replicas_of_means(table, bootstrap_indices(table.shape[0], samples, seed, L, disorder)),
        table.shape[0],
    )


def failed(quantity: str, method: str, reason: str) -> dict:
    """The analysis object of a data set that cannot be analysed at all (reason: the ValueError's text)."""
    return {
        "quantity": quantity,
        "sizes": [],
        "Tc": None,
        "Tc_err": None,
        "nu": None,
        "nu_err": None,
        "method": method,
        "reason": reason,
        "crossings": [],
    }


# ---------------------------------------------------------------------------------------------- study outputs
SUMMARY_COLUMNS = ("condition", "method", "Tc", "Tc_err", "nu", "nu_err", "reason")


def bootstrap_record(settings: Mapping, seed: int) -> dict:
    """The ``bootstrap`` entry of the analysis JSON files."""
    return {
        "samples": settings["bootstrap_samples"],
        "seed": seed,
        "stream": f"SeedSequence(seed, spawn_key=({STREAM_BOOTSTRAP}, L, d))",
    }


def _analyze_predictions(
    paths: Mapping[int, str | Path],
    settings: Mapping,
    seed: int,
    disorder: str,
    method: str,
    keep_replicas: bool = False,
) -> dict:
    """Analysis object of one set of prediction CSVs (size → path); bad data → null with the reason."""
    lim = settings["window"][disorder]
    try:
        curves = {
            L: window(
                prediction_curve(p, settings["bootstrap_samples"], seed, L, disorder), lim["min"], lim["max"]
            )
            for L, p in paths.items()
        }
        return analyze(
            curves,
            quantity="p",
            method=method,
            smooth_degree=settings["smooth_degree"],
            grid_points=settings["grid_points"],
            min_valid_fraction=settings["min_valid_fraction"],
            keep_replicas=keep_replicas,
        )
    except ValueError as err:
        return failed("p", method, str(err))


def condition_analysis(
    condition: str,
    bimodal: Mapping[int, str | Path],
    gaussian: Mapping[int, str | Path],
    settings: Mapping,
    seed: int,
    *,
    keep_replicas: bool = False,
) -> dict:
    """The content of ``results/analysis/{condition}.json`` (layout in the module docstring).

    Parameters
    ----------
    condition : training condition (clean, flip-<rate>, therm-<fraction>)
    bimodal, gaussian : size L → prediction CSV of the bimodal data / of the held-out Gaussian instances
    settings : the ``analysis`` config slice
    seed : the config seed
    keep_replicas : also store the bootstrap replicas of every estimate (``analyze(keep_replicas=True)``),
        in both analysis objects: what :func:`spinglass_ml.analysis.ensemble.seed_ensemble` needs
    """
    result = _analyze_predictions(bimodal, settings, seed, "bimodal", "linear_coefficient", keep_replicas)
    return {
        "condition": condition,
        **result,
        "data": {str(L): str(p) for L, p in sorted(bimodal.items())},
        "gaussian_check": _analyze_predictions(
            gaussian, settings, seed, "gaussian", "crossing", keep_replicas
        ),
        "bootstrap": bootstrap_record(settings, seed),
        "settings": dict(settings),
    }


def _method_rows(name: str, prefix: str, result: Mapping) -> list[dict]:
    """Summary rows of one analysis object: each crossing, the linear coefficient (with ν from |dQ/dT|) and
    the collapse; a failed analysis gives one row with its reason."""

    def row(method, Tc, Tc_err, nu, nu_err, reason):
        values = (name, prefix + method, Tc, Tc_err, nu, nu_err, reason)
        return dict(zip(SUMMARY_COLUMNS, values, strict=True))

    if "collapse" not in result:
        return [row("analysis", None, None, None, None, result["reason"])]
    rows = [
        row(f"crossing_L{c['L1']}_L{c['L2']}", c["T"], c["T_err"], None, None, c["reason"])
        for c in result["crossings"]
    ]
    lin, der, col = result["linear_coefficient"], result["derivative"], result["collapse"]
    parts = [
        f"T_c: {lin['reason']}" if lin["Tc"] is None else None,
        f"ν: {der['reason']}" if der["nu"] is None else None,
    ]
    reason = "; ".join(r for r in parts if r) or None
    rows.append(row("linear_coefficient", lin["Tc"], lin["Tc_err"], der["nu"], der["nu_err"], reason))
    rows.append(row("collapse", col["Tc"], col["Tc_err"], col["nu"], col["nu_err"], col["reason"]))
    return rows


def summary_rows(conditions: Mapping[str, Mapping], physics: Mapping) -> list[dict]:
    """Rows of ``results/tables/summary.csv`` (columns :data:`SUMMARY_COLUMNS`): one per condition and
    method, then the physics reference as conditions ``physics-bimodal`` and ``physics-gaussian`` with methods
    prefixed ``binder_`` and ``xi_``."""
    rows = [row for name, result in conditions.items() for row in _method_rows(name, "", result)]
    for disorder in ("bimodal", "gaussian"):
        entry = physics.get(disorder, {"reason": f"no {disorder} data"})
        for key in ("binder", "xi"):
            rows += _method_rows(f"physics-{disorder}", f"{key}_", entry.get(key, entry))
    return rows


def with_error(value: float | None, err: float | None) -> str:
    """``value(err)`` with the error's two leading digits, e.g. 1.178(7) or 0.97(12); the bare value (4
    significant digits) without an error, "" without a value."""
    if value is None:
        return ""
    if err is None or not err > 0:
        return f"{value:.4g}"
    decimals = max(0, 1 - math.floor(math.log10(err)))
    digits = round(err * 10**decimals)
    if digits >= 20:  # keep one digit for errors 2.0..9.9 in the last place: 1.18(2), not 1.178(20)
        decimals, digits = decimals - 1, round(err * 10 ** (decimals - 1))
    return f"{value:.{max(decimals, 0)}f}({digits})"


def rounded_rows(rows: list[dict]) -> list[dict]:
    """Summary rows for reading (the report): T_c and ν as ``value(err)`` strings, errors folded in."""
    out = []
    for row in rows:
        r = dict(row)
        r["Tc"], r["nu"] = with_error(row["Tc"], row["Tc_err"]), with_error(row["nu"], row["nu_err"])
        r["Tc_err"] = r["nu_err"] = None
        out.append(r)
    return out


def write_summary(path: str | Path, rows: list[dict]) -> None:
    """CSV with header :data:`SUMMARY_COLUMNS`; null values are empty fields."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=SUMMARY_COLUMNS)
        writer.writeheader()
        writer.writerows({k: ("" if row[k] is None else row[k]) for k in SUMMARY_COLUMNS} for row in rows)


def reference_tc(analysis: Mapping) -> tuple[float | None, float | None, str]:
    """(T_c, error, label) to draw as a condition's reference: its headline T_c, or its collapse T_c
    (labelled as such) where the headline estimate does not exist."""
    if analysis.get("Tc") is not None:
        return analysis["Tc"], analysis["Tc_err"], "headline"
    collapse = analysis.get("collapse") or {}
    return collapse.get("Tc"), collapse.get("Tc_err"), "collapse"


DOSE_METHODS = ("linear coefficient", "collapse")  # the two T_c estimates drawn against the dose


def tc_estimates(analysis: Mapping) -> dict[str, tuple[float | None, float | None]]:
    """(T_c, error) of the :data:`DOSE_METHODS` of one analysis object; (None, None) for a failed analysis
    (which has no collapse section)."""
    if "collapse" not in analysis:
        return {name: (None, None) for name in DOSE_METHODS}
    return {
        "linear coefficient": (analysis["Tc"], analysis["Tc_err"]),
        "collapse": (analysis["collapse"]["Tc"], analysis["collapse"]["Tc_err"]),
    }


def dose_response(analyses: Sequence[Mapping]) -> dict[str, dict[str, list[tuple]]]:
    """kind ("flip", "therm") -> method -> [(dose, T_c, error), ...] ascending in the dose, from the analysis
    objects of the flip-* and therm-* conditions."""
    points = {kind: {m: [] for m in DOSE_METHODS} for kind in ("flip", "therm")}
    for analysis in analyses:
        condition = parse_condition(analysis["condition"])
        for method, (Tc, err) in tc_estimates(analysis).items():
            points[condition.kind][method].append((condition.value, Tc, err))
    return {
        kind: {m: sorted(p, key=lambda point: point[0]) for m, p in s.items()} for kind, s in points.items()
    }


def threshold_response(analyses: Sequence[Mapping], default_threshold: float) -> dict[str, list[tuple]]:
    """classifier ("cnn", "thermometer") -> [(label threshold, T_c, error, method), ...] ascending in the
    threshold, from the analysis objects of clean, threshold-<T>, thermometer and thermometer-<T>. T_c is the
    headline estimate, or the collapse's (method "collapse") where the headline does not exist."""
    points: dict[str, list[tuple]] = {"cnn": [], "thermometer": []}
    for analysis in analyses:
        condition = parse_condition(analysis["condition"])
        if condition.kind not in ("clean", "threshold", "thermometer"):
            continue
        Tc, err, method = reference_tc(analysis)
        points[classifier(condition)].append((label_threshold(condition, default_threshold), Tc, err, method))
    return {family: sorted(p, key=lambda point: point[0]) for family, p in points.items()}
