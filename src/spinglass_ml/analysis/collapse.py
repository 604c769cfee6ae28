"""The data collapse: all points (T, L, Q, err) fitted to a cubic in x = L^{1/ν}(T − T_c), with T_c, ν and
the coefficients varied together by weighted least squares, on every bootstrap replica."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
from scipy.optimize import least_squares

from spinglass_ml.analysis.bootstrap import (
    Curve,
    bootstrap_error,
    floored_errors,
    json_number,
    replica_list,
)

COLLAPSE_NU_BOUNDS = (0.2, 20.0)  # a collapse ν outside this range is reported as "no collapse"


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


def data_collapse(
    curves: Mapping[int, Curve],
    sizes: list[int],
    start_Tc: list[float],
    start_nu: list[float],
    n_grid: int,
    min_fraction: float,
    *,
    keep_replicas: bool = False,
) -> tuple[dict, np.ndarray]:
    """Cubic collapse of all points, T_c and ν varied together; each replica starts from the full fit.

    Returns the ``collapse`` part of the analysis object and the fitted ν per replica (B + 1,), NaN where a
    replica's fit fails or leaves the allowed region (all NaN when the full sample has no collapse).
    ``keep_replicas``: the result also has ``Tc_replicas`` and ``nu_replicas``, lists (B + 1,), null where
    that replica's fit is NaN."""
    out = _collapse(curves, sizes, start_Tc, start_nu, n_grid, min_fraction)
    params = out.pop("_params")
    if keep_replicas:
        out["Tc_replicas"], out["nu_replicas"] = replica_list(params[:, 0]), replica_list(params[:, 1])
    return out, params[:, 1]


def _collapse(
    curves: Mapping[int, Curve],
    sizes: list[int],
    start_Tc: list[float],
    start_nu: list[float],
    n_grid: int,
    min_fraction: float,
) -> dict:
    """:func:`data_collapse`, with the fitted (T_c, ν, a0..a3) per replica under ``_params`` (B + 1, 6), NaN
    where a replica is not fitted or its fit is not valid."""
    T = np.concatenate([curves[L].T for L in sizes])
    Ls = np.concatenate([np.full(curves[L].T.size, L) for L in sizes])
    Q = np.concatenate([curves[L].replicas for L in sizes], axis=1)  # (R, n)
    err = floored_errors(Q[1:].std(axis=0, ddof=1))
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
        "_params": np.full((Q.shape[0], 6), math.nan),
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
    out["_params"] = np.where(ok[:, None], params, math.nan)
    if out["valid_fraction"] < min_fraction:
        out["reason"] = (
            f"the collapse converges in only {out['valid_fraction']:.0%} of the bootstrap resamples "
            f"(required: {min_fraction:.0%}): not a stable estimate"
        )
        return out
    errs = [bootstrap_error(params[:, k], ok) for k in range(6)]
    chi2 = 2.0 * best.cost
    x = np.exp(logL / best.x[1]) * (T - best.x[0])
    xs = np.linspace(x.min(), x.max(), n_grid)
    out.update(
        Tc=json_number(best.x[0]),
        Tc_err=json_number(errs[0]),
        nu=json_number(best.x[1]),
        nu_err=json_number(errs[1]),
        coefficients=best.x[2:].tolist(),
        coefficients_err=[json_number(e) for e in errs[2:]],
        chi2=json_number(chi2),
        chi2_dof=json_number(chi2 / dof),
    )
    out["points"]["x"] = x.tolist()
    out["curve"] = {"x": xs.tolist(), "Q": np.polynomial.polynomial.polyval(xs, best.x[2:]).tolist()}
    return out
