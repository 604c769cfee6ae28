"""Smooth fits of each size's curve and the crossings of pairs of sizes, on every bootstrap replica: the first
steps of :func:`spinglass_ml.analysis.fss.analyze`."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from spinglass_ml.analysis.bootstrap import Curve, bootstrap_estimate, floored_errors, replica_list


def unique_root(coeffs: np.ndarray, lo: float, hi: float) -> tuple[float, int]:
    """The real root of a polynomial (highest power first) in [lo, hi], and the number of such roots."""
    coeffs = np.trim_zeros(coeffs, "f")
    if coeffs.size < 2:
        return math.nan, 0
    r = np.roots(coeffs)
    tol = 1e-9 * max(1.0, abs(hi), abs(lo))
    real = np.sort(r.real[(np.abs(r.imag) <= tol) & (r.real >= lo) & (r.real <= hi)])
    return (float(real[0]) if real.size == 1 else math.nan), int(real.size)


def sign_changes(y: np.ndarray, x: np.ndarray) -> list[float]:
    """Zeros of a sampled function y(x), by linear interpolation between sign changes."""
    s = np.sign(y)
    idx = np.nonzero(s[:-1] * s[1:] < 0)[0]
    zeros = [float(x[k] - y[k] * (x[k + 1] - x[k]) / (y[k + 1] - y[k])) for k in idx]
    zeros += [float(x[k]) for k in np.nonzero(s == 0)[0]]
    return sorted(zeros)


@dataclass(frozen=True)
class SmoothFit:
    """Smooth fit of one size: polynomial coefficients per replica, highest power first."""

    coeffs: np.ndarray  # (B + 1, degree + 1)
    lo: float
    hi: float
    chi2_dof: float

    def __call__(self, T: np.ndarray) -> np.ndarray:
        """Values at temperatures T (n,) → (B + 1, n)."""
        return self.coeffs @ np.vander(np.asarray(T, float), self.coeffs.shape[1]).T


def smooth_fit(curve: Curve, degree: int) -> SmoothFit:
    err = floored_errors(curve.replicas[1:].std(axis=0, ddof=1))
    deg = min(degree, curve.T.size - 1)
    coeffs = np.polyfit(curve.T, curve.replicas.T, deg, w=1.0 / err).T
    dof = curve.T.size - deg - 1
    resid = (curve.replicas[0] - np.polyval(coeffs[0], curve.T)) / err
    return SmoothFit(
        coeffs, float(curve.T[0]), float(curve.T[-1]), float(resid @ resid / dof) if dof else math.nan
    )


def pair_crossing(
    f1: SmoothFit, f2: SmoothFit, L1: int, L2: int, min_fraction: float, keep: bool = False
) -> dict:
    """The crossing entry of an analysis object for sizes L1 < L2: the unique root of the difference of their
    smooth fits in the common range, on every replica (and, with ``keep``, the replicas themselves)."""
    lo, hi = max(f1.lo, f2.lo), min(f1.hi, f2.hi)
    out = {"L1": L1, "L2": L2, "T": None, "T_err": None, "Q": None, "valid_fraction": 0.0, "reason": None}
    if lo >= hi:
        out["reason"] = f"the temperature ranges of L = {L1} and L = {L2} do not overlap"
        if keep:
            out["T_replicas"] = [None] * f1.coeffs.shape[0]
        return out
    n = max(f1.coeffs.shape[1], f2.coeffs.shape[1])
    pad = [np.pad(f.coeffs, ((0, 0), (n - f.coeffs.shape[1], 0))) for f in (f1, f2)]
    diff = pad[0] - pad[1]
    found = [unique_root(d, lo, hi) for d in diff]
    roots = np.array([r for r, _ in found])
    T, err, out["valid_fraction"], reason = bootstrap_estimate(
        roots, np.isfinite(roots), min_fraction, "the crossing"
    )
    count = found[0][1]
    if count == 0:
        reason = f"the curves of L = {L1} and L = {L2} do not cross in [{lo:.4g}, {hi:.4g}]"
    elif count > 1:
        reason = (
            f"the curves of L = {L1} and L = {L2} cross {count} times in [{lo:.4g}, {hi:.4g}]: "
            "no unique crossing"
        )
    out.update(T=T, T_err=err, reason=reason)
    if T is not None:
        out["Q"] = float(np.polyval(f1.coeffs[0], T))
    if keep:
        out["T_replicas"] = replica_list(roots)
    return out
