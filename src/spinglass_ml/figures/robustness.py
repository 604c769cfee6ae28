"""Figures of the robustness extensions: fig_adversarial, fig_activations, fig_tradeoff, fig_uncertainty."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from spinglass_ml.figures.style import (
    COLUMN_WIDTH,
    MARKERS,
    PAGE_WIDTH,
    PALETTE,
    binomial_err,
    errorbar,
    figure,
    note,
    panel_label,
    size_colors,
)

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
