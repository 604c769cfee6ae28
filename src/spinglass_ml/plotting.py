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

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # figures are written to files; never needs a display

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

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


def panel_label(ax: Axes, label: str) -> None:
    """Panel letter, e.g. "(a)", in the top-left corner inside the axes."""
    ax.text(0.03, 0.97, label, transform=ax.transAxes, ha="left", va="top", fontweight="bold")


def note(ax: Axes, text: str) -> None:
    """A centred message on an empty panel, e.g. why a result is missing ("no crossing: ...")."""
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", wrap=True, color="0.3")


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
    fig, axes = figure(nrows, ncols, width=COLUMN_WIDTH if ncols == 1 else PAGE_WIDTH * min(ncols, 3) / 3,
                       aspect=0.8, sharex="row", sharey="row")  # fmt: skip
    for r, row in enumerate(grid):
        for c in range(ncols):
            ax = axes[r, c]
            panel = row[c] if c < len(row) else None
            if panel is None:
                ax.set_axis_off()
                continue
            title, bins = panel
            shown = bins.temperatures[t_index]
            errorbar(ax, bins.sweeps, bins.energy[t_index], bins.energy_err[t_index], color=PALETTE[0],
                     marker=MARKERS[0], linestyle="-", label=r"$e$")  # fmt: skip
            errorbar(ax, bins.sweeps, bins.rhs[t_index], bins.rhs_err[t_index], color=PALETTE[1],
                     marker=MARKERS[1], linestyle="--", label=r"$-(3/T)(1-q_l)$")  # fmt: skip
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
