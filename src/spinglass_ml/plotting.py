"""One plotting style for every figure of the study, and the figure functions.

Conventions, shared by every figure function (here and appended by other stages):

* a figure function takes arrays (and plain numbers or strings), never paths or analysis results to compute,
  and returns the :class:`matplotlib.figure.Figure`; the rule's script reads the stored data and calls
  :func:`save`;
* sizes follow a two-column journal: :data:`COLUMN_WIDTH` (one column) or :data:`PAGE_WIDTH` (both), in
  inches, with fonts of 8 pt so that the figure is readable printed at that width;
* colours come from :data:`PALETTE`, the Okabe-Ito colour-blind-safe palette; series that differ by a size L
  use :func:`size_colors`, and markers differ too (:data:`MARKERS`) so a grey-scale print stays readable;
* every number that has an error bar is drawn with it (:func:`errorbar`).

Use :func:`figure` to get a styled figure and axes, and :func:`save` to write ``<base>.pdf`` and
``<base>.png``.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # figures are written to files; never needs a display

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from .diagnostics import IdentityBins  # noqa: E402

COLUMN_WIDTH = 3.4  # inches: one column of a two-column journal page (8.6 cm)
PAGE_WIDTH = 7.0  # inches: the full page width
DPI = 300  # PNG resolution

# Okabe & Ito (2008), the colour-blind-safe qualitative palette; black last for reference lines
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]

RC = {
    "font.size": 8,
    "axes.labelsize": 8,
    "axes.titlesize": 8,
    "legend.fontsize": 7,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "lines.linewidth": 1.0,
    "lines.markersize": 3.5,
    "errorbar.capsize": 1.5,
    "legend.frameon": False,
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
    "savefig.dpi": DPI,
    "savefig.bbox": "tight",
    "savefig.pad_inches": 0.02,
    "pdf.fonttype": 42,  # TrueType in the PDF: text stays editable and searchable
    "mathtext.fontset": "dejavusans",
}


def apply_style() -> None:
    """Set the study's style globally (seaborn 'ticks' with the rc overrides above)."""
    sns.set_theme(context="paper", style="ticks", palette=PALETTE, rc=RC)


def figure(
    nrows: int = 1, ncols: int = 1, width: float = COLUMN_WIDTH, aspect: float = 0.75, **kwargs
) -> tuple[Figure, np.ndarray]:
    """A styled figure with a grid of axes.

    Parameters
    ----------
    nrows, ncols : grid of panels.
    width : figure width in inches (:data:`COLUMN_WIDTH` or :data:`PAGE_WIDTH`).
    aspect : height / width of one panel.
    **kwargs : passed to :func:`matplotlib.pyplot.subplots`.

    Returns
    -------
    fig, axes : the figure and its axes as an array of shape (nrows, ncols).
    """
    apply_style()
    height = width / ncols * aspect * nrows
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(width, height), squeeze=False, layout="constrained", **kwargs
    )
    return fig, axes


def size_colors(sizes: Sequence[int]) -> dict[int, tuple[str, str]]:
    """Colour and marker of each linear size L, in ascending L, the same in every figure of one study."""
    ordered = sorted({int(L) for L in sizes})
    return {L: (PALETTE[i % len(PALETTE)], MARKERS[i % len(MARKERS)]) for i, L in enumerate(ordered)}


def errorbar(ax: Axes, x: np.ndarray, y: np.ndarray, yerr: np.ndarray | None, **kwargs):
    """Points with error bars (``yerr`` None only where a value has no error), line and marker styled.

    x, y, yerr : arrays of the same shape (n,). Non-finite points are dropped, so a missing value is a gap.
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    keep = np.isfinite(x) & np.isfinite(y)
    err = None if yerr is None else np.where(np.isfinite(yerr), yerr, 0.0)[keep]
    kwargs.setdefault("linestyle", "none")
    kwargs.setdefault("elinewidth", 0.8)
    return ax.errorbar(x[keep], y[keep], yerr=err, **kwargs)


def binomial_err(accuracy: np.ndarray, n: int) -> np.ndarray:
    """Standard error ``sqrt(a (1 - a) / n)`` of fractions ``accuracy`` (n,) measured on ``n`` examples."""
    accuracy = np.asarray(accuracy, float)
    return np.sqrt(accuracy * (1 - accuracy) / n)


def panel_label(ax: Axes, label: str) -> None:
    """Panel letter, e.g. "(a)", above the top-left corner (outside the data)."""
    ax.set_title(label, loc="left", fontweight="bold")


def note(ax: Axes, text: str, where: str = "center") -> None:
    """A small message, e.g. why a result is missing: centred on an empty panel, or as the title of a drawn
    panel (``where="top"``)."""
    text = textwrap.fill(text, 56)
    if where == "top":  # below an existing title
        ax.set_title("\n".join(t for t in (ax.get_title(), text) if t), fontsize=6)
        return
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", fontsize=6, color="0.25")
    ax.set_xticks([])  # an empty panel: no axes to read
    ax.set_yticks([])


def save(fig: Figure, pdf: str | Path, png: str | Path | None = None) -> list[Path]:
    """Write the figure as PDF and PNG (``png`` defaults to ``pdf`` with suffix .png) and close it.

    Returns the paths written. Parent directories are created.
    """
    pdf = Path(pdf)
    png = pdf.with_suffix(".png") if png is None else Path(png)
    for path in (pdf, png):
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return [pdf, png]


# ---------------------------------------------------------------- Monte Carlo stage
def equilibration(grid: Sequence[Sequence[tuple[str, IdentityBins] | None]], t_index: int = 0) -> Figure:
    """Both sides of the Gaussian identity e = -(3/T)(1 - q_l) against log-binned sweeps.

    Parameters
    ----------
    grid : rows of panels (one row per L, one column per data set, e.g. the configured sweeps and each
        reduced-sweep therm-* set); each panel is (title, :class:`~spinglass_ml.diagnostics.IdentityBins`),
        or None for an empty place.
    t_index : index of the temperature shown (0 = the lowest, slowest to equilibrate).

    The two sides meet, within error bars, only once the data are in equilibrium.
    """
    nrows, ncols = len(grid), max(len(row) for row in grid)
    fig, axes = figure(
        nrows,
        ncols,
        width=COLUMN_WIDTH if ncols == 1 else PAGE_WIDTH * min(ncols, 3) / 3,
        aspect=0.8,
        sharex="row",
        sharey="row",
    )
    for r, row in enumerate(grid):
        for c in range(ncols):
            ax = axes[r, c]
            panel = row[c] if c < len(row) else None
            if panel is None:
                ax.set_axis_off()
                continue
            title, bins = panel
            shown = bins.temperatures[t_index]
            sides = (
                (bins.energy, bins.energy_err, "-", r"$e$"),
                (bins.rhs, bins.rhs_err, "--", r"$-(3/T)(1-q_l)$"),
            )
            for k, (values, errs, linestyle, label) in enumerate(sides):
                errorbar(
                    ax,
                    bins.sweeps,
                    values[t_index],
                    errs[t_index],
                    color=PALETTE[k],
                    marker=MARKERS[k],
                    linestyle=linestyle,
                    label=label,
                )
            ax.set_xscale("log", base=2)
            ax.set_title(title)
            if r == nrows - 1:
                ax.set_xlabel("sweeps (end of log bin)")
            if c == 0:
                ax.set_ylabel("energy per spin")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    title = f"Gaussian identity at T = {shown:.3f}"
    fig.legend(handles, labels, loc="outside upper center", ncols=2, title=title)
    return fig


# ---------------------------------------------------------------- finite-size scaling (analysis stage)
# The figure functions below draw analysis objects (results/analysis/*.json, layout in spinglass_ml.fss):
# stored numbers only. Missing estimates (null with a reason) are drawn as a note naming the reason.
QUANTITY_LABELS = {"p": r"$p(T, L)$", "g": r"Binder ratio $g$", "xi_over_L": r"$\xi_L / L$"}


@dataclass
class CurveArrays:
    """One size's curve: data ``T``, ``mean``, ``err`` (n_T,) and its smooth fit ``fit_T``, ``fit_mean``,
    ``fit_err`` (n_fine,; empty when there is no fit)."""

    T: np.ndarray
    mean: np.ndarray
    err: np.ndarray
    fit_T: np.ndarray
    fit_mean: np.ndarray
    fit_err: np.ndarray


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


def draw_linear_coefficient(
    ax: Axes, T: np.ndarray, c1: np.ndarray, c1_err: np.ndarray, Tc: float | None, Tc_err: float | None
) -> None:
    """The normalised linear coefficient c1(T) with its error band, zero line, and T_c marked."""
    ax.plot(T, c1, color=PALETTE[0])
    ax.fill_between(T, c1 - c1_err, c1 + c1_err, color=PALETTE[0], alpha=0.25, linewidth=0)
    ax.axhline(0.0, color="0.5", linewidth=0.6)
    mark_tc(ax, Tc, Tc_err, rf"$T_c$ = {_pm(Tc, Tc_err)}")
    if Tc is not None:
        ax.legend(loc="lower right")
    ax.set_xlabel(r"$T$")
    ax.set_ylabel(r"normalised $c_1(T)$")


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


def scaling_figure(analysis: Mapping) -> Figure:
    """Fig. 1: (a) p(T, L); (b) log max dp/dT against log L with the line giving ν_ml; (c) the normalised
    linear coefficient with T_c; (d) the data collapse with the cubic. ``analysis``: an analysis object."""
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
    else:
        note(b, f"no derivative maxima: {deriv.get('reason', analysis.get('reason'))}")
    linear = analysis.get("linear_coefficient") or {}
    if linear.get("T"):
        draw_linear_coefficient(
            c,
            _arr(linear["T"]),
            _arr(linear["c1"]),
            _arr(linear["c1_err"]),
            linear.get("Tc"),
            linear.get("Tc_err"),
        )
        if linear.get("Tc") is None:
            note(c, str(linear.get("reason")), where="top")
    else:
        note(c, f"no linear coefficient: {linear.get('reason', analysis.get('reason'))}")
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


def draw_estimates(
    ax: Axes, rows: Sequence[tuple[str, float | None, float | None]], literature: Sequence[Mapping] = ()
) -> None:
    """T_c estimates as horizontal error bars, one row each (top to bottom); a missing one is written 'none'.

    literature : ``{"label", "Tc", "Tc_err"}`` published values, drawn as vertical lines with bands.
    """
    y = np.arange(len(rows))[::-1]
    for yi, (_, value, err) in zip(y, rows, strict=True):
        if value is None:
            ax.text(
                0.5,
                yi,
                "none",
                transform=ax.get_yaxis_transform(),
                ha="center",
                va="center",
                color="0.35",
                style="italic",
            )
        else:
            ax.errorbar(value, yi, xerr=err or 0.0, color=PALETTE[0], marker=MARKERS[0], linestyle="none")
    for i, ref in enumerate(literature):
        color = PALETTE[(i + 1) % len(PALETTE)]
        mark_tc(
            ax,
            ref["Tc"],
            ref.get("Tc_err"),
            f"{ref['label']}: {_pm(ref['Tc'], ref.get('Tc_err'))}",
            color=color,
            linestyle=":",
        )
    ax.set_yticks(y, [r[0] for r in rows])
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.set_xlabel(r"$T_c$")
    if not literature and all(r[1] is None for r in rows):
        ax.set_xticks([])  # no T_c anywhere: no scale to read
    if literature:
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.25), ncols=1)


def _crossing_rows(analysis: Mapping | None, name: str) -> list[tuple[str, float | None, float | None]]:
    """One row per successive pair of sizes of an analysis object's crossings."""
    return [
        (f"{name} {c['L1']}/{c['L2']}", c["T"], c["T_err"]) for c in (analysis or {}).get("crossings", [])
    ]


def physics_reference_figure(
    binder: Mapping, xi: Mapping, cnn: Mapping, literature: Sequence[Mapping] = ()
) -> Figure:
    """Binder ratio and ξ_L/L of the bimodal data with their crossings, and every T_c estimate side by side
    with the CNN's (its headline T_c and its own pair crossings). Arguments are analysis objects."""
    fig = plt.figure(figsize=(PAGE_WIDTH, PAGE_WIDTH * 0.36), layout="constrained")
    apply_style()
    axes = fig.subplots(1, 3, width_ratios=[1, 1, 1.1])
    for ax, obj, label in zip(axes[:2], (binder, xi), "ab", strict=True):
        curves = curves_from(obj)
        if curves:
            draw_curves(ax, curves, size_colors(curves), QUANTITY_LABELS[obj["quantity"]])
            for c in obj.get("crossings", []):
                if c["T"] is not None:
                    ax.errorbar(
                        c["T"],
                        c["Q"],
                        xerr=c["T_err"] or 0.0,
                        color="0.1",
                        marker="*",
                        markersize=6,
                        linestyle="none",
                    )
            ax.legend(loc="best")
        else:
            note(ax, f"no data: {obj.get('reason')}")
        panel_label(ax, f"({label})")
    collapse = cnn.get("collapse") or {}  # absent from an analysis that failed altogether
    rows = [
        (r"CNN (clean) $T_c$", cnn.get("Tc"), cnn.get("Tc_err")),
        ("CNN (clean) collapse", collapse.get("Tc"), collapse.get("Tc_err")),
        *_crossing_rows(cnn, "CNN p"),
        *_crossing_rows(binder, "Binder g"),
        *_crossing_rows(xi, r"$\xi_L/L$"),
    ]
    draw_estimates(axes[2], rows, literature)
    panel_label(axes[2], "(c)")
    return fig


def dose_response_figure(
    flip: Mapping[str, Sequence[tuple[float, float | None, float | None]]],
    therm: Mapping[str, Sequence[tuple[float, float | None, float | None]]],
    clean: Mapping[str, tuple[float | None, float | None]],
) -> Figure:
    """T_c against the flip rate and against the thermalisation fraction, one series per estimate (e.g. the
    headline linear-coefficient T_c and the collapse's); the clean T_c of each as a band.

    flip, therm : estimate name -> (dose, T_c or None, error) per condition; a None T_c ("no crossing") is
        drawn as a cross at the top of the panel, in the estimate's colour.
    clean : estimate name -> (T_c, error) of the clean condition (T_c None: no band); its order sets the
        colours and the order of the series.
    """
    fig, axes = figure(1, 2, width=PAGE_WIDTH * 0.75, aspect=0.8, sharey=True)
    panels = ((axes[0, 0], flip, "label-flip rate"), (axes[0, 1], therm, "thermalisation fraction"))
    any_tc = False
    for ax, series, xlabel in panels:
        doses = []
        for i, (method, (c_tc, c_err)) in enumerate(clean.items()):
            color, marker = PALETTE[i % len(PALETTE)], MARKERS[i % len(MARKERS)]
            if c_tc is not None:
                any_tc = True
                ax.axhline(
                    c_tc,
                    color=color,
                    linewidth=0.8,
                    linestyle=":",
                    label=rf"clean, {method}: {_pm(c_tc, c_err)}",
                )
                if c_err:
                    ax.axhspan(c_tc - c_err, c_tc + c_err, color=color, alpha=0.15, linewidth=0)
            points = series.get(method, [])
            dose = _arr([p[0] for p in points])
            Tc, err = _arr([p[1] for p in points]), _arr([p[2] for p in points])
            doses += dose.tolist()
            if np.isfinite(Tc).any():
                any_tc = True
                errorbar(ax, dose, Tc, err, color=color, marker=marker, label=method)
            missing = ~np.isfinite(Tc)
            if missing.any():
                ax.plot(
                    dose[missing],
                    np.full(missing.sum(), 0.95 - 0.06 * i),
                    transform=ax.get_xaxis_transform(),
                    color=color,
                    marker="x",
                    markersize=6,
                    linestyle="none",
                    label=f"{method}: no $T_c$",
                )
        if not doses:
            note(ax, "no such condition in ml.conditions", where="top")  # keeps the shared y axis
        elif xlabel.startswith("label") and min(doses) > 0 and max(doses) / min(doses) >= 10:
            ax.set_xscale("log")
        ax.set_xlabel(xlabel)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    for h, lab in zip(*axes[0, 1].get_legend_handles_labels(), strict=True):
        if lab not in labels:
            handles.append(h)
            labels.append(lab)
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncols=2)
    axes[0, 0].set_ylabel(r"$T_c$")
    if not any_tc:
        axes[0, 0].set_yticks([])  # no T_c anywhere: no scale to read
    return fig


# ---------------------------------------------------------------- robustness: trade-off and uncertainty
TRADEOFF_SERIES = (
    ("test_accuracy", "test"),
    ("robust_accuracy", "robust, input PGD"),
    ("feature_robust_accuracy", "robust, feature PGD"),
)
MODEL_STYLES = {"clean": ("-", "clean training"), "adversarial": ("--", "adversarial training")}


def tradeoff(
    curves: Mapping[int, Mapping[str, Mapping[str, np.ndarray]]],
    n_test: Mapping[int, int],
    majority: Mapping[int, float],
) -> Figure:
    """Test and PGD robust accuracy after every epoch: one column per L, one row per model.

    Parameters
    ----------
    curves : ``curves[L][model]`` with ``model`` "clean" or "adversarial", a mapping of ``epoch`` and the
        :data:`TRADEOFF_SERIES` keys to arrays (n_epochs,); accuracies are fractions in [0, 1].
    n_test : test examples per L; error bars are binomial, ``sqrt(a (1 - a) / n)``.
    majority : fraction of the test examples in their more frequent class, per L: the accuracy of a
        constant prediction, drawn as a dotted line.
    """
    sizes = sorted(curves)
    models = [m for m in MODEL_STYLES if any(m in curves[L] for L in sizes)]
    fig, axes = figure(len(models), len(sizes), width=PAGE_WIDTH if len(sizes) > 1 else COLUMN_WIDTH,
                       aspect=0.7, sharex=True, sharey=True)  # fmt: skip
    for c, L in enumerate(sizes):
        for r, model in enumerate(models):
            ax = axes[r, c]
            series = curves[L].get(model)
            if series is None:
                note(ax, f"no {model} model")
                continue
            for k, (key, label) in enumerate(TRADEOFF_SERIES):
                acc = np.asarray(series[key], float)
                errorbar(ax, series["epoch"], acc, binomial_err(acc, n_test[L]), color=PALETTE[k],
                         marker=MARKERS[k], linestyle="-", label=label)  # fmt: skip
            ax.axhline(majority[L], color=PALETTE[-1], linewidth=0.6, linestyle=":", label="constant guess")
            ax.set_title(f"L = {L}, {MODEL_STYLES[model][1]}")
            ax.set_ylim(-0.02, 1.02)
            ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        axes[-1, c].set_xlabel("epoch")
    for r in range(len(models)):
        axes[r, 0].set_ylabel("accuracy")
    axes[0, -1].legend(loc="lower right", fontsize=5)
    return fig


def uncertainty(
    spreads: Mapping[int, Mapping[str, tuple[np.ndarray, np.ndarray]]],
    medians: Mapping[int, Mapping[str, Mapping[str, tuple[np.ndarray, np.ndarray]]]],
    bound: float = 0.5,
) -> Figure:
    """The neural packets' spreads against the claimed bound ``Dx Dp >= bound``.

    Parameters
    ----------
    spreads : ``spreads[L][space] = (dx, dp)``, arrays over every class and free coordinate of the last epoch
        of the clean model; ``space`` is "input" or "feature"
    medians : ``medians[L][model][space] = (epoch, median Dx Dp over coordinates and classes)``
    bound : the claimed lower bound, drawn as the curve ``Dx Dp = bound`` and a horizontal line

    Panel (a): Dp against Dx (log Dp), one colour per L, circles for the input and triangles for the
    features. Panel (b): the median product over training, solid clean, dashed adversarially trained; a
    product of exactly 0 (a network whose loss no longer depends on the variable) cannot be drawn on the log
    scale and leaves a gap.
    """
    fig, axes = figure(1, 2, width=PAGE_WIDTH, aspect=0.8)
    colors = size_colors(list(spreads))
    marker = {"input": "o", "feature": "^"}
    ax = axes[0, 0]
    for L, by_space in sorted(spreads.items()):
        for space, (dx, dp) in by_space.items():
            keep = np.isfinite(dx) & np.isfinite(dp) & (dp > 0)
            ax.scatter(dx[keep], dp[keep], s=4, marker=marker[space], color=colors[L][0], alpha=0.5,
                       linewidths=0, label=f"L = {L}, {space}")  # fmt: skip
    lo, hi = ax.get_xlim()
    x = np.linspace(lo, hi, 50)
    ax.plot(x, bound / x, color=PALETTE[-1], linewidth=0.8, label=rf"$\Delta x\,\Delta p = {bound:g}$")
    ax.set_yscale("log")
    ax.set_xlabel(r"$\Delta x_i$")
    ax.set_ylabel(r"$\Delta p_i$")
    ax.legend(loc="lower left", fontsize=5, markerscale=2, ncol=2)
    panel_label(ax, "(a)")
    ax = axes[0, 1]
    for L, by_model in sorted(medians.items()):
        for model, by_space in by_model.items():
            for space, (epoch, median) in by_space.items():
                median = np.where(np.asarray(median, float) > 0, median, np.nan)
                ax.plot(epoch, median, color=colors[L][0], marker=marker[space],
                        linestyle=MODEL_STYLES[model][0])  # fmt: skip
    ax.axhline(bound, color=PALETTE[-1], linewidth=0.8)
    handles = [
        *(Line2D([], [], color=colors[L][0], label=f"L = {L}") for L in sorted(medians)),
        *(Line2D([], [], color="0.4", marker=m, linestyle="none", label=s) for s, m in marker.items()),
        *(Line2D([], [], color="0.4", linestyle=ls, label=name) for ls, name in MODEL_STYLES.values()),
        Line2D([], [], color=PALETTE[-1], label="claimed bound"),
    ]
    ax.legend(handles=handles, loc="lower left", fontsize=5, ncol=3)
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel(r"median $\Delta x_i\,\Delta p_i$")
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    panel_label(ax, "(b)")
    return fig


ADVERSARIAL_GROUPS = {
    "ordered": "ordered",
    "disordered": "disordered",
    "adversarial_ordered": "adv., from ordered",
    "adversarial_disordered": "adv., from disordered",
}


ATTACK_LABELS = {"fgsm": "FGSM", "pgd": "PGD", "pgd_random_start": "PGD, random start", "momentum": "MI-FGSM"}


def _model_style(model: str) -> str:
    """Solid for the clean model, dashed for adversarially trained ones."""
    return "-" if model == "clean" else "--"


def adversarial_figure(
    by_epsilon: Mapping[int, Mapping[str, tuple[np.ndarray, np.ndarray]]],
    by_flips: Mapping[int, Mapping[str, tuple[np.ndarray, np.ndarray]]],
    by_temperature: Mapping[str, tuple[np.ndarray, np.ndarray]],
    *,
    threshold: float,
    report_epsilon: float,
    L_temperature: int,
    majority: float,
    attack: str = "pgd",
    n_test: Mapping[int, int] | None = None,
) -> Figure:
    """Robust accuracy of the clean and adversarially trained classifiers.

    Parameters
    ----------
    by_epsilon : ``by_epsilon[L][model] = (epsilon, robust accuracy)`` of the continuous attack, arrays (n,)
    by_flips : ``by_flips[L][model] = (k, robust accuracy with k flipped sites)``, arrays (k_max + 1,)
    by_temperature : ``by_temperature[model] = (T, fraction of the correctly classified examples fooled)``
        at size ``L_temperature`` and radius ``report_epsilon``; NaN where no example was correct
    threshold : the labelling temperature, marked in panel (c)
    majority : accuracy of the constant prediction of the more frequent class (dotted line in (a), (b)):
        a robust accuracy at or below it means the attack has left the model nothing
    attack : the continuous attack, a key of :data:`ATTACK_LABELS`, for the axis labels
    n_test : test examples per L: binomial error bars on (a) and (b), as in :func:`tradeoff` (None: none)

    Panel (a): robust accuracy against epsilon (symmetric-log axis, so epsilon = 0, the clean accuracy,
    shows); (b) against the number of flipped sites; (c) the fooled fraction per temperature. One colour
    per L; solid clean, dashed adversarially trained.
    """
    fig, axes = figure(1, 3, width=PAGE_WIDTH, aspect=0.85)
    colors = size_colors(list(by_epsilon))
    attack = ATTACK_LABELS[attack]
    for ax, data, xlabel in (
        (axes[0, 0], by_epsilon, rf"{attack} radius $\epsilon$ ($L_\infty$, overlap units)"),
        (axes[0, 1], by_flips, "flipped sites $k$"),
    ):
        for L, by_model in sorted(data.items()):
            for model, (x, acc) in by_model.items():
                err = None if n_test is None else binomial_err(acc, n_test[L])
                errorbar(ax, x, acc, err, color=colors[L][0], marker=colors[L][1],
                         linestyle=_model_style(model), label=f"L = {L}, {model}")  # fmt: skip
        ax.axhline(majority, color=PALETTE[-1], linewidth=0.6, linestyle=":", label="constant guess")
        ax.set_xlabel(xlabel)
        ax.set_ylim(-0.02, 1.02)
    axes[0, 0].set_xscale("symlog", linthresh=0.02)
    axes[0, 0].set_xlim(left=0.0)
    axes[0, 0].set_ylabel("robust accuracy")
    axes[0, 0].legend(loc="lower left", fontsize=5)
    ax = axes[0, 2]
    for k, (model, (T, fooled)) in enumerate(by_temperature.items()):
        ax.plot(T, fooled, color=PALETTE[k % len(PALETTE)], marker=MARKERS[k % len(MARKERS)],
                linestyle=_model_style(model), label=model)  # fmt: skip
    ax.axvline(threshold, color=PALETTE[-1], linewidth=0.5, linestyle=":")
    ax.set_xlabel("$T$")
    ax.set_ylabel(f"fooled fraction, {attack} $\\epsilon$ = {report_epsilon:g}")
    ax.set_title(f"L = {L_temperature}")
    ax.set_ylim(-0.02, 1.02)
    ax.legend(loc="upper right", fontsize=5)
    for ax, label in zip(axes[0], ("(a)", "(b)", "(c)"), strict=True):
        panel_label(ax, label)
    return fig


def activations_figure(
    maps: Mapping[str, Mapping[str, np.ndarray]],
    violations: Mapping[str, Mapping[str, float]],
    *,
    L: int,
    report_epsilon: float,
) -> Figure:
    """Mean activation maps of the convolution and the symmetry violations, one row per model.

    Parameters
    ----------
    maps : ``maps[model][group]`` float (m, m, m, channels), the mean activation of each group of
        :data:`ADVERSARIAL_GROUPS` (absent groups are left blank)
    violations : ``violations[model][symmetry] = mean |p(g x) - p(x)|`` for "global_flip",
        "translation", "cubic"
    L : lattice size, for the title
    report_epsilon : PGD radius of the adversarial examples

    Each map is drawn as channels (rows) x output positions (columns, C order over the m x m x m cube), on
    one colour scale for the whole figure; the last column compares the symmetry violations.
    """
    models = list(maps)
    groups = list(ADVERSARIAL_GROUPS)
    fig, axes = figure(len(models), len(groups) + 1, width=PAGE_WIDTH, aspect=0.8)
    vmax = max(float(np.max(a)) for by_group in maps.values() for a in by_group.values())
    image = None
    for row, model in enumerate(models):
        for col, group in enumerate(groups):
            ax = axes[row, col]
            if group not in maps[model]:
                ax.set_axis_off()
                continue
            a = np.asarray(maps[model][group])
            image = ax.imshow(a.reshape(-1, a.shape[-1]).T, aspect="auto", cmap="viridis", vmin=0.0,
                              vmax=vmax, interpolation="nearest")  # fmt: skip
            ax.set_yticks(range(a.shape[-1]) if col == 0 else [])
            ax.set_xticks([])
            if row == 0:
                ax.set_title(ADVERSARIAL_GROUPS[group], fontsize=6)
            if col == 0:
                ax.set_ylabel(f"{model}\nchannel")
            if row == len(models) - 1:
                ax.set_xlabel(f"position ({a.shape[0]}$^3$)")
        ax = axes[row, -1]
        names = ["global_flip", "translation", "cubic"]
        values = [violations[model][n] for n in names]
        ax.bar(range(3), values, color=[PALETTE[i] for i in range(3)])
        ax.set_xticks(range(3), ["flip", "transl.", "cubic"], fontsize=5)
        ax.set_ylabel(r"mean $|\Delta p|$", fontsize=6)
        top = max(max(v.values()) for v in violations.values())
        ax.set_ylim(0, 1.1 * top if top > 0 else 1.0)
        if row == 0:
            ax.set_title("symmetry violation", fontsize=6)
    if image is not None:
        fig.colorbar(image, ax=axes[:, :-1], location="bottom", shrink=0.5, label="mean activation")
    fig.suptitle(f"L = {L}: convolution activations (adversarial: PGD, $\\epsilon$ = {report_epsilon:g})",
                 fontsize=7)  # fmt: skip
    return fig
