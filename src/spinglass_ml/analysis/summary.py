"""The study's summary: ``results/tables/summary.csv`` from the seed ensembles of every condition
(:func:`spinglass_ml.analysis.ensemble.condition_ensemble`) and the physics reference, and the series the
comparison figures draw from the same records.

Columns (:data:`SUMMARY_COLUMNS`), one row per (condition, method); temperatures in units of the coupling:

* ``Tc``, ``nu``: the ensemble value (the mean over the condition's models);
* ``Tc_err``, ``nu_err``: the total error, disorder and training randomness
  (``total_err`` of :mod:`spinglass_ml.analysis.ensemble`); for the deterministic thermometer and the
  physics reference the disorder error alone (they have no training randomness); empty for a CNN condition
  with one model (no seed spread: ``Tc_err_disorder`` and the reason say so);
* ``n_seeds``: models in the ensemble (empty for the physics reference);
* ``Tc_seed_spread``: standard deviation of T_c over the models (0 for the thermometer);
* ``Tc_err_disorder``: the disorder (bootstrap) part of the error alone;
* ``dTc``, ``dTc_err``: T_c(condition) − T_c(clean), model k paired with clean's model k on the same
  bootstrap resamples, and its total error (empty for clean and the physics reference);
* ``reason``: why an entry is missing or incomplete.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

from spinglass_ml.ml.conditions import classifier, label_threshold, parse_condition

SUMMARY_COLUMNS = (
    "condition", "method", "Tc", "Tc_err", "nu", "nu_err", "n_seeds", "Tc_seed_spread", "Tc_err_disorder",
    "dTc", "dTc_err", "reason",
)  # fmt: skip
DOSE_METHODS = {"linear coefficient": "Tc", "collapse": "collapse.Tc"}  # figure label -> ensemble estimate


def _reasons(*parts: tuple[str, Mapping | None]) -> str | None:
    """'label: reason; ...' of the entries that have a reason."""
    out = [f"{label}{entry['reason']}" for label, entry in parts if entry and entry.get("reason")]
    return "; ".join(out) or None


def _ensemble_rows(record: Mapping) -> list[dict]:
    """Summary rows of one condition's ensemble record: each crossing, the linear coefficient (ν from the
    maxima of |dp/dT|) and the collapse."""
    name = record["condition"]
    est = record["bimodal"]["estimates"]
    shift = (record.get("shift") or {}).get("estimates", {})

    def row(method: str, tc: str, nu: str | None) -> dict:
        t, n, d = est[tc], est[nu] if nu else None, shift.get(tc)
        reason = _reasons(("T_c: " if nu else "", t), ("ν: ", n), ("ΔT_c: ", d))
        return {
            "condition": name, "method": method, "Tc": t["value"], "Tc_err": t["total_err"],
            "nu": n["value"] if n else None, "nu_err": n["total_err"] if n else None,
            "n_seeds": record["n_seeds"], "Tc_seed_spread": t["seed_spread"],
            "Tc_err_disorder": t["disorder_err"], "dTc": d["value"] if d else None,
            "dTc_err": d["total_err"] if d else None, "reason": reason,
        }  # fmt: skip

    crossings = [key for key in est if key.startswith("crossing_L")]
    rows = [row(key.removesuffix(".T"), key, None) for key in crossings]
    rows.append(row("linear_coefficient", "linear_coefficient.Tc", "derivative.nu"))
    rows.append(row("collapse", "collapse.Tc", "collapse.nu"))
    return rows


def _physics_rows(name: str, prefix: str, result: Mapping) -> list[dict]:
    """Summary rows of one physics-reference analysis object (bootstrap errors: no training randomness);
    a failed analysis gives one row with its reason."""

    def row(method, Tc, Tc_err, nu, nu_err, reason):
        values = {"condition": name, "method": prefix + method, "Tc": Tc, "Tc_err": Tc_err, "nu": nu,
                  "nu_err": nu_err, "Tc_err_disorder": Tc_err, "reason": reason}  # fmt: skip
        return {key: values.get(key) for key in SUMMARY_COLUMNS}

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


def summary_rows(ensembles: Sequence[Mapping], physics: Mapping) -> list[dict]:
    """Rows of ``results/tables/summary.csv`` (:data:`SUMMARY_COLUMNS`): every condition's methods from its
    ensemble record, then the physics reference as conditions ``physics-bimodal`` and ``physics-gaussian``
    with methods prefixed ``binder_`` and ``xi_``."""
    rows = [row for record in ensembles for row in _ensemble_rows(record)]
    for disorder in ("bimodal", "gaussian"):
        entry = physics.get(disorder, {"reason": f"no {disorder} data"})
        for key in ("binder", "xi"):
            rows += _physics_rows(f"physics-{disorder}", f"{key}_", entry.get(key, entry))
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
    """Summary rows for reading (the report): T_c, ν and ΔT_c as ``value(err)`` strings, errors folded in;
    a T_c with only its disorder error reads ``value(err) disorder only``."""
    out = []
    for row in rows:
        r = {key: row[key] for key in ("condition", "method", "n_seeds")}
        if row["Tc_err"] is None and row["Tc_err_disorder"] is not None:
            r["Tc"] = with_error(row["Tc"], row["Tc_err_disorder"]) + " disorder only"
        else:
            r["Tc"] = with_error(row["Tc"], row["Tc_err"])
        r["nu"] = with_error(row["nu"], row["nu_err"])
        r["Tc_seed_spread"] = "" if row["Tc_seed_spread"] is None else f"{row['Tc_seed_spread']:.3f}"
        r["dTc"] = with_error(row["dTc"], row["dTc_err"])
        r["reason"] = row["reason"]
        out.append(r)
    return out


def write_summary(path: str | Path, rows: list[dict]) -> None:
    """CSV with the rows' keys (in order) as header; null values are empty fields."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    columns = list(rows[0]) if rows else list(SUMMARY_COLUMNS)
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        writer.writerows({k: ("" if row[k] is None else row[k]) for k in columns} for row in rows)


def best_crossing(analysis: Mapping) -> tuple[float | None, float | None, str]:
    """(T, error, label) of the analysis object's pair crossing with the smallest error, e.g. the physical
    reference of a comparison figure; else its collapse T_c (label "collapse")."""
    found = [c for c in analysis.get("crossings", []) if c["T"] is not None and c["T_err"] is not None]
    if found:
        best = min(found, key=lambda c: c["T_err"])
        return best["T"], best["T_err"], f"crossing ({best['L1']}, {best['L2']})"
    collapse = analysis.get("collapse") or {}
    return collapse.get("Tc"), collapse.get("Tc_err"), "collapse"


def ensemble_tc(record: Mapping) -> tuple[float | None, float | None, str]:
    """(T_c, total error, label) of a condition's ensemble: the headline (linear-coefficient) T_c, or the
    collapse's (label "collapse") where the headline does not exist."""
    est = record["bimodal"]["estimates"]
    for key, label in (("Tc", "headline"), ("collapse.Tc", "collapse")):
        if est[key]["value"] is not None:
            return est[key]["value"], est[key]["total_err"], label
    return None, None, "collapse"


def ensemble_tc_rows(
    record: Mapping, name: str = "CNN (clean)"
) -> list[tuple[str, float | None, float | None]]:
    """(label, value, total error) of an ensemble's headline T_c, collapse T_c and every pair crossing, for
    a figure's list of estimates."""
    est = record["bimodal"]["estimates"]
    rows = [(rf"{name} $T_c$", "Tc"), (f"{name} collapse", "collapse.Tc")]
    rows += [
        (f"CNN p {k.split('_L')[1]}/{k.split('_L')[2][:-2]}", k) for k in est if k.startswith("crossing_L")
    ]
    return [(label, est[key]["value"], est[key]["total_err"]) for label, key in rows]


def dose_response(ensembles: Sequence[Mapping]) -> dict[str, dict[str, list[tuple]]]:
    """kind ("flip", "therm") -> method -> [(dose, ΔT_c, error), ...] ascending in the dose, from the ensemble
    records of the flip-* and therm-* conditions: the paired shifts from clean (:data:`DOSE_METHODS`)."""
    points = {kind: {m: [] for m in DOSE_METHODS} for kind in ("flip", "therm")}
    for record in ensembles:
        condition = parse_condition(record["condition"])
        for method, key in DOSE_METHODS.items():
            entry = record["shift"]["estimates"][key]
            points[condition.kind][method].append((condition.value, entry["value"], entry["total_err"]))
    return {
        kind: {m: sorted(p, key=lambda point: point[0]) for m, p in s.items()} for kind, s in points.items()
    }


def clean_tc(record: Mapping) -> dict[str, tuple[float | None, float | None]]:
    """Method -> (T_c, total error) of clean's ensemble for :data:`DOSE_METHODS`."""
    est = record["bimodal"]["estimates"]
    return {method: (est[key]["value"], est[key]["total_err"]) for method, key in DOSE_METHODS.items()}


def threshold_response(ensembles: Sequence[Mapping], default_threshold: float) -> dict[str, list[tuple]]:
    """classifier ("cnn", "thermometer") -> [(label threshold, T_c, total error, method), ...] ascending in
    the threshold, from the ensemble records of clean, threshold-<T>, thermometer and thermometer-<T>. T_c is
    the headline estimate, or the collapse's (method "collapse") where the headline does not exist."""
    points: dict[str, list[tuple]] = {"cnn": [], "thermometer": []}
    for record in ensembles:
        condition = parse_condition(record["condition"])
        if condition.kind not in ("clean", "threshold", "thermometer"):
            continue
        Tc, err, method = ensemble_tc(record)
        points[classifier(condition)].append((label_threshold(condition, default_threshold), Tc, err, method))
    return {family: sorted(p, key=lambda point: point[0]) for family, p in points.items()}
