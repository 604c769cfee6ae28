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
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # figures are written to files; never needs a display

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.text import Text  # noqa: E402

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
    # the "ticks" look: white axes with a frame, no grid, outward ticks
    "axes.facecolor": "white",
    "axes.edgecolor": "0.15",
    "axes.linewidth": 0.8,
    "axes.grid": False,
    "xtick.direction": "out",
    "ytick.direction": "out",
    "xtick.major.size": 3.0,
    "ytick.major.size": 3.0,
    "xtick.major.width": 0.8,
    "ytick.major.width": 0.8,
    "legend.title_fontsize": 7,
}


def apply_style() -> None:
    """Set the study's style globally: matplotlib's defaults with the rc settings above."""
    matplotlib.rcdefaults()
    plt.rcParams.update(RC)


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
    # wrapped to the panel's width: 6 pt text is about one character per mm, 0.8 leaves a margin
    width_mm = ax.get_position().width * ax.figure.get_figwidth() * 25.4
    text = textwrap.fill(text, max(24, int(width_mm * 0.8)))
    if where == "top":  # below an existing title
        ax.set_title("\n".join(t for t in (ax.get_title(), text) if t), fontsize=6)
        return
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", fontsize=6, color="0.25")
    ax.set_xticks([])  # an empty panel: no axes to read
    ax.set_yticks([])


def inner_note(ax: Axes, text: str, loc: str = "upper left", width: float = 1.0) -> Text:
    """A small message inside a drawn panel's frame, e.g. which input its curve used, in the corner ``loc``
    ("upper left", "upper right", "lower left", "lower right"), lines flush left: broken at spaces, as
    measured once the figure is laid out, into lines no wider than ``width`` (a fraction) of the frame's
    inside, never inside "= value ± error" nor inside math (which must have no spaces)."""
    vertical, horizontal = loc.split()
    label = ax.text(
        0.03 if horizontal == "left" else 0.97,
        0.97 if vertical == "upper" else 0.03,
        "",
        transform=ax.transAxes,
        ha=horizontal,
        va="top" if vertical == "upper" else "bottom",
        multialignment="left",
        fontsize=6,
        color="0.25",
        bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1.0},
    )
    fig = ax.figure
    fig.draw_without_rendering()  # the constrained layout fixes the panel's size
    renderer = fig.canvas.get_renderer()
    limit = width * 0.92 * ax.get_window_extent(renderer).width  # 3% margins, the box's padding
    parts = text.split("$")  # outside math: no-break spaces in "= value ± error"
    parts[::2] = [t.replace(" = ", "\u00a0=\u00a0").replace(" ± ", "\u00a0±\u00a0") for t in parts[::2]]
    words = "$".join(parts).split(" ")
    lines = [words[0]]
    for word in words[1:]:
        label.set_text(f"{lines[-1]} {word}")
        if label.get_window_extent(renderer).width <= limit:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    label.set_text("\n".join(lines))
    return label


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
