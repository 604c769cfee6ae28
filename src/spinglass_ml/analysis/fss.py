"""Finite-size scaling of a dimensionless quantity Q(T, L): the CNN's p(T, L) (paper Sec. II C, Fig. 1) and,
with the same code, the Binder ratio and ξ_L/L of the physics reference
(:mod:`spinglass_ml.analysis.observables`).

Method (every step is repeated on every bootstrap replica: errors are bootstrap errors of the whole chain)
----------------------------------------------------------------------------------------------------------
1. **Curves.** Q(T, L) is a disorder average, with bootstrap replicas over the instances of size L
   (:mod:`spinglass_ml.analysis.bootstrap`); the same replicas serve every later step. ``err`` = standard
   deviation over replicas 1..B.
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
   (paper Fig. 1c); T_c is its unique sign change. Without ν from step 4 the same coefficient is computed
   with the collapse's ν (step 6) under ``collapse_nu``, for the figure: it is not the headline estimate.
6. **Collapse**: all points (T, L, Q, err) fitted to Q = a0 + a1 x + a2 x² + a3 x³, x = L^{1/ν}(T − T_c),
   varying T_c, ν and a_k together (weighted least squares); χ²/dof with dof = points − 6.

JSON layout (results/analysis/{model}.json; the figures of one model's curves read this)
---------------------------------------------------------------------------------------
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
                             "Tc": float|null, "Tc_err": float|null, "reason": str|null,
                             # T, c1, c1_err are [] when there is no ν or no common range
                             "nu_source": "nu_ml" | "collapse" | null,   # the ν of the drawn coefficient
                             "collapse_nu": null | {"T", "c1", "c1_err", "nu_used", "Tc", "Tc_err",
                                                    "reason"}},  # as above, ν from the collapse
      "collapse": {"Tc": float|null, "Tc_err": float|null, "nu": float|null, "nu_err": float|null,
                   "coefficients": [a0, a1, a2, a3] | null, "coefficients_err": [4] | null,
                   "chi2": float|null, "dof": int, "chi2_dof": float|null,
                   "points": {"L": [n], "T": [n], "x": [n], "Q": [n], "err": [n]},  # x uses the fitted Tc, ν
                   "curve": {"x": [n_fine], "Q": [n_fine]},                        # the fitted cubic
                   "valid_fraction": float, "reason": str|null},
    }

With ``analyze(..., keep_replicas=True)`` every scalar estimate above (top-level ``Tc`` and ``nu``, each
crossing's ``T``, the derivative's ``nu``, the linear coefficient's ``Tc``, the collapse's ``Tc`` and ``nu``)
also has its bootstrap replicas next to it, ``"<key>_replicas": [B + 1]`` (row 0 the full sample, null where
the estimate does not exist in that replica); every other key and value is the same as without it.

``nu_source`` says which ν the coefficient of the figure uses: "nu_ml" when ν from step 4 exists in the
full sample (the coefficient is ``T``, ``c1``, ``c1_err`` itself, ``collapse_nu`` null), "collapse" when it
does not but the collapse's ν does (``collapse_nu``: the coefficient with the collapse's ν of every replica,
its sign change and reason; no replicas kept), null when neither exists (``collapse_nu`` null).

The study's files built from analysis objects are :mod:`spinglass_ml.analysis.records`'.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping

import numpy as np

from spinglass_ml.analysis.bootstrap import (
    Curve,
    bootstrap_estimate,
    floored_errors,
    json_number,
    replica_list,
    validate_curves,
)
from spinglass_ml.analysis.collapse import COLLAPSE_NU_BOUNDS, data_collapse
from spinglass_ml.analysis.linear_coefficient import linear_coefficient, with_collapse_nu
from spinglass_ml.analysis.smooth import SmoothFit, pair_crossing, smooth_fit


def _derivative_max(fit: SmoothFit) -> tuple[np.ndarray, np.ndarray]:
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


def _derivative(
    fits: dict[int, SmoothFit], sizes: list[int], min_fraction: float, keep: bool = False
) -> tuple[dict, np.ndarray]:
    """Per-L maxima of |dQ/dT| and the log-log line; also ν per replica (NaN where undefined). ``keep``: the
    ν replicas also go into the result, as ``nu_replicas``."""
    out, nu = _derivative_line(fits, sizes, min_fraction)
    if keep:
        out["nu_replicas"] = replica_list(nu)
    return out, nu


def _derivative_line(
    fits: dict[int, SmoothFit], sizes: list[int], min_fraction: float
) -> tuple[dict, np.ndarray]:
    """:func:`_derivative` without the replicas in the result."""
    per_L, t_stars, maxima = {}, {}, {}
    for L in sizes:
        t_stars[L], maxima[L] = _derivative_max(fits[L])
        valid = np.isfinite(maxima[L])
        T, T_err, _, reason = bootstrap_estimate(
            t_stars[L], valid, min_fraction, "an interior maximum of |dQ/dT|"
        )
        m, m_err, _, _ = bootstrap_estimate(maxima[L], valid, min_fraction, "")
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
    w = 1.0 / floored_errors(np.array(rel)) ** 2
    ok = np.all(np.isfinite(y), axis=1)
    a, s, chi2 = _line(x, np.where(ok[:, None], y, 0.0), w)
    a[~ok], s[~ok] = math.nan, math.nan
    slope, slope_err, _, reason = bootstrap_estimate(s, ok, min_fraction, "the log-log line")
    intercept, intercept_err, _, _ = bootstrap_estimate(a, ok, min_fraction, "")
    out.update(
        slope=slope,
        slope_err=slope_err,
        intercept=intercept,
        intercept_err=intercept_err,
        chi2_dof=json_number(chi2[0] / (len(used) - 2)) if len(used) > 2 else None,
        reason=reason,
    )
    if slope is None:
        return out, nu
    valid = ok & (s > 0)
    nu[valid] = 1.0 / s[valid]
    if s[0] <= 0:
        out["reason"] = f"max |dQ/dT| does not grow with L (slope {s[0]:.3g} <= 0): no finite ν"
        return out, np.full(n_rep, math.nan)
    out["nu"], out["nu_err"], _, out["reason"] = bootstrap_estimate(
        nu, valid, min_fraction, "a positive slope"
    )
    return out, nu


def analyze(
    curves: Mapping[int, Curve],
    *,
    quantity: str,
    method: str,
    smooth_degree: int = 3,
    grid_points: int = 201,
    min_valid_fraction: float = 0.8,
    keep_replicas: bool = False,
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
    keep_replicas : also store the bootstrap replicas of every scalar estimate, as lists (B + 1,) (row 0 the
        full sample, null where the estimate does not exist in that replica) under ``<key>_replicas`` next to
        the estimate: ``Tc_replicas``, ``nu_replicas`` (top level), ``T_replicas`` (each crossing),
        ``nu_replicas`` (derivative), ``Tc_replicas`` (linear coefficient), ``Tc_replicas`` and
        ``nu_replicas`` (collapse); what seed ensembles need (:mod:`spinglass_ml.analysis.ensemble`). Off,
        the result is exactly that of a call without it.

    Raises
    ------
    ValueError
        On invalid curves (see :func:`validate_curves`) or an unknown method.
    """
    if method not in ("linear_coefficient", "crossing", "collapse"):
        raise ValueError(f"unknown headline method {method!r}")
    sizes = validate_curves(curves)
    fits = {L: smooth_fit(curves[L], smooth_degree) for L in sizes}
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
                "chi2_dof": json_number(f.chi2_dof),
            },
        }
    crossings = [
        pair_crossing(fits[a], fits[b], a, b, min_valid_fraction, keep_replicas)
        for a, b in itertools.combinations(sizes, 2)
    ]
    derivative, nu = _derivative(fits, sizes, min_valid_fraction, keep_replicas)
    linear = linear_coefficient(fits, sizes, nu, grid_points, min_valid_fraction, keep_replicas)
    T_all = np.concatenate([curves[L].T for L in sizes])
    start_Tc = [t for t in (linear["Tc"], *(c["T"] for c in crossings)) if t is not None]
    start_Tc = start_Tc[:2] + [0.5 * (T_all.min() + T_all.max())]
    start_nu = (
        [derivative["nu"]] if derivative["nu"] and derivative["nu"] < COLLAPSE_NU_BOUNDS[1] else []
    ) + [1.0, 2.5]
    collapse, collapse_nu = data_collapse(
        curves, sizes, start_Tc, start_nu, grid_points, min_valid_fraction, keep_replicas=keep_replicas
    )
    linear = with_collapse_nu(linear, collapse, collapse_nu, fits, sizes, grid_points, min_valid_fraction)

    largest = crossings[-1]  # the pair of the two largest sizes
    Tc_part, nu_part = {
        "linear_coefficient": (linear, derivative),
        "crossing": (
            {"Tc": largest["T"], "Tc_err": largest["T_err"], "reason": largest["reason"]}
            | ({"Tc_replicas": largest["T_replicas"]} if keep_replicas else {}),
            collapse,
        ),
        "collapse": (collapse, collapse),
    }[method]
    reasons = [
        f"{name}: {part['reason']}"
        for part, key, name in ((Tc_part, "Tc", "T_c"), (nu_part, "nu", "ν"))
        if part[key] is None
    ]
    out = {
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
    if keep_replicas:
        out["Tc_replicas"], out["nu_replicas"] = Tc_part["Tc_replicas"], nu_part["nu_replicas"]
    return out
