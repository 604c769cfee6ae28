"""Equilibration certificate of Monte Carlo data.

Every test compares per-instance gaps with zero, on disorder averages with standard errors over instances:

* **log bins**: for the energy, the link overlap and q^2, the averages over the last three log bins of sweeps
  ([2^(k-2), 2^(k-1)), [2^(k-1), 2^k), [2^k, 2^(k+1))) are stable: both consecutive differences vanish within
  errors at every temperature;
* **Gaussian identity** (Gaussian couplings only): integration by parts over the couplings gives
  e = -(3/T)(1 - q_l) for the disorder average in equilibrium. Starting from random spins the energy
  approaches from above and -(3/T)(1 - q_l) from below, so the gap closes only in equilibrium.

A data set is *certified* when every test passes. Each test also states its *detectable drift*: sigmas times
the standard error of its gap, at the worst temperature. A gap that large would fail the test; a smaller one
can pass unseen, so a passed test bounds the remaining drift by it, and only more instances lower it.

Run ``python -m spinglass_ml.mc.equilibration FILE.h5 [...]`` to print the tests for Monte Carlo chunks of
one (disorder, L, sweeps); this is how the sweeps of ``config/config.yaml`` were chosen.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from spinglass_ml.mc.chunks import read_chunk

# Per temperature and gap; with 20 temperatures and the 7 gaps of a Gaussian certificate (two per log-binned
# observable, one identity) a false alarm has probability about 1e-2.
DEFAULT_SIGMAS = 4.0
STABLE_BINS = 3  # the last log bins that must agree
LOG_BINNED = {"logbins/energy": "the energy", "logbins/link_overlap": "the link overlap", "logbins/q2": "q^2"}


@dataclass
class Check:
    """One test at every temperature: disorder-averaged gaps ``gap`` and their standard errors ``error`` over
    instances, shape (n_T, n_gaps) (the two consecutive differences of the last three log bins, or the one
    identity gap), in the units of the observable (per spin). ``bins``: for each gap column the pair of log
    bins it compares, or None. A temperature fails when any |gap| / error exceeds ``sigmas`` (or is NaN)."""

    name: str
    temperatures: np.ndarray
    gap: np.ndarray
    error: np.ndarray
    sigmas: float
    bins: list[tuple[int, int] | None]
    z: np.ndarray = field(init=False)
    failed: list[float] = field(init=False)

    def __post_init__(self) -> None:
        with np.errstate(divide="ignore", invalid="ignore"):
            self.z = np.where(self.error > 0, self.gap / self.error, np.where(self.gap == 0, 0.0, np.inf))
        bad = ~np.all(np.abs(self.z) <= self.sigmas, axis=1)  # NaN counts as failed
        self.failed = [float(t) for t in self.temperatures[bad]]

    @property
    def passed(self) -> bool:
        return not self.failed

    @property
    def detectable_drift(self) -> float:
        """The smallest gap this test resolves at every temperature: sigmas x the largest standard error."""
        return float(self.sigmas * np.max(self.error))

    def _worst(self) -> tuple[int, int] | None:
        """(temperature, gap column) of the largest |z|, None without data."""
        if np.all(np.isnan(self.z)):
            return None
        t, k = np.unravel_index(int(np.nanargmax(np.abs(self.z))), self.z.shape)
        return int(t), int(k)

    def to_json(self) -> dict:
        """JSON-ready record: name, verdict, limit, failed temperatures, the detectable drift, and at the
        worst temperature its |gap|/error (``worst_z``; null when not finite: a gap with zero error, or no
        data), gap and compared log bins (``worst_bins``, null for the identity)."""
        worst = self._worst()
        finite = worst is not None and np.isfinite(self.z[worst])
        drift = self.detectable_drift
        return {
            "name": self.name,
            "passed": self.passed,
            "sigmas": self.sigmas,
            "failed_temperatures": self.failed,
            "detectable_drift": drift if np.isfinite(drift) else None,
            "worst_z": float(abs(self.z[worst])) if finite else None,
            "worst_temperature": None if worst is None else float(self.temperatures[worst[0]]),
            "worst_gap": None if worst is None else float(self.gap[worst]),
            "worst_bins": None if worst is None or self.bins[worst[1]] is None else list(self.bins[worst[1]]),
        }

    def describe(self) -> str:
        worst = self._worst() or (0, 0)
        verdict = "passed" if self.passed else f"FAILED at T = {', '.join(f'{t:.3f}' for t in self.failed)}"
        pair = self.bins[worst[1]]
        where = "" if pair is None else f" between log bins {pair[0]} and {pair[1]}"
        return (
            f"{self.name}: {verdict} (worst |gap|/error = {abs(self.z[worst]):.1f} at "
            f"T = {self.temperatures[worst[0]]:.3f}, gap {self.gap[worst]:+.4f}{where}; detectable drift "
            f"{self.detectable_drift:.4f}; limit {self.sigmas:g})"
        )


def _mean_sem(per_instance: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Disorder average over axis 0 and its standard error over instances; needs at least two instances."""
    n = per_instance.shape[0]
    if n < 2:
        raise ValueError("equilibration diagnostics need at least two disorder instances")
    return per_instance.mean(axis=0), per_instance.std(axis=0, ddof=1) / np.sqrt(n)


def identity_check(energy: np.ndarray, link_overlap: np.ndarray, temperatures: np.ndarray,
                   sigmas: float = DEFAULT_SIGMAS) -> Check:  # fmt: skip
    """The Gaussian identity on window averages, energy and link_overlap of shape (n_i, n_T)."""
    gap, error = _mean_sem((energy + 3.0 / temperatures * (1.0 - link_overlap))[..., None])
    return Check("energy-link-overlap identity", temperatures, gap, error, sigmas, [None])


def logbin_check(
    logbins: np.ndarray, temperatures: np.ndarray, name: str, sigmas: float = DEFAULT_SIGMAS
) -> Check:
    """The last STABLE_BINS log bins agree: logbins of shape (n_i, n_T, n_bins), n_bins >= STABLE_BINS; the
    gaps are the consecutive differences of those bins, later minus earlier."""
    n_bins = logbins.shape[-1]
    if n_bins < STABLE_BINS:
        raise ValueError(f"log-bin check needs at least {STABLE_BINS} log bins (sweeps >= 5), got {n_bins}")
    gap, error = _mean_sem(np.diff(logbins[..., -STABLE_BINS:], axis=-1))
    bins = [(k - 1, k) for k in range(n_bins - STABLE_BINS + 1, n_bins)]
    return Check(f"last {STABLE_BINS} log bins of {name}", temperatures, gap, error, sigmas, bins)


def equilibration_checks(
    data: dict[str, np.ndarray], disorder: str, sigmas: float = DEFAULT_SIGMAS
) -> list[Check]:
    """Every applicable check on the datasets of one (disorder, L, sweeps), instances concatenated."""
    T = data["temperatures"]
    checks = [logbin_check(data[key], T, name, sigmas) for key, name in LOG_BINNED.items()]
    if disorder == "gaussian":
        checks.append(identity_check(data["energy"], data["link_overlap"], T, sigmas))
    return checks


DIAGNOSTIC_DATASETS = ("temperatures", "energy", "link_overlap", *LOG_BINNED)


def load_diagnostics(paths: list[str]) -> tuple[dict[str, np.ndarray], dict]:
    """Concatenate the diagnostic datasets of several chunks of one (disorder, L, sweeps)."""
    parts = [read_chunk(p, DIAGNOSTIC_DATASETS) for p in paths]
    attrs = parts[0][1]
    for _, a in parts[1:]:
        if (a["disorder"], a["L"], a["sweeps"]) != (attrs["disorder"], attrs["L"], attrs["sweeps"]):
            raise ValueError("load_diagnostics: chunks of different (disorder, L, sweeps)")
    data = {k: np.concatenate([d[k] for d, _ in parts]) for k in DIAGNOSTIC_DATASETS if k != "temperatures"}
    data["temperatures"] = parts[0][0]["temperatures"]
    return data, attrs


class EquilibrationError(RuntimeError):
    """Training data that fail the equilibration checks."""


def equilibration_gate(paths: list[str], *, enforce: bool, sigmas: float = DEFAULT_SIGMAS) -> list[str]:
    """Run the checks on the chunks of one (disorder, L, sweeps) before training on them.

    Returns one line per failed check (empty if all pass). With ``enforce`` a failure raises
    :class:`EquilibrationError` naming L, sweeps, the failed checks and their temperatures; without it (a
    ``therm-*`` condition, poisoned on purpose) the caller records the lines in the model's provenance.
    """
    data, attrs = load_diagnostics(paths)
    checks = equilibration_checks(data, str(attrs["disorder"]), sigmas)
    failed = [f"{attrs['disorder']} L={attrs['L']} sweeps={attrs['sweeps']}: {c.describe()}" for c in checks
              if not c.passed]  # fmt: skip
    if failed and enforce:
        raise EquilibrationError(
            "training data are not in equilibrium (raise the sweeps, or train a therm-* condition on "
            "purpose):\n  " + "\n  ".join(failed)
        )
    return failed


@dataclass
class IdentityBins:
    """Both sides of the Gaussian identity per log bin, disorder averages with standard errors over instances.

    ``sweeps`` (n_bins,): sweeps done at the end of each log bin, min(2^(k+1), total sweeps); ``energy`` and
    ``rhs`` = -(3/T)(1 - q_l), with ``energy_err`` and ``rhs_err``, all of shape (n_T, n_bins), per spin.
    """

    temperatures: np.ndarray
    sweeps: np.ndarray
    energy: np.ndarray
    energy_err: np.ndarray
    rhs: np.ndarray
    rhs_err: np.ndarray

    def to_json(self) -> dict[str, list]:
        """Every array as (nested) lists, keyed by field name."""
        return {k: np.asarray(v).tolist() for k, v in asdict(self).items()}

    @classmethod
    def from_json(cls, record: dict[str, list]) -> IdentityBins:
        """Inverse of :meth:`to_json`."""
        return cls(**{k: np.asarray(v) for k, v in record.items()})


def identity_logbins(data: dict[str, np.ndarray], sweeps: int) -> IdentityBins:
    """The two sides of e = -(3/T)(1 - q_l) per log bin from :func:`load_diagnostics` data of ``sweeps``."""
    T = data["temperatures"]
    energy = data["logbins/energy"]
    rhs = -3.0 / T[None, :, None] * (1.0 - data["logbins/link_overlap"])
    ends = np.minimum(2 ** np.arange(1, energy.shape[-1] + 1), sweeps)  # bin k: 2^k <= sweep < 2^(k+1)
    return IdentityBins(T, ends, *_mean_sem(energy), *_mean_sem(rhs))


def data_set_report(paths: list[str], sigmas: float = DEFAULT_SIGMAS) -> dict:
    """JSON-ready equilibration record of the chunks of one (disorder, L, sweeps): ``disorder, L, sweeps,
    instances``, ``certified`` (every check passed), ``checks`` (every :func:`equilibration_checks`
    check, :meth:`Check.to_json`) and, for Gaussian couplings, ``identity_logbins``
    (:meth:`IdentityBins.to_json`)."""
    data, attrs = load_diagnostics(paths)
    disorder, sweeps = str(attrs["disorder"]), int(attrs["sweeps"])
    checks = equilibration_checks(data, disorder, sigmas)
    record = {
        "disorder": disorder,
        "L": int(attrs["L"]),
        "sweeps": sweeps,
        "instances": int(data["energy"].shape[0]),
        "certified": all(c.passed for c in checks),
        "checks": [c.to_json() for c in checks],
    }
    if disorder == "gaussian":
        record["identity_logbins"] = identity_logbins(data, sweeps).to_json()
    return record


def _reduced_sweeps(records: list[dict]) -> list[dict]:
    """Mark each record with ``reduced_from``: the most sweeps of its (disorder, L) (the configured ones) if
    it has fewer (a therm-<fraction> data set), else None. Returns the reduced ones with their fraction of
    the configured sweeps and verdict."""
    most: dict[tuple[str, int], int] = {}
    for r in records:
        key = (r["disorder"], r["L"])
        most[key] = max(most.get(key, 0), r["sweeps"])
    reduced = []
    for r in records:
        full = most[r["disorder"], r["L"]]
        r["reduced_from"] = full if r["sweeps"] < full else None
        if r["reduced_from"] is not None:
            keep = {k: r[k] for k in ("disorder", "L", "sweeps", "certified")}
            reduced.append({**keep, "fraction": round(r["sweeps"] / full, 4)})
    return reduced


def study_report(paths: list[str], sigmas: float = DEFAULT_SIGMAS) -> dict:
    """The equilibration record of a study, ``results/analysis/equilibration.json``, from its chunk ``paths``
    (grouped by their folder, ``results/mc/<disorder>/L<L>/sweeps<S>/``).

    Returns
    -------
    dict with ``sigmas``; ``data_sets``, the :func:`data_set_report` of every data set in folder order, each
    also with ``reduced_from``; ``therm``, per (disorder, fraction of the configured sweeps) of the reduced
    data sets: ``sweeps`` per L, ``detected_at_every_L`` (no data set of that fraction certified) and
    ``undetected_L``; and ``undetected_therm``, every reduced data set the certificate passes.
    """
    sets: dict[Path, list[str]] = {}
    for path in paths:
        sets.setdefault(Path(path).parent, []).append(str(path))
    records = [data_set_report(sorted(group), sigmas) for _, group in sorted(sets.items())]
    reduced = _reduced_sweeps(records)
    reduced.sort(key=lambda r: (r["disorder"], r["L"], r["sweeps"]))
    therm: dict[tuple[str, float], dict] = {}
    for r in reduced:
        entry = therm.setdefault((r["disorder"], r["fraction"]), {"disorder": r["disorder"],
                                 "fraction": r["fraction"], "sweeps": {}, "undetected_L": []})  # fmt: skip
        entry["sweeps"][str(r["L"])] = r["sweeps"]
        if r["certified"]:
            entry["undetected_L"].append(r["L"])
    for entry in therm.values():
        entry["detected_at_every_L"] = not entry["undetected_L"]
    return {
        "sigmas": sigmas,
        "data_sets": records,
        "therm": [therm[k] for k in sorted(therm)],
        "undetected_therm": [
            {k: r[k] for k in ("disorder", "L", "sweeps", "fraction")} for r in reduced if r["certified"]
        ],
    }


def identity_panels(report: dict) -> list[list[tuple[str, IdentityBins]]]:
    """The panels of fig_equilibration from a :func:`study_report`: one row per L of the Gaussian data sets,
    one panel per data set, most sweeps first."""
    rows: dict[int, list[tuple[int, IdentityBins]]] = {}
    for r in report["data_sets"]:
        if r["disorder"] == "gaussian":
            rows.setdefault(r["L"], []).append((r["sweeps"], IdentityBins.from_json(r["identity_logbins"])))
    return [
        [(f"L = {L}, {sweeps} sweeps", bins) for sweeps, bins in sorted(rows[L], key=lambda r: -r[0])]
        for L in sorted(rows)
    ]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description="Equilibration certificate of Monte Carlo chunks of one (disorder, L, sweeps)."
    )
    p.add_argument("files", nargs="+")
    p.add_argument("--sigmas", type=float, default=DEFAULT_SIGMAS, help="allowed |gap|/error per temperature")
    a = p.parse_args(argv)
    data, attrs = load_diagnostics(a.files)
    n_i = data["energy"].shape[0]
    checks = equilibration_checks(data, str(attrs["disorder"]), a.sigmas)
    certified = all(c.passed for c in checks)
    print(f"{attrs['disorder']} L={attrs['L']} sweeps={attrs['sweeps']} instances={n_i}: "
          f"{'certified' if certified else 'NOT certified'}")  # fmt: skip
    for c in checks:
        print("  " + c.describe())
    return 0 if certified else 1


if __name__ == "__main__":
    raise SystemExit(main())
