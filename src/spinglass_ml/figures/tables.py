"""The paper's Tables I-III, written from the configuration that was run (not copied from the paper).

* Table I (Gaussian training data) and Table II (bimodal prediction data): one row per linear size,
  columns L, N_sa, N_sw, T_min, T_max, N_T, N_con as in the paper; from ``mc.gaussian`` and ``mc.bimodal``.
  Table I adds one column per ``therm-<fraction>`` condition: the reduced sweeps its training data got.
* Table III (the CNN): one row per parameter, from ``ml.cnn``, ``ml.training`` and ``ml.gpus``, with the
  software versions of the environment that wrote the table.

A table is a :class:`Table` (a header and rows of strings); :func:`write_csv` and :func:`write_latex` write
it.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from spinglass_ml.ml.conditions import parse_condition, training_sweeps

MC_HEADER = ("L", "N_sa", "N_sw", "T_min", "T_max", "N_T", "N_con")
MC_LATEX_HEADER = (r"$L$", r"$N_{\rm sa}$", r"$N_{\rm sw}$", r"$T_{\rm min}$", r"$T_{\rm max}$", r"$N_T$",
                   r"$N_{\rm con}$")  # fmt: skip


@dataclass
class Table:
    """A table of strings: ``header`` (n_columns,), ``rows`` (n_rows, n_columns), ``latex_header`` the same
    header typeset for LaTeX, ``caption`` one sentence."""

    header: tuple[str, ...]
    rows: list[tuple[str, ...]]
    caption: str
    latex_header: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        self.latex_header = self.latex_header or self.header
        widths = {len(self.header), len(self.latex_header)} | {len(r) for r in self.rows}
        if len(widths) != 1:
            raise ValueError(f"table rows and header differ in length: {sorted(widths)}")


MC_CAPTIONS = {
    "gaussian": "Parameters of the training samples with Gaussian disorder.",
    "bimodal": "Parameters of the prediction samples with bimodal disorder.",
}


def mc_table(ensemble: Mapping, disorder: str, conditions: Sequence[str] = ()) -> Table:
    """Table I (``disorder="gaussian"``) or II (``"bimodal"``) from one ``mc.<disorder>`` config section.

    Parameters
    ----------
    ensemble : ``{"temperatures": {"min", "max", "n"}, "sizes": [{"L", "instances", "sweeps", "n_con"}]}``
    disorder : ``"gaussian"`` or ``"bimodal"``, for the caption.
    conditions : the study's ``ml.conditions``; each ``therm-<fraction>`` adds a column of the reduced sweeps
        (pass only for the Gaussian training data).
    """
    caption = MC_CAPTIONS[disorder] + " Sweeps N_sw per replica; N_con overlap snapshots per instance and T."
    temps = ensemble["temperatures"]
    therm = [c for c in map(parse_condition, conditions) if c.kind == "therm"]
    header = MC_HEADER + tuple(f"N_sw {c}" for c in therm)
    latex = MC_LATEX_HEADER + tuple(rf"$N_{{\rm sw}}$ ({c})" for c in therm)
    rows = [
        (str(s["L"]), str(s["instances"]), str(s["sweeps"]), f"{temps['min']:.2f}", f"{temps['max']:.2f}",
         str(temps["n"]), str(s["n_con"]), *(str(training_sweeps(c, s["sweeps"])) for c in therm))
        for s in sorted(ensemble["sizes"], key=lambda s: s["L"])
    ]  # fmt: skip
    return Table(header, rows, caption, latex)


def cnn_table(cnn: Mapping, training: Mapping, gpus: int, software: Mapping[str, str]) -> Table:
    """Table III from ``ml.cnn``, ``ml.training`` and ``ml.gpus`` (schema defaults filled in).

    software : package name -> version of the environment, e.g. ``{"tensorflow": "2.21.0"}``.
    """
    k = cnn["kernel"]
    rows = [
        ("Number of layers", "1"),
        ("Channels in each layer", str(cnn["channels"])),
        ("Filter size", f"{k} x {k} x {k}"),
        ("Stride", str(cnn["stride"])),
        ("Padding", "periodic" if cnn["periodic"] else "open (valid)"),
        ("Activation function", "ReLU"),
        ("Optimizer", f"Adam ({training['learning_rate']:g})"),
        ("Batch size", str(training["batch_size"])),
        ("Iterations", str(training["iterations"])),
        ("Software", ", ".join(f"{name} {version}" for name, version in software.items())),
        ("GPUs per training job", str(gpus)),
    ]
    return Table(("Parameter", "Value"), rows, "CNN architecture and training parameters.")


def write_csv(table: Table, path: str | Path) -> None:
    """The table as CSV with a header row."""
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(table.header)
        writer.writerows(table.rows)


def _tex(text: str) -> str:
    """Escape the LaTeX specials that can occur in plain cells (x for the times sign)."""
    for char in "&%_#":
        text = text.replace(char, "\\" + char)
    return text.replace(" x ", r" $\times$ ")


def write_latex(table: Table, path: str | Path, label: str) -> None:
    """The table as a LaTeX ``table`` environment (booktabs rules) with caption and label."""
    spec = "l" + "r" * (len(table.header) - 1)
    lines = [
        r"\begin{table}",
        rf"\caption{{{_tex(table.caption)}}}",
        rf"\label{{{label}}}",
        rf"\begin{{tabular}}{{{spec}}}",
        r"\toprule",
        " & ".join(table.latex_header) + r" \\",
        r"\midrule",
        *(" & ".join(_tex(cell) for cell in row) + r" \\" for row in table.rows),
        r"\bottomrule",
        r"\end{tabular}",
        r"\end{table}",
    ]
    Path(path).write_text("\n".join(lines) + "\n")
