"""The linear coefficient of Q(T, L) = c0 + c1 L^{1/ν} over the sizes at each temperature, on every bootstrap
replica, and T_c from its sign change (paper Fig. 1c): step 5 of :func:`spinglass_ml.analysis.fss.analyze`.
Where ν_ml is missing the same coefficient is also computed with the collapse's ν, for the figure."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from spinglass_ml.analysis.bootstrap import (
    bootstrap_error,
    bootstrap_estimate,
    floored_errors,
    json_number,
    replica_list,
)
from spinglass_ml.analysis.smooth import SmoothFit, sign_changes


def linear_coefficient(
    fits: dict[int, SmoothFit],
    sizes: list[int],
    nu: np.ndarray,
    n_grid: int,
    min_fraction: float,
    keep: bool = False,
) -> dict:
    """c1(T) of Q(T, L) = c0 + c1 L^{1/ν} at each T of the common range, normalised to max |c1| = 1: the
    ``linear_coefficient`` part of the analysis object. ``nu``: ν per replica (B + 1,), NaN where undefined;
    ``keep``: the T_c replicas also go into the result, as ``Tc_replicas``."""
    out, roots = _roots(fits, sizes, nu, n_grid, min_fraction)
    if keep:
        out["Tc_replicas"] = replica_list(roots)
    return out


def with_collapse_nu(
    linear: dict,
    collapse: Mapping,
    collapse_nu: np.ndarray,
    fits: dict[int, SmoothFit],
    sizes: list[int],
    n_grid: int,
    min_fraction: float,
) -> dict:
    """``linear`` (the result of :func:`linear_coefficient`) with two keys more: ``nu_source``, the ν of the
    coefficient Fig. 1c draws ("nu_ml": ``linear``'s own curve; "collapse": ν_ml is missing, the collapse's ν
    exists; None: neither), and ``collapse_nu``, for "collapse" the coefficient with ν per replica from the
    collapse (``collapse_nu``, (B + 1,)) in the layout of :func:`linear_coefficient`, else None."""
    if linear["nu_used"] is not None:
        return linear | {"nu_source": "nu_ml", "collapse_nu": None}
    if collapse["nu"] is None:
        return linear | {"nu_source": None, "collapse_nu": None}
    return linear | {
        "nu_source": "collapse",
        "collapse_nu": _roots(fits, sizes, collapse_nu, n_grid, min_fraction)[0],
    }


def _roots(
    fits: dict[int, SmoothFit], sizes: list[int], nu: np.ndarray, n_grid: int, min_fraction: float
) -> tuple[dict, np.ndarray]:
    """:func:`linear_coefficient` and the T_c per replica (NaN where undefined)."""
    no_roots = np.full(nu.size, math.nan)
    out = {
        "T": [],
        "c1": [],
        "c1_err": [],
        "nu_used": json_number(nu[0]),
        "Tc": None,
        "Tc_err": None,
        "reason": None,
    }
    if not np.isfinite(nu[0]):
        out["reason"] = "needs ν from the maxima of |dQ/dT|, which is not available"
        return out, no_roots
    lo, hi = max(fits[L].lo for L in sizes), min(fits[L].hi for L in sizes)
    if lo >= hi:
        out["reason"] = "the temperature ranges of the sizes have no common part"
        return out, no_roots
    grid = np.linspace(lo, hi, n_grid)
    Q = np.stack([fits[L](grid) for L in sizes], axis=1)  # (R, n_L, n_grid)
    w = (
        1.0 / np.stack([floored_errors(Q[1:, k].std(axis=0, ddof=1)) for k in range(len(sizes))]) ** 2
    )  # (n_L, n_grid)
    y = np.array(sizes, float)[None, :] ** (1.0 / nu[:, None])  # (R, n_L); NaN rows where ν is undefined
    S, Sx, Sxx = w.sum(axis=0), y @ w, (y**2) @ w  # (n_grid,), (R, n_grid), (R, n_grid)
    Sy, Sxy = np.einsum("lg,rlg->rg", w, Q), np.einsum("lg,rl,rlg->rg", w, y, Q)
    c1 = (S * Sxy - Sx * Sy) / (S * Sxx - Sx**2)
    scale = np.max(np.abs(c1), axis=1, keepdims=True)
    c1 = c1 / np.where(scale > 0, scale, 1.0)
    roots = []
    for row in c1:
        zeros = sign_changes(row, grid) if np.all(np.isfinite(row)) else []
        roots.append(zeros[0] if len(zeros) == 1 else math.nan)
    roots = np.array(roots)
    valid_rows = np.all(np.isfinite(c1), axis=1)
    out.update(
        T=grid.tolist(),
        c1=c1[0].tolist(),
        c1_err=[json_number(bootstrap_error(c1[:, g], valid_rows)) for g in range(n_grid)],
    )
    out["Tc"], out["Tc_err"], _, out["reason"] = bootstrap_estimate(
        roots, np.isfinite(roots), min_fraction, "the sign change"
    )
    n0 = len(sign_changes(c1[0], grid))
    if n0 != 1:
        out["reason"] = (
            f"the linear coefficient does not change sign in [{lo:.4g}, {hi:.4g}]"
            if n0 == 0
            else f"the linear coefficient changes sign {n0} times in [{lo:.4g}, {hi:.4g}]: no unique T_c"
        )
    return out, roots
