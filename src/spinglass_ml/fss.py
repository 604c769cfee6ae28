"""Finite-size scaling of a dimensionless quantity Q(T, L): the CNN's p(T, L) (paper Sec. II C, Fig. 1) and,
with the same code, the Binder ratio and ξ_L/L of the physics reference (:mod:`spinglass_ml.observables`).

Method (every step is repeated on every bootstrap replica: errors are bootstrap errors of the whole chain)
----------------------------------------------------------------------------------------------------------
1. **Curves.** Q(T, L) is a disorder average. Replica 0 is the full sample; replicas 1..B resample the
   disorder instances of size L with replacement, from
   ``SeedSequence(seed, spawn_key=(STREAM_BOOTSTRAP, L, d))`` (d the disorder code of
   :data:`spinglass_ml.simulation.DISORDER_CODE`), over the instances sorted by id. The same replicas serve
   every later step, and the CNN's bimodal predictions and the bimodal physics reference of one L share
   them. ``err`` = standard deviation over replicas 1..B.
2. **Smooth fit** of each L: a polynomial of degree ``smooth_degree`` in T, weighted by 1/err² of the full
   sample, over that L's temperatures (grids may differ per L).
3. **Crossings** of every pair of sizes L1 < L2: the real roots of the difference of the two smooth fits
   inside the overlap of their temperature ranges. Exactly one root: the crossing; none or several: null with
   the reason. The error is the spread over the replicas that have exactly one root; fewer than
   ``min_valid_fraction`` of them → null.
4. **ν from the maximum of |dQ/dT|** of each smooth fit (an interior extremum of the fitted derivative; at the
   edge of the range → null for that L), then a weighted straight line log max|dQ/dT| = a + (1/ν) log L.
5. **T_c from the linear coefficient**: at each T of a common grid (the overlap of all ranges), the weighted
   least-squares line Q(T, L) = c0 + c1 L^{1/ν} over the sizes; c1(T) normalised by max |c1| over the grid
   (paper Fig. 1c); T_c is its unique sign change.
6. **Collapse**: all points (T, L, Q, err) fitted to Q = a0 + a1 x + a2 x² + a3 x³, x = L^{1/ν}(T − T_c),
   varying T_c, ν and a_k together (weighted least squares); χ²/dof with dof = points − 6.

JSON layout (results/analysis/{condition}.json; the figures read only this)
------------------------------------------------------------------------------
Numbers are JSON numbers; an estimate that does not exist is ``null`` with a string in the ``reason`` next to
it (``reason`` is ``null`` when the estimate exists). Keys of per-L dicts are the sizes as strings, e.g.
``"4"``. Temperatures in units of the coupling scale (k_B = 1).

An **analysis object** (the output of :func:`analyze`, one quantity of one data set)::

    {
      "quantity": "p" | "g" | "xi_over_L",
      "sizes": [4, 5, 6],                          # ascending
      "Tc": float|null, "Tc_err": float|null,       # headline estimate: method named below
      "nu": float|null, "nu_err": float|null,
      "method": "linear_coefficient" | "crossing" | "collapse",
      "reason": str|null,
      "curves": {"4": {"T": [n_T], "mean": [n_T], "err": [n_T], "instances": int,
                       "fit": {"T": [n_fine], "mean": [n_fine], "err": [n_fine],   # smooth fit and band
                               "degree": int, "coefficients": [degree+1] (highest power first, np.polyfit),
                               "chi2_dof": float|null}}, ...},
      "crossings": [{"L1": 4, "L2": 5, "T": float|null, "T_err": float|null, "Q": float|null,
                     "valid_fraction": float, "reason": str|null}, ...],  # every pair, (4,5), (4,6), (5,6)
      "derivative": {
          "per_L": {"4": {"T_star": float|null, "T_star_err": float|null,          # where |dQ/dT| is largest
                          "max": float|null, "max_err": float|null,               # max |dQ/dT|
                          "reason": str|null}, ...},
          "slope": float|null, "slope_err": float|null,                           # 1/ν of the log-log line
          "intercept": float|null, "intercept_err": float|null,                   # natural logs
          "n_sizes": int, "chi2_dof": float|null,                                 # null when n_sizes = 2
          "nu": float|null, "nu_err": float|null, "reason": str|null},
      "linear_coefficient": {"T": [n_grid], "c1": [n_grid], "c1_err": [n_grid],   # normalised, max |c1| = 1
                             "nu_used": float|null,
                             "Tc": float|null, "Tc_err": float|null, "reason": str|null},
                             # T, c1, c1_err are [] when there is no ν or no common range
      "collapse": {"Tc": float|null, "Tc_err": float|null, "nu": float|null, "nu_err": float|null,
                   "coefficients": [a0, a1, a2, a3] | null, "coefficients_err": [4] | null,
                   "chi2": float|null, "dof": int, "chi2_dof": float|null,
                   "points": {"L": [n], "T": [n], "x": [n], "Q": [n], "err": [n]},  # x uses the fitted Tc, ν
                   "curve": {"x": [n_fine], "Q": [n_fine]},                        # the fitted cubic
                   "valid_fraction": float, "reason": str|null},
    }

``results/analysis/{condition}.json`` = the analysis object of the bimodal predictions (quantity ``p``,
headline method ``linear_coefficient``: T_c from the sign change, ν = ν_ml) at the top level, plus::

    "condition": "clean", "data": "results/predictions/clean/L{L}.csv",
    "gaussian_check": <analysis object of the held-out Gaussian predictions, headline "crossing">
                      | {"reason": str} when it cannot be analysed,
    "bootstrap": {"samples": B, "seed": int, "stream": "SeedSequence(seed, spawn_key=(3, L, d))"},
    "settings": {the analysis config slice}

``results/analysis/physics_reference.json`` is described in :mod:`spinglass_ml.observables`.
"""

from __future__ import annotations

import csv
import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import least_squares

from .simulation import DISORDER_CODE

STREAM_BOOTSTRAP = 3  # after the data pipeline's streams 0-2 (split, flips, shuffle) in spinglass_ml.dataset
COLLAPSE_NU_BOUNDS = (0.2, 20.0)  # a collapse ν outside this range is reported as "no collapse"


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


def read_predictions(path: str | Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The columns instance (int), T, p of a prediction CSV (see :mod:`spinglass_ml.predict`)."""
    data = np.genfromtxt(path, delimiter=",", names=True, dtype=None, encoding="utf-8")
    if data.dtype.names != ("instance", "T", "p"):
        raise ValueError(f"{path}: columns {data.dtype.names}, expected ('instance', 'T', 'p')")
    data = np.atleast_1d(data)
    return data["instance"].astype(np.int64), data["T"].astype(np.float64), data["p"].astype(np.float64)


def prediction_curve(path: str | Path, samples: int, seed: int, L: int, disorder: str) -> Curve:
    """p(T) of one size from a prediction CSV, with bootstrap replicas over its instances."""
    instances, T, p = read_predictions(path)
    temps, table = per_instance_table(instances, T, p)
    return Curve(
        temps,
        replicas_of_means(table, bootstrap_indices(table.shape[0], samples, seed, L, disorder)),
        table.shape[0],
    )


def window(curve: Curve, lo: float | None, hi: float | None) -> Curve:
    """The temperatures of ``curve`` within [lo, hi] (None: unbounded)."""
    keep = np.ones(curve.T.size, bool)
    if lo is not None:
        keep &= curve.T >= lo
    if hi is not None:
        keep &= curve.T <= hi
    return Curve(curve.T[keep], curve.replicas[:, keep], curve.instances)


# ---------------------------------------------------------------------------------------------- helpers
def _spread(values: np.ndarray, valid: np.ndarray) -> float:
    """Bootstrap error: standard deviation of the valid replicas 1..B (ddof = 1)."""
    v = values[1:][valid[1:]]
    return float(np.std(v, ddof=1)) if v.size > 1 else math.nan


def _floored(err: np.ndarray) -> np.ndarray:
    """Errors used as fit weights: zeros (all instances agree, e.g. a saturated p) are raised to the smallest
    positive error of the same set; all zero → ones (an unweighted fit)."""
    positive = err[err > 0]
    return np.where(err > 0, err, positive.min()) if positive.size else np.ones_like(err)


def _num(x: float) -> float | None:
    """JSON number or null."""
    return None if x is None or not np.isfinite(x) else float(x)


def _estimate(values: np.ndarray, valid: np.ndarray, min_fraction: float, what: str) -> tuple:
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
    return _num(values[0]), _num(_spread(values, valid)), fraction, None


def _unique_root(coeffs: np.ndarray, lo: float, hi: float) -> tuple[float, int]:
    """The real root of a polynomial (highest power first) in [lo, hi], and the number of such roots."""
    coeffs = np.trim_zeros(coeffs, "f")
    if coeffs.size < 2:
        return math.nan, 0
    r = np.roots(coeffs)
    tol = 1e-9 * max(1.0, abs(hi), abs(lo))
    real = np.sort(r.real[(np.abs(r.imag) <= tol) & (r.real >= lo) & (r.real <= hi)])
    return (float(real[0]) if real.size == 1 else math.nan), int(real.size)


def _sign_changes(y: np.ndarray, x: np.ndarray) -> list[float]:
    """Zeros of a sampled function y(x), by linear interpolation between sign changes."""
    s = np.sign(y)
    idx = np.nonzero(s[:-1] * s[1:] < 0)[0]
    zeros = [float(x[k] - y[k] * (x[k + 1] - x[k]) / (y[k + 1] - y[k])) for k in idx]
    zeros += [float(x[k]) for k in np.nonzero(s == 0)[0]]
    return sorted(zeros)


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


@dataclass(frozen=True)
class _Fit:
    """Smooth fit of one size: polynomial coefficients per replica, highest power first."""

    coeffs: np.ndarray  # (B + 1, degree + 1)
    lo: float
    hi: float
    chi2_dof: float

    def __call__(self, T: np.ndarray) -> np.ndarray:
        """Values at temperatures T (n,) → (B + 1, n)."""
        return self.coeffs @ np.vander(np.asarray(T, float), self.coeffs.shape[1]).T


def _smooth_fit(curve: Curve, degree: int) -> _Fit:
    err = _floored(curve.replicas[1:].std(axis=0, ddof=1))
    deg = min(degree, curve.T.size - 1)
    coeffs = np.polyfit(curve.T, curve.replicas.T, deg, w=1.0 / err).T
    dof = curve.T.size - deg - 1
    resid = (curve.replicas[0] - np.polyval(coeffs[0], curve.T)) / err
    return _Fit(
        coeffs, float(curve.T[0]), float(curve.T[-1]), float(resid @ resid / dof) if dof else math.nan
    )


def _crossing(f1: _Fit, f2: _Fit, L1: int, L2: int, min_fraction: float) -> dict:
    lo, hi = max(f1.lo, f2.lo), min(f1.hi, f2.hi)
    out = {"L1": L1, "L2": L2, "T": None, "T_err": None, "Q": None, "valid_fraction": 0.0, "reason": None}
    if lo >= hi:
        out["reason"] = f"the temperature ranges of L = {L1} and L = {L2} do not overlap"
        return out
    n = max(f1.coeffs.shape[1], f2.coeffs.shape[1])
    pad = [np.pad(f.coeffs, ((0, 0), (n - f.coeffs.shape[1], 0))) for f in (f1, f2)]
    diff = pad[0] - pad[1]
    found = [_unique_root(d, lo, hi) for d in diff]
    roots = np.array([r for r, _ in found])
    T, err, out["valid_fraction"], reason = _estimate(roots, np.isfinite(roots), min_fraction, "the crossing")
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
    return out


def _derivative_max(fit: _Fit) -> tuple[np.ndarray, np.ndarray]:
    """Per replica: where |dQ/dT| is largest and that value, or NaN when the largest |dQ/dT| over [lo, hi]
    is at an edge of the range (no interior extremum)."""
    n_rep = fit.coeffs.shape[0]
    t_star, m = np.full(n_rep, math.nan), np.full(n_rep, math.nan)
    if fit.coeffs.shape[1] < 4:  # degree <= 2: dQ/dT is linear, its extremum is at an edge
        return t_star, m
    for b, c in enumerate(fit.coeffs):
        d1, d2 = np.polyder(c), np.polyder(c, 2)
        cand = [r.real for r in np.roots(d2) if abs(r.imag) < 1e-12 and fit.lo < r.real < fit.hi]
        if not cand:
            continue
        inner = max(cand, key=lambda t: abs(np.polyval(d1, t)))  # noqa: B023 - evaluated immediately
        best = abs(np.polyval(d1, inner))
        if best > max(abs(np.polyval(d1, fit.lo)), abs(np.polyval(d1, fit.hi))):
            t_star[b], m[b] = inner, best
    return t_star, m


def _line(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted straight lines y = a + s x for each row of y (R, n); weights w (n,) = 1/err².

    Returns (intercepts (R,), slopes (R,), chi2 (R,)).
    """
    S, Sx, Sxx = w.sum(), w @ x, w @ x**2
    Sy, Sxy = y @ w, y @ (w * x)
    den = S * Sxx - Sx**2
    s = (S * Sxy - Sx * Sy) / den
    a = (Sy - s * Sx) / S
    chi2 = ((y - a[:, None] - s[:, None] * x) ** 2) @ w
    return a, s, chi2


def _derivative(fits: dict[int, _Fit], sizes: list[int], min_fraction: float) -> tuple[dict, np.ndarray]:
    """Per-L maxima of |dQ/dT| and the log-log line; also ν per replica (NaN where undefined)."""
    per_L, t_stars, maxima = {}, {}, {}
    for L in sizes:
        t_stars[L], maxima[L] = _derivative_max(fits[L])
        valid = np.isfinite(maxima[L])
        T, T_err, _, reason = _estimate(t_stars[L], valid, min_fraction, "an interior maximum of |dQ/dT|")
        m, m_err, _, _ = _estimate(maxima[L], valid, min_fraction, "")
        if not valid[0]:
            reason = (
                f"L = {L}: |dQ/dT| of the smooth fit is largest at an edge of the range: no interior maximum"
            )
        per_L[str(L)] = {"T_star": T, "T_star_err": T_err, "max": m, "max_err": m_err, "reason": reason}
    n_rep = next(iter(fits.values())).coeffs.shape[0]
    out = {
        "per_L": per_L,
        "slope": None,
        "slope_err": None,
        "intercept": None,
        "intercept_err": None,
        "n_sizes": 0,
        "chi2_dof": None,
        "nu": None,
        "nu_err": None,
        "reason": None,
    }
    nu = np.full(n_rep, math.nan)
    used = [L for L in sizes if per_L[str(L)]["max"] is not None]
    out["n_sizes"] = len(used)
    if len(used) < 2:
        out["reason"] = f"needs an interior maximum of |dQ/dT| for at least two sizes; found it for {used}"
        return out, nu
    x = np.log(np.array(used, float))
    y = np.log(np.stack([maxima[L] for L in used], axis=1))  # (R, n) NaN where a replica has no maximum
    rel = [(per_L[str(L)]["max_err"] or math.nan) / per_L[str(L)]["max"] for L in used]
    w = 1.0 / _floored(np.array(rel)) ** 2
    ok = np.all(np.isfinite(y), axis=1)
    a, s, chi2 = _line(x, np.where(ok[:, None], y, 0.0), w)
    a[~ok], s[~ok] = math.nan, math.nan
    slope, slope_err, _, reason = _estimate(s, ok, min_fraction, "the log-log line")
    intercept, intercept_err, _, _ = _estimate(a, ok, min_fraction, "")
    out.update(
        slope=slope,
        slope_err=slope_err,
        intercept=intercept,
        intercept_err=intercept_err,
        chi2_dof=_num(chi2[0] / (len(used) - 2)) if len(used) > 2 else None,
        reason=reason,
    )
    if slope is None:
        return out, nu
    valid = ok & (s > 0)
    nu[valid] = 1.0 / s[valid]
    if s[0] <= 0:
        out["reason"] = f"max |dQ/dT| does not grow with L (slope {s[0]:.3g} <= 0): no finite ν"
        return out, np.full(n_rep, math.nan)
    out["nu"], out["nu_err"], _, out["reason"] = _estimate(nu, valid, min_fraction, "a positive slope")
    return out, nu


def _linear_coefficient(
    fits: dict[int, _Fit], sizes: list[int], nu: np.ndarray, n_grid: int, min_fraction: float
) -> dict:
    """c1(T) of Q(T, L) = c0 + c1 L^{1/ν} at each T of the common range, normalised to max |c1| = 1."""
    out = {
        "T": [],
        "c1": [],
        "c1_err": [],
        "nu_used": _num(nu[0]),
        "Tc": None,
        "Tc_err": None,
        "reason": None,
    }
    if not np.isfinite(nu[0]):
        out["reason"] = "needs ν from the maxima of |dQ/dT|, which is not available"
        return out
    lo, hi = max(fits[L].lo for L in sizes), min(fits[L].hi for L in sizes)
    if lo >= hi:
        out["reason"] = "the temperature ranges of the sizes have no common part"
        return out
    grid = np.linspace(lo, hi, n_grid)
    Q = np.stack([fits[L](grid) for L in sizes], axis=1)  # (R, n_L, n_grid)
    w = (
        1.0 / np.stack([_floored(Q[1:, k].std(axis=0, ddof=1)) for k in range(len(sizes))]) ** 2
    )  # (n_L, n_grid)
    y = np.array(sizes, float)[None, :] ** (1.0 / nu[:, None])  # (R, n_L); NaN rows where ν is undefined
    S, Sx, Sxx = w.sum(axis=0), y @ w, (y**2) @ w  # (n_grid,), (R, n_grid), (R, n_grid)
    Sy, Sxy = np.einsum("lg,rlg->rg", w, Q), np.einsum("lg,rl,rlg->rg", w, y, Q)
    c1 = (S * Sxy - Sx * Sy) / (S * Sxx - Sx**2)
    scale = np.max(np.abs(c1), axis=1, keepdims=True)
    c1 = c1 / np.where(scale > 0, scale, 1.0)
    roots = []
    for row in c1:
        zeros = _sign_changes(row, grid) if np.all(np.isfinite(row)) else []
        roots.append(zeros[0] if len(zeros) == 1 else math.nan)
    roots = np.array(roots)
    valid_rows = np.all(np.isfinite(c1), axis=1)
    out.update(
        T=grid.tolist(),
        c1=c1[0].tolist(),
        c1_err=[_num(_spread(c1[:, g], valid_rows)) for g in range(n_grid)],
    )
    out["Tc"], out["Tc_err"], _, out["reason"] = _estimate(
        roots, np.isfinite(roots), min_fraction, "the sign change"
    )
    n0 = len(_sign_changes(c1[0], grid))
    if n0 != 1:
        out["reason"] = (
            f"the linear coefficient does not change sign in [{lo:.4g}, {hi:.4g}]"
            if n0 == 0
            else f"the linear coefficient changes sign {n0} times in [{lo:.4g}, {hi:.4g}]: no unique T_c"
        )
    return out


def _collapse_fit(T: np.ndarray, logL: np.ndarray, Q: np.ndarray, err: np.ndarray, start: np.ndarray):
    """Least-squares fit of Q = a0 + a1 x + a2 x² + a3 x³, x = L^{1/ν}(T − T_c); params (T_c, ν, a0..a3)."""

    def parts(p):
        y = np.exp(logL / p[1])
        x = y * (T - p[0])
        poly = p[2] + x * (p[3] + x * (p[4] + x * p[5]))
        dpoly = p[3] + x * (2 * p[4] + 3 * x * p[5])
        return x, y, poly, dpoly

    def resid(p):
        return (Q - parts(p)[2]) / err

    def jac(p):
        x, y, _, dpoly = parts(p)
        cols = [dpoly * y, dpoly * x * logL / p[1] ** 2, -np.ones_like(x), -x, -(x**2), -(x**3)]
        return np.stack(cols, axis=1) / err[:, None]

    with np.errstate(over="ignore", invalid="ignore"):  # a diverging trial step is rejected, not an error
        return least_squares(resid, start, jac=jac, method="lm", xtol=1e-10, ftol=1e-10, max_nfev=200)


def _collapse(
    curves: Mapping[int, Curve],
    sizes: list[int],
    start_Tc: list[float],
    start_nu: list[float],
    n_grid: int,
    min_fraction: float,
) -> dict:
    """Cubic collapse of all points, T_c and ν varied together; each replica starts from the full fit."""
    T = np.concatenate([curves[L].T for L in sizes])
    Ls = np.concatenate([np.full(curves[L].T.size, L) for L in sizes])
    Q = np.concatenate([curves[L].replicas for L in sizes], axis=1)  # (R, n)
    err = _floored(Q[1:].std(axis=0, ddof=1))
    logL = np.log(Ls.astype(float))
    lo, hi = float(T.min()), float(T.max())
    n, dof = T.size, T.size - 6
    out = {
        "Tc": None,
        "Tc_err": None,
        "nu": None,
        "nu_err": None,
        "coefficients": None,
        "coefficients_err": None,
        "chi2": None,
        "dof": dof,
        "chi2_dof": None,
        "points": {"L": Ls.tolist(), "T": T.tolist(), "x": [], "Q": Q[0].tolist(), "err": err.tolist()},
        "curve": {"x": [], "Q": []},
        "valid_fraction": 0.0,
        "reason": None,
    }
    if dof < 1:
        out["reason"] = (
            f"{n} points cannot fix 6 parameters (T_c, ν, 4 cubic coefficients) with a χ² to spare"
        )
        return out

    def good(fit) -> bool:
        Tc, nu = fit.x[:2]
        return bool(fit.success and lo <= Tc <= hi and COLLAPSE_NU_BOUNDS[0] < nu < COLLAPSE_NU_BOUNDS[1])

    def start(Tc, nu):
        x = np.exp(logL / nu) * (T - Tc)
        return np.concatenate([[Tc, nu], np.polyfit(x, Q[0], 3, w=1 / err)[::-1]])

    tries = [_collapse_fit(T, logL, Q[0], err, start(t, v)) for t in start_Tc for v in start_nu]
    best = min(tries, key=lambda f: (not good(f), f.cost))
    if not good(best):  # no replica is fitted: their errors would describe no estimate
        Tc, nu = best.x[:2]
        out["reason"] = (
            "the collapse fit did not converge"
            if not best.success
            else f"the collapse fit ends outside the allowed region (T_c = {Tc:.4g} not in "
            f"[{lo:.4g}, {hi:.4g}] or ν = {nu:.3g} not in {COLLAPSE_NU_BOUNDS}): no collapse"
        )
        return out
    params = np.full((Q.shape[0], 6), math.nan)
    params[0] = best.x
    ok = np.ones(Q.shape[0], bool)
    for b in range(1, Q.shape[0]):
        fit = _collapse_fit(T, logL, Q[b], err, best.x)
        ok[b] = good(fit)
        params[b] = fit.x
    out["valid_fraction"] = float(ok[1:].mean())
    if out["valid_fraction"] < min_fraction:
        out["reason"] = (
            f"the collapse converges in only {out['valid_fraction']:.0%} of the bootstrap resamples "
            f"(required: {min_fraction:.0%}): not a stable estimate"
        )
        return out
    errs = [_spread(params[:, k], ok) for k in range(6)]
    chi2 = 2.0 * best.cost
    x = np.exp(logL / best.x[1]) * (T - best.x[0])
    xs = np.linspace(x.min(), x.max(), n_grid)
    out.update(
        Tc=_num(best.x[0]),
        Tc_err=_num(errs[0]),
        nu=_num(best.x[1]),
        nu_err=_num(errs[1]),
        coefficients=best.x[2:].tolist(),
        coefficients_err=[_num(e) for e in errs[2:]],
        chi2=_num(chi2),
        chi2_dof=_num(chi2 / dof),
    )
    out["points"]["x"] = x.tolist()
    out["curve"] = {"x": xs.tolist(), "Q": np.polynomial.polynomial.polyval(xs, best.x[2:]).tolist()}
    return out


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


def analyze(
    curves: Mapping[int, Curve],
    *,
    quantity: str,
    method: str,
    smooth_degree: int = 3,
    grid_points: int = 201,
    min_valid_fraction: float = 0.8,
) -> dict:
    """The whole finite-size-scaling chain of one quantity (see the module docstring): the analysis object.

    Parameters
    ----------
    curves : size L → :class:`Curve` (temperatures and bootstrap replicas of Q(T, L)); grids may differ
    quantity : name stored in the result ("p", "g", "xi_over_L")
    method : the headline estimate: "linear_coefficient" (T_c from its sign change, ν from |dQ/dT| maxima),
        "crossing" (T_c from the crossing of the two largest sizes, ν from the collapse) or "collapse"
    smooth_degree : degree of the polynomial smooth fit of each curve in T (at most n_T − 1)
    grid_points : points of the common temperature grid (linear coefficient) and of the drawn fit curves
    min_valid_fraction : an estimate must exist in at least this fraction of the bootstrap resamples

    Raises
    ------
    ValueError
        On invalid curves (see :func:`validate_curves`) or an unknown method.
    """
    if method not in ("linear_coefficient", "crossing", "collapse"):
        raise ValueError(f"unknown headline method {method!r}")
    sizes = validate_curves(curves)
    fits = {L: _smooth_fit(curves[L], smooth_degree) for L in sizes}
    out_curves = {}
    for L in sizes:
        c, f = curves[L], fits[L]
        fine = np.linspace(f.lo, f.hi, grid_points)
        band = f(fine)
        out_curves[str(L)] = {
            "T": c.T.tolist(),
            "mean": c.replicas[0].tolist(),
            "err": c.replicas[1:].std(axis=0, ddof=1).tolist(),
            "instances": int(c.instances),
            "fit": {
                "T": fine.tolist(),
                "mean": band[0].tolist(),
                "err": band[1:].std(axis=0, ddof=1).tolist(),
                "degree": f.coeffs.shape[1] - 1,
                "coefficients": f.coeffs[0].tolist(),
                "chi2_dof": _num(f.chi2_dof),
            },
        }
    crossings = [
        _crossing(fits[a], fits[b], a, b, min_valid_fraction) for a, b in itertools.combinations(sizes, 2)
    ]
    derivative, nu = _derivative(fits, sizes, min_valid_fraction)
    linear = _linear_coefficient(fits, sizes, nu, grid_points, min_valid_fraction)
    T_all = np.concatenate([curves[L].T for L in sizes])
    start_Tc = [t for t in (linear["Tc"], *(c["T"] for c in crossings)) if t is not None]
    start_Tc = start_Tc[:2] + [0.5 * (T_all.min() + T_all.max())]
    start_nu = (
        [derivative["nu"]] if derivative["nu"] and derivative["nu"] < COLLAPSE_NU_BOUNDS[1] else []
    ) + [1.0, 2.5]
    collapse = _collapse(curves, sizes, start_Tc, start_nu, grid_points, min_valid_fraction)

    largest = crossings[-1]  # the pair of the two largest sizes
    Tc_part, nu_part = {
        "linear_coefficient": (linear, derivative),
        "crossing": ({"Tc": largest["T"], "Tc_err": largest["T_err"], "reason": largest["reason"]}, collapse),
        "collapse": (collapse, collapse),
    }[method]
    reasons = [
        f"{name}: {part['reason']}"
        for part, key, name in ((Tc_part, "Tc", "T_c"), (nu_part, "nu", "ν"))
        if part[key] is None
    ]
    return {
        "quantity": quantity,
        "sizes": sizes,
        "Tc": Tc_part["Tc"],
        "Tc_err": Tc_part["Tc_err"],
        "nu": nu_part["nu"],
        "nu_err": nu_part["nu_err"],
        "method": method,
        "reason": "; ".join(reasons) or None,
        "curves": out_curves,
        "crossings": crossings,
        "derivative": derivative,
        "linear_coefficient": linear,
        "collapse": collapse,
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
    paths: Mapping[int, str | Path], settings: Mapping, seed: int, disorder: str, method: str
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
        )
    except ValueError as err:
        return failed("p", method, str(err))


def condition_analysis(
    condition: str,
    bimodal: Mapping[int, str | Path],
    gaussian: Mapping[int, str | Path],
    settings: Mapping,
    seed: int,
) -> dict:
    """The content of ``results/analysis/{condition}.json`` (layout in the module docstring).

    Parameters
    ----------
    condition : training condition (clean, flip-<rate>, therm-<fraction>)
    bimodal, gaussian : size L → prediction CSV of the bimodal data / of the held-out Gaussian instances
    settings : the ``analysis`` config slice
    seed : the config seed
    """
    result = _analyze_predictions(bimodal, settings, seed, "bimodal", "linear_coefficient")
    return {
        "condition": condition,
        **result,
        "data": {str(L): str(p) for L, p in sorted(bimodal.items())},
        "gaussian_check": _analyze_predictions(gaussian, settings, seed, "gaussian", "crossing"),
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


def write_summary(path: str | Path, rows: list[dict]) -> None:
    """CSV with header :data:`SUMMARY_COLUMNS`; null values are empty fields."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=SUMMARY_COLUMNS)
        writer.writeheader()
        writer.writerows({k: ("" if row[k] is None else row[k]) for k in SUMMARY_COLUMNS} for row in rows)
