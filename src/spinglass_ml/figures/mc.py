"""Figures of the Monte Carlo stage: fig_equilibration."""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.figure import Figure

from spinglass_ml.figures.style import COLUMN_WIDTH, MARKERS, PAGE_WIDTH, PALETTE, errorbar, figure
from spinglass_ml.mc.equilibration import IdentityBins


# ---------------------------------------------------------------- Monte Carlo stage
def equilibration(grid: Sequence[Sequence[tuple[str, IdentityBins] | None]], t_index: int = 0) -> Figure:
    """Both sides of the Gaussian identity e = -(3/T)(1 - q_l) against log-binned sweeps.

    Parameters
    ----------
    grid : rows of panels (one row per L, one column per data set, e.g. the configured sweeps and each
        reduced-sweep therm-* set); each panel is (title,
        :class:`~spinglass_ml.mc.equilibration.IdentityBins`), or None for an empty place.
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
