"""Equilibration diagnostics of Monte Carlo data.

Two tests, both on disorder averages with standard errors over instances:

* **log bins**: the averages of the energy and the link overlap over the last two log bins of sweeps
  ([2^(k-1), 2^k) and [2^k, 2^(k+1))) agree within errors at every temperature;
* **Gaussian identity** (Gaussian couplings only): integration by parts over the couplings gives
  e = -(3/T)(1 - q_l) for the disorder average in equilibrium. Starting from random spins the energy
  approaches from above and -(3/T)(1 - q_l) from below, so the gap closes only in equilibrium.

Run ``python -m spinglass_ml.mc.equilibration FILE.h5 [...]`` to print the tests for Monte Carlo chunks of
one (disorder, L, sweeps); this is how the sweeps of ``config/config.yaml`` were chosen.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from spinglass_ml.mc.chunks import read_chunk

DEFAULT_SIGMAS = 4.0  # per temperature; with 20 temperatures a false alarm has probability about 1e-3


@dataclass
class Check:
    """One test at every temperature: ``z`` = disorder-averaged gap / its standard error, shape (n_T,)."""

    name: str
    temperatures: np.ndarray
    gap: np.ndarray
    z: np.ndarray
    sigmas: float
    failed: list[float] = field(init=False)

    def __post_init__(self) -> None:
        bad = ~(np.abs(self.z) <= self.sigmas)  # NaN counts as failed
        self.failed = [float(t) for t in self.temperatures[bad]]

    @property
    def passed(self) -> bool:
        return not self.failed

    def to_json(self) -> dict:
        """JSON-ready record: name, verdict, limit, failed temperatures, and at the worst temperature its
        |gap|/error (``worst_z``; null when not finite: a gap with zero error, or no data) and gap."""
        finite = np.isfinite(self.z)
        worst = int(np.nanargmax(np.abs(self.z))) if np.any(~np.isnan(self.z)) else None
        return {
            "name": self.name,
            "passed": self.passed,
            "sigmas": self.sigmas,
            "failed_temperatures": self.failed,
            "worst_z": float(abs(self.z[worst])) if worst is not None and finite[worst] else None,
            "worst_temperature": None if worst is None else float(self.temperatures[worst]),
            "worst_gap": None if worst is None else float(self.gap[worst]),
        }

    def describe(self) -> str:
        worst = int(np.nanargmax(np.abs(self.z)))
        verdict = "passed" if self.passed else f"FAILED at T = {', '.join(f'{t:.3f}' for t in self.failed)}"
        return (
            f"{self.name}: {verdict} (worst |gap|/error = {abs(self.z[worst]):.1f} at "
            f"T = {self.temperatures[worst]:.3f}, gap {self.gap[worst]:+.4f}; limit {self.sigmas:g})"
        )


def _mean_sem(per_instance: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Disorder average over axis 0 and its standard error over instances; needs at least two instances."""
    n = per_instance.shape[0]
    if n < 2:
        raise ValueError("equilibration diagnostics need at least two disorder instances")
    return per_instance.mean(axis=0), per_instance.std(axis=0, ddof=1) / np.sqrt(n)


def _z(per_instance: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean over axis 0 and mean / standard error, shape (n_T,); needs at least two instances."""
    mean, sem = _mean_sem(per_instance)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(sem > 0, mean / sem, np.where(mean == 0, 0.0, np.inf))
    return mean, z


def identity_check(energy: np.ndarray, link_overlap: np.ndarray, temperatures: np.ndarray,
                   sigmas: float = DEFAULT_SIGMAS) -> Check:  # fmt: skip
    """The Gaussian identity on window averages, energy and link_overlap of shape (n_i, n_T)."""
    gap, z = _z(energy + 3.0 / temperatures * (1.0 - link_overlap))
    return Check("energy-link-overlap identity", temperatures, gap, z, sigmas)


def logbin_check(
    logbins: np.ndarray, temperatures: np.ndarray, name: str, sigmas: float = DEFAULT_SIGMAS
) -> Check:
    """Last two log bins agree: logbins of shape (n_i, n_T, n_bins) with n_bins >= 2."""
    if logbins.shape[-1] < 2:
        raise ValueError("log-bin check needs at least two log bins (sweeps >= 4)")
    gap, z = _z(logbins[..., -1] - logbins[..., -2])
    return Check(f"last two log bins of the {name}", temperatures, gap, z, sigmas)


def equilibration_checks(
    data: dict[str, np.ndarray], disorder: str, sigmas: float = DEFAULT_SIGMAS
) -> list[Check]:
    """Every applicable check on the datasets of one (disorder, L, sweeps), instances concatenated."""
    T = data["temperatures"]
    checks = [
        logbin_check(data["logbins/energy"], T, "energy", sigmas),
        logbin_check(data["logbins/link_overlap"], T, "link overlap", sigmas),
    ]
    if disorder == "gaussian":
        checks.append(identity_check(data["energy"], data["link_overlap"], T, sigmas))
    return checks


DIAGNOSTIC_DATASETS = ("temperatures", "energy", "link_overlap", "logbins/energy", "logbins/link_overlap")


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
    instances``, ``checks`` (every :func:`equilibration_checks` check, :meth:`Check.to_json`) and, for
    Gaussian couplings, ``identity_logbins`` (:meth:`IdentityBins.to_json`)."""
    data, attrs = load_diagnostics(paths)
    disorder, sweeps = str(attrs["disorder"]), int(attrs["sweeps"])
    record = {
        "disorder": disorder,
        "L": int(attrs["L"]),
        "sweeps": sweeps,
        "instances": int(data["energy"].shape[0]),
        "checks": [c.to_json() for c in equilibration_checks(data, disorder, sigmas)],
    }
    if disorder == "gaussian":
        record["identity_logbins"] = identity_logbins(data, sweeps).to_json()
    return record


def study_report(paths: list[str], sigmas: float = DEFAULT_SIGMAS) -> list[dict]:
    """:func:`data_set_report` of every data set among chunk ``paths`` (grouped by their folder,
    ``results/mc/<disorder>/L<L>/sweeps<S>/``), in folder order: ``results/analysis/equilibration.json``."""
    sets: dict[Path, list[str]] = {}
    for path in paths:
        sets.setdefault(Path(path).parent, []).append(str(path))
    return [data_set_report(sorted(group), sigmas) for _, group in sorted(sets.items())]


def identity_panels(records: list[dict]) -> list[list[tuple[str, IdentityBins]]]:
    """The panels of fig_equilibration from :func:`study_report` records: one row per L of the Gaussian data
    sets, one panel per data set, most sweeps first."""
    rows: dict[int, list[tuple[int, IdentityBins]]] = {}
    for r in records:
        if r["disorder"] == "gaussian":
            rows.setdefault(r["L"], []).append((r["sweeps"], IdentityBins.from_json(r["identity_logbins"])))
    return [
        [(f"L = {L}, {sweeps} sweeps", bins) for sweeps, bins in sorted(rows[L], key=lambda r: -r[0])]
        for L in sorted(rows)
    ]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description="Equilibration diagnostics of Monte Carlo chunks of one (disorder, L, sweeps)."
    )
    p.add_argument("files", nargs="+")
    p.add_argument("--sigmas", type=float, default=DEFAULT_SIGMAS, help="allowed |gap|/error per temperature")
    a = p.parse_args(argv)
    data, attrs = load_diagnostics(a.files)
    n_i = data["energy"].shape[0]
    print(f"{attrs['disorder']} L={attrs['L']} sweeps={attrs['sweeps']} instances={n_i}")
    checks = equilibration_checks(data, str(attrs["disorder"]), a.sigmas)
    for c in checks:
        print("  " + c.describe())
    return 0 if all(c.passed for c in checks) else 1


if __name__ == "__main__":
    raise SystemExit(main())
