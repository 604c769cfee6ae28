"""Figures of the finite-size-scaling analysis of one condition: fig1 (p(T, L), max |dp/dT|, the linear
coefficient, the collapse) and the p(T, L) panels of fig2 and fig3."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from spinglass_ml.figures.style import (
    MARKERS,
    PAGE_WIDTH,
    PALETTE,
    errorbar,
    figure,
    inner_note,
    note,
    panel_label,
    size_colors,
)

# ---------------------------------------------------------------- finite-size scaling (analysis stage)
# The figure functions below draw analysis objects (results/analysis/*.json, layout in
# spinglass_ml.analysis.fss): stored numbers only. Missing estimates (null with a reason) are drawn as a note
# naming the reason.
QUANTITY_LABELS = {"p": r"$p(T, L)$", "g": r"Binder ratio $g$", "xi_over_L": r"$\xi_L / L$"}


@dataclass
class CurveArrays:
    """One size's curve: data ``T``, ``mean``, ``err`` (n_T,) and its smooth fit ``fit_T``, ``fit_mean``,
    ``fit_err`` (n_fine,; empty when there is no fit) with its polynomial ``fit_coefficients`` (highest power
    first; None without a fit)."""

    T: np.ndarray
    mean: np.ndarray
    err: np.ndarray
    fit_T: np.ndarray
    fit_mean: np.ndarray
    fit_err: np.ndarray
    fit_coefficients: np.ndarray | None = None


def _arr(values) -> np.ndarray:
    """JSON list (null = NaN) as a float array."""
    return np.array([np.nan if v is None else v for v in (values or [])], dtype=float)


def curves_from(analysis: Mapping) -> dict[int, CurveArrays]:
    """The per-L curves of an analysis object as arrays, ascending L (empty if it has none)."""
    out = {}
    for key, c in sorted((analysis.get("curves") or {}).items(), key=lambda kv: int(kv[0])):
        fit = c.get("fit") or {}
        out[int(key)] = CurveArrays(
            _arr(c["T"]),
            _arr(c["mean"]),
            _arr(c["err"]),
            _arr(fit.get("T")),
            _arr(fit.get("mean")),
            _arr(fit.get("err")),
            _arr(fit["coefficients"]) if fit.get("coefficients") else None,
        )
    return out


def draw_curves(
    ax: Axes, curves: Mapping[int, CurveArrays], colors: Mapping[int, tuple[str, str]], ylabel: str
) -> None:
    """Q(T, L) with error bars for every L, and each smooth fit as a line with its error band."""
    for L, c in curves.items():
        color, marker = colors[L]
        errorbar(ax, c.T, c.mean, c.err, color=color, marker=marker, label=f"L = {L}")
        if c.fit_T.size:
            ax.plot(c.fit_T, c.fit_mean, color=color, linewidth=0.8)
            ax.fill_between(
                c.fit_T, c.fit_mean - c.fit_err, c.fit_mean + c.fit_err, color=color, alpha=0.2, linewidth=0
            )
    ax.set_xlabel(r"$T$")
    ax.set_ylabel(ylabel)


def mark_tc(
    ax: Axes, Tc: float | None, Tc_err: float | None, label: str, color: str = "0.2", linestyle: str = "--"
) -> None:
    """A vertical line at T_c with its error as a shaded band; nothing if T_c is None."""
    if Tc is None:
        return
    ax.axvline(Tc, color=color, linestyle=linestyle, linewidth=0.8, label=label)
    if Tc_err:
        ax.axvspan(Tc - Tc_err, Tc + Tc_err, color=color, alpha=0.15, linewidth=0)


def _pm(value: float | None, err: float | None, digits: int = 3) -> str:
    """'1.120 ± 0.004', or 'none' for a missing value."""
    if value is None:
        return "none"
    return f"{value:.{digits}f}" if err is None else f"{value:.{digits}f} ± {err:.{digits}f}"


def draw_derivative(
    ax: Axes,
    L: np.ndarray,
    dmax: np.ndarray,
    dmax_err: np.ndarray,
    slope: float | None,
    intercept: float | None,
    nu: float | None,
    nu_err: float | None,
) -> None:
    """ln max |dQ/dT| against ln L (error bars dmax_err / dmax) and the fitted line intercept + slope ln L."""
    errorbar(ax, np.log(L), np.log(dmax), dmax_err / dmax, color=PALETTE[0], marker=MARKERS[0])
    if slope is not None and intercept is not None:
        fine = np.linspace(np.log(L.min()) - 0.05, np.log(L.max()) + 0.05, 2)
        ax.plot(
            fine,
            intercept + slope * fine,
            color=PALETTE[7],
            linewidth=0.8,
            label=rf"fit, $\nu_{{ml}}$ = {_pm(nu, nu_err, 2)}",
        )
        ax.legend(loc="lower right")
    ax.set_xlabel(r"$\ln L$")
    ax.set_ylabel(r"$\ln \max |dp/dT|$")


def draw_derivative_curves(ax: Axes, curves: Mapping[int, CurveArrays], colors: Mapping) -> None:
    """|dQ/dT| of each size's stored smooth fit (the derivative of its polynomial) over its range: the curves
    whose interior maxima give ν_ml, drawn when there are none."""
    for L, c in sorted(curves.items()):
        color, _ = colors[L]
        fine = np.linspace(c.fit_T.min(), c.fit_T.max(), 101)
        ax.plot(fine, np.abs(np.polyval(np.polyder(c.fit_coefficients), fine)), color=color, label=f"L = {L}")
    ax.set_xlabel(r"$T$")
    ax.set_ylabel(r"$|dp/dT|$ of the smooth fit")
    ax.legend(loc="upper left")


def draw_linear_coefficient(
    ax: Axes,
    T: np.ndarray,
    c1: np.ndarray,
    c1_err: np.ndarray,
    Tc: float | None,
    Tc_err: float | None,
    legend: bool = True,
) -> None:
    """The normalised linear coefficient c1(T) with its error band, zero line (in the middle: the half the
    curve leaves free is room for a note), and its sign change T_c marked (with a legend giving T_c, unless
    ``legend`` is False)."""
    ax.plot(T, c1, color=PALETTE[0])
    ax.fill_between(T, c1 - c1_err, c1 + c1_err, color=PALETTE[0], alpha=0.25, linewidth=0)
    ax.axhline(0.0, color="0.5", linewidth=0.6)
    top = max(1.15, 1.05 * float(np.nanmax(np.abs(c1) + np.nan_to_num(c1_err))))
    ax.set_ylim(-top, top)
    mark_tc(ax, Tc, Tc_err, rf"$T_c$ = {_pm(Tc, Tc_err)}")
    if Tc is not None and legend:
        ax.legend(loc="lower right")
    ax.set_xlabel(r"$T$")
    ax.set_ylabel(r"normalised $c_1(T)$")


def _free_corner(T: np.ndarray, c1: np.ndarray, Tc: float | None) -> tuple[str, float]:
    """The corner of a c1(T) panel that the curve and the T_c line leave free, and the fraction of the width
    a note there may take: on the wider side of T_c (of the middle without T_c), below the curve where it is
    positive on that side, above it where negative; short of the T_c line (the whole width without one)."""
    middle = 0.5 * (T[0] + T[-1]) if Tc is None else Tc
    right = middle - T[0] < T[-1] - middle
    side = T > middle if right else T <= middle
    vertical = "lower" if np.nanmean(c1[side]) > 0 else "upper"
    width = 1.0 if Tc is None else 0.9 * (T[-1] - Tc if right else Tc - T[0]) / (T[-1] - T[0])
    return f"{vertical} {'right' if right else 'left'}", width


def draw_collapse(
    ax: Axes,
    L: np.ndarray,
    x: np.ndarray,
    Q: np.ndarray,
    err: np.ndarray,
    curve_x: np.ndarray,
    curve_Q: np.ndarray,
    colors: Mapping[int, tuple[str, str]],
    ylabel: str,
) -> None:
    """Points (x = L^{1/ν}(T - T_c), Q) with error bars per L, and the fitted cubic."""
    for size in sorted(set(L.astype(int))):
        sel = L == size
        color, marker = colors[size]
        errorbar(ax, x[sel], Q[sel], err[sel], color=color, marker=marker, label=f"L = {size}")
    ax.plot(curve_x, curve_Q, color=PALETTE[7], linewidth=0.8, label="cubic fit")
    ax.set_xlabel(r"$L^{1/\nu}(T - T_c)$")
    ax.set_ylabel(ylabel)


def linear_coefficient_panel(ax: Axes, analysis: Mapping) -> None:
    """Fig. 1c: the linear coefficient of ``analysis`` (an analysis object) with ν_ml; without ν_ml, the one
    with the collapse's ν, said so in a note inside the frame; the reason when there is neither."""
    linear = analysis.get("linear_coefficient") or {}
    own = bool(linear.get("T"))
    drawn = linear if own else linear.get("collapse_nu") or {}
    if not drawn.get("T"):
        note(ax, f"no linear coefficient: {linear.get('reason', analysis.get('reason'))}")
        return
    T, c1, Tc, Tc_err = _arr(drawn["T"]), _arr(drawn["c1"]), drawn.get("Tc"), drawn.get("Tc_err")
    draw_linear_coefficient(ax, T, c1, _arr(drawn["c1_err"]), Tc, Tc_err, legend=own)
    if own:
        if Tc is None:
            note(ax, str(drawn.get("reason")), where="top")
        return
    nu = _pm(analysis["collapse"]["nu"], analysis["collapse"]["nu_err"])
    found = rf"zero at $T$ = {_pm(Tc, Tc_err)}" if Tc is not None else str(drawn["reason"])
    inner_note(
        ax, rf"no $\nu_{{ml}}$: $c_1$ with $\nu$ = {nu} from the collapse; {found}", *_free_corner(T, c1, Tc)
    )


def scaling_figure(analysis: Mapping) -> Figure:
    """Fig. 1: (a) p(T, L); (b) log max dp/dT against log L with the line giving ν_ml; (c) the normalised
    linear coefficient with T_c (with the collapse's ν, said so inside the panel, where ν_ml is missing); (d)
    the data collapse with the cubic. ``analysis``: an analysis object."""
    fig, axes = figure(2, 2, width=PAGE_WIDTH * 0.75, aspect=0.75)
    (a, b), (c, d) = axes
    curves = curves_from(analysis)
    colors = size_colors(curves)
    ylabel = QUANTITY_LABELS[analysis["quantity"]]
    if curves:
        draw_curves(a, curves, colors, ylabel)
        mark_tc(a, analysis.get("Tc"), analysis.get("Tc_err"), r"$T_c$")
        a.legend(loc="lower right")
    else:
        note(a, f"no data: {analysis.get('reason')}")
    deriv = analysis.get("derivative") or {}
    per_L = deriv.get("per_L") or {}
    sizes = np.array(sorted(int(k) for k in per_L), dtype=float)
    dmax = _arr([per_L[str(int(k))]["max"] for k in sizes])
    if np.isfinite(dmax).sum() >= 1:
        draw_derivative(
            b,
            sizes,
            dmax,
            _arr([per_L[str(int(k))]["max_err"] for k in sizes]),
            deriv.get("slope"),
            deriv.get("intercept"),
            deriv.get("nu"),
            deriv.get("nu_err"),
        )
        if deriv.get("nu") is None:
            note(b, str(deriv.get("reason")), where="top")
    elif curves and all(c.fit_coefficients is not None for c in curves.values()):
        draw_derivative_curves(b, curves, colors)  # what the maxima would be read from
        note(b, f"no ν_ml: {deriv.get('reason', analysis.get('reason'))}", where="top")
    else:
        note(b, f"no derivative maxima: {deriv.get('reason', analysis.get('reason'))}")
    linear_coefficient_panel(c, analysis)
    collapse = analysis.get("collapse") or {}
    if collapse.get("coefficients") is not None:
        pts, curve = collapse["points"], collapse["curve"]
        draw_collapse(
            d,
            _arr(pts["L"]),
            _arr(pts["x"]),
            _arr(pts["Q"]),
            _arr(pts["err"]),
            _arr(curve["x"]),
            _arr(curve["Q"]),
            colors,
            ylabel,
        )
        d.set_title(  # right-aligned: the panel letter holds the left end of the title line
            rf"$T_c$ = {_pm(collapse['Tc'], collapse['Tc_err'])}, "
            rf"$\nu$ = {_pm(collapse['nu'], collapse['nu_err'])}",
            loc="right",
            fontsize=6,
        )
    else:
        note(d, f"no collapse: {collapse.get('reason', analysis.get('reason'))}")
    for ax, label in zip(axes.flat, "abcd", strict=True):
        panel_label(ax, f"({label})")
    return fig


def probability_figure(
    analysis: Mapping, title: str, reference: tuple[float | None, float | None, str]
) -> Figure:
    """Figs. 2 and 3: Q(T, L) of one condition with its T_c (if any) and a reference T_c band.

    reference : (T_c, error, label) of the comparison, e.g. the clean condition's; T_c None draws nothing.
    """
    fig, axes = figure()
    ax = axes[0, 0]
    ax.set_title(title)
    curves = curves_from(analysis)
    if curves:
        draw_curves(ax, curves, size_colors(curves), QUANTITY_LABELS[analysis["quantity"]])
        mark_tc(ax, reference[0], reference[1], reference[2], color=PALETTE[2], linestyle=":")
        Tc, Tc_err = analysis.get("Tc"), analysis.get("Tc_err")
        mark_tc(ax, Tc, Tc_err, rf"$T_c$ = {_pm(Tc, Tc_err)}")
        if Tc is None:
            note(ax, str(analysis.get("reason")), where="top")
        ax.legend(loc="lower right")
    else:
        note(ax, f"no data: {analysis.get('reason')}")
    return fig
