"""Figures that compare estimates: fig_physics_reference (Binder ratio and xi_L/L beside every T_c) and
fig_dose_response (the shift of T_c from clean against the poisoning dose) and fig_threshold_response."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from spinglass_ml.figures.scaling import QUANTITY_LABELS, _arr, _pm, curves_from, draw_curves, mark_tc
from spinglass_ml.figures.style import (
    COLUMN_WIDTH,
    MARKERS,
    PAGE_WIDTH,
    PALETTE,
    apply_style,
    errorbar,
    figure,
    note,
    panel_label,
    size_colors,
)


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
    binder: Mapping,
    xi: Mapping,
    cnn: Sequence[tuple[str, float | None, float | None]],
    literature: Sequence[Mapping] = (),
) -> Figure:
    """Binder ratio and ξ_L/L of the bimodal data with their crossings, and every T_c estimate side by side
    with the CNN's. ``binder``, ``xi``: analysis objects; ``cnn``: (label, T_c or None, error) rows, e.g. the
    clean ensemble's (:func:`spinglass_ml.analysis.summary.ensemble_tc_rows`)."""
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
    rows = [
        *cnn,
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
    """The shift ΔT_c = T_c(condition) − T_c(clean) against the flip rate and against the thermalisation
    fraction, one series per estimate (the headline linear-coefficient T_c and the collapse's), with the
    paired total errors; clean is the zero line, its T_c in the legend.

    flip, therm : estimate name -> (dose, ΔT_c or None, error) per condition
        (:func:`spinglass_ml.analysis.summary.dose_response`); a None shift (no T_c for the condition or
        clean) is drawn as a cross at the top of the panel, in the estimate's colour.
    clean : estimate name -> (T_c, total error) of clean's ensemble; its order sets the colours and the order
        of the series.
    """
    fig, axes = figure(1, 2, width=PAGE_WIDTH * 0.75, aspect=0.8, sharey=True)
    panels = ((axes[0, 0], flip, "label-flip rate"), (axes[0, 1], therm, "thermalisation fraction"))
    any_shift = False
    for ax, series, xlabel in panels:
        doses = []
        ax.axhline(0.0, color="0.5", linewidth=0.8, linestyle=":")
        for i, (method, (c_tc, c_err)) in enumerate(clean.items()):
            color, marker = PALETTE[i % len(PALETTE)], MARKERS[i % len(MARKERS)]
            points = series.get(method, [])
            dose = _arr([p[0] for p in points])
            shift, err = _arr([p[1] for p in points]), _arr([p[2] for p in points])
            doses += dose.tolist()
            label = f"{method} (clean {_pm(c_tc, c_err)})" if c_tc is not None else f"{method} (clean: none)"
            if np.isfinite(shift).any():
                any_shift = True
                errorbar(ax, dose, shift, err, color=color, marker=marker, label=label)
            missing = ~np.isfinite(shift)
            if missing.any():
                ax.plot(
                    dose[missing],
                    np.full(missing.sum(), 0.95 - 0.06 * i),
                    transform=ax.get_xaxis_transform(),
                    color=color,
                    marker="x",
                    markersize=6,
                    linestyle="none",
                    label=rf"{method}: no $\Delta T_c$",
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
    axes[0, 0].set_ylabel(r"$\Delta T_c = T_c - T_c(\mathrm{clean})$")
    if not any_shift:
        axes[0, 0].set_yticks([])  # no shift anywhere: no scale to read
    return fig


def threshold_response_figure(
    points: Mapping[str, Sequence[tuple]],
    physical: tuple[float | None, float | None, str],
    default_threshold: float,
    slopes: Mapping[str, tuple[float | None, float | None]] | None = None,
) -> Figure:
    """fig_threshold_response: the bimodal T_c of each classifier against the label threshold it was trained
    with, beside the physical bimodal T_c of the same data.

    Parameters
    ----------
    points : classifier ("cnn", "thermometer") -> [(threshold, T_c or None, error or None, method), ...]
        (:func:`spinglass_ml.analysis.summary.threshold_response`); open markers: collapse T_c where the
        headline estimate does not exist; a missing T_c is a cross on the lower axis.
    physical : (T_c, error, label) of the physics reference (e.g. the ξ_L/L crossing of the largest pair)
    default_threshold : ``ml.threshold``, marked on the axis
    slopes : classifier -> (slope, total error) of its collapse T_c against the threshold, named once in its
        legend: in the collapse entry, or in the filled one where no collapse point is drawn
    """
    fig, axes = figure(width=COLUMN_WIDTH, aspect=0.8)
    ax = axes[0, 0]
    labels = {"cnn": "CNN", "thermometer": "thermometer"}
    slope_text = {
        family: f", slope {_pm(value, err)}"
        for family, (value, err) in (slopes or {}).items()
        if value is not None
    }
    thresholds = [p[0] for series in points.values() for p in series] or [default_threshold]
    lo, hi = min(thresholds) - 0.05, max(thresholds) + 0.05
    Tc_phys, err_phys, label_phys = physical
    if Tc_phys is not None:
        ax.axhline(Tc_phys, color=PALETTE[2], linewidth=0.8, label=label_phys)
        if err_phys:
            ax.axhspan(Tc_phys - err_phys, Tc_phys + err_phys, color=PALETTE[2], alpha=0.2, linewidth=0)
    missing = []
    for k, (family, series) in enumerate(points.items()):
        color, marker = PALETTE[k], MARKERS[k]
        x = np.array([p[0] for p in series], float)
        y = np.array([np.nan if p[1] is None else p[1] for p in series], float)
        e = np.array([np.nan if p[2] is None else p[2] for p in series], float)
        headline = np.array([p[3] == "headline" for p in series], bool)
        if x.size == 0:
            continue
        drawn_filled, drawn_open = (headline & np.isfinite(y)).any(), (~headline & np.isfinite(y)).any()
        slope = slope_text.get(family, "")
        filled_label = labels[family] + ("" if drawn_open else slope) if drawn_filled else None
        errorbar(ax, x, np.where(headline, y, np.nan), e, color=color, marker=marker, label=filled_label)
        open_label = f"{labels[family]} (collapse){slope}" if drawn_open else None
        errorbar(ax, x, np.where(headline, np.nan, y), e, color=color, marker=marker, markerfacecolor="white",
                 label=open_label)  # fmt: skip
        missing.append((x[~np.isfinite(y)], color))
    bottom = ax.get_ylim()[0]
    for x, color in missing:  # no T_c at all: a cross on the lower edge
        if x.size:
            ax.plot(x, np.full(x.size, bottom), marker="x", color=color, linestyle="none", clip_on=False)
    ax.axvline(default_threshold, color="0.6", linewidth=0.6, linestyle=":")
    ax.set_xlim(lo, hi)
    ax.set_xlabel("label threshold (training)")
    ax.set_ylabel(r"bimodal $T_c$")
    ax.legend(loc="best", fontsize=6)
    return fig
