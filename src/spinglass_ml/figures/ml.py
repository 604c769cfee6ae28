"""Figures of the machine-learning stage: fig_training, the training curves of every condition and size."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure

from spinglass_ml.figures.style import PAGE_WIDTH, figure, panel_label, size_colors


def training_figure(histories: Mapping[str, Mapping[int, Mapping[str, np.ndarray]]]) -> Figure:
    """Loss (top row) and accuracy (bottom row) against the optimizer step, one column per condition.

    Parameters
    ----------
    histories : ``histories[condition][L]`` = the columns of :func:`spinglass_ml.ml.history.read_history`,
        arrays over the logged steps. Solid lines: the training batches (for label-flip conditions, against
        the flipped labels); dashed: the validation set (true labels).
    """
    conditions = list(histories)
    sizes = sorted({L for by_L in histories.values() for L in by_L})
    colors = size_colors(sizes)
    fig, axes = figure(2, len(conditions), width=PAGE_WIDTH, aspect=0.6, sharex="col")
    for j, condition in enumerate(conditions):
        for L, h in sorted(histories[condition].items()):
            color, marker = colors[L]
            for row, (train, val) in enumerate((("loss", "val_loss"), ("accuracy", "val_accuracy"))):
                ax = axes[row, j]
                ax.plot(h["step"], h[train], color=color, marker=marker, markersize=2, label=f"L = {L}")
                ax.plot(h["step"], h[val], color=color, marker=marker, markersize=2, linestyle="--")
        axes[0, j].set_title(condition)
        axes[1, j].set_xlabel("optimizer step")
    axes[0, 0].set_ylabel("cross-entropy")
    axes[1, 0].set_ylabel("accuracy")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, title="solid: train\ndashed: validation", loc="outside right upper")
    for k, ax in enumerate(axes.ravel()):
        panel_label(ax, f"({chr(97 + k)})")
    return fig
