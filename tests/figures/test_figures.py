"""Figures and tables: the shared style, the figure functions, the tables and the named targets."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from spinglass_ml.figures import comparison, mc, robustness, scaling, style, tables
from spinglass_ml.mc.equilibration import identity_logbins

REPO = Path(__file__).resolve().parents[2]

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def run_snakemake(workdir: Path, *args: str, timeout: int = 600) -> tuple[int, str]:
    """Snakemake on the repository's Snakefile in `workdir` (never the repository); (exit code, output)."""
    workdir.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-d", str(workdir), *args]
    proc = subprocess.run(cmd, check=False, cwd=REPO, capture_output=True, text=True, timeout=timeout)
    return proc.returncode, proc.stdout + proc.stderr


def assert_images(pdf: Path, png: Path | None = None) -> None:
    """Both files exist, are non-empty and start with their format's signature."""
    png = pdf.with_suffix(".png") if png is None else png
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 1000
    assert png.read_bytes()[:8] == PNG_MAGIC and png.stat().st_size > 1000


def test_save_writes_pdf_and_png_at_column_width(tmp_path):
    fig, axes = style.figure(1, 2)
    style.errorbar(axes[0, 0], np.arange(3), np.array([1.0, np.nan, 2.0]), np.array([0.1, 0.1, 0.2]))
    written = style.save(fig, tmp_path / "sub" / "f.pdf")
    assert written == [tmp_path / "sub" / "f.pdf", tmp_path / "sub" / "f.png"]
    assert_images(*written)
    from PIL import Image

    width_px = Image.open(written[1]).size[0]  # bbox 'tight' trims or pads a little around COLUMN_WIDTH
    assert abs(width_px / style.DPI - style.COLUMN_WIDTH) < 0.3


def test_size_colors_are_stable_and_distinct():
    colors = style.size_colors([6, 4, 5, 4])
    assert list(colors) == [4, 5, 6]
    assert len({c for c, _ in colors.values()}) == 3 and len({m for _, m in colors.values()}) == 3
    assert style.size_colors([4, 5])[4] == colors[4]


def test_errorbar_drops_nonfinite_points():
    fig, axes = style.figure()
    container = style.errorbar(axes[0, 0], [1, 2, 3], [1.0, np.nan, 3.0], [0.1, 0.2, np.nan])
    line = container.lines[0]
    assert np.array_equal(line.get_xdata(), [1.0, 3.0])


# ---------------------------------------------------------------- tables
def _tiny():
    return yaml.safe_load((REPO / "config" / "tiny.yaml").read_text())


def test_mc_table_follows_the_config():
    config = _tiny()
    gaussian = config["mc"]["gaussian"]
    table = tables.mc_table(gaussian, "gaussian", config["ml"]["conditions"])
    assert table.header == (*tables.MC_HEADER, "N_sw therm-0.5")
    assert table.rows[0] == ("2", "5", "64", "0.80", "1.21", "4", "4", "32")
    gaussian["sizes"][0].update(instances=7, sweeps=100, n_con=3)
    gaussian["temperatures"]["max"] = 1.3
    table = tables.mc_table(gaussian, "gaussian", ["clean", "therm-0.25", "therm-0.5"])
    assert table.rows[0] == ("2", "7", "100", "0.80", "1.30", "4", "3", "25", "50")
    assert [r[0] for r in tables.mc_table(config["mc"]["bimodal"], "bimodal").rows] == ["2", "4"]


def test_cnn_table_follows_the_config():
    cnn = {"channels": 7, "kernel": 5, "stride": 1, "periodic": False}
    training = {"learning_rate": 3e-4, "batch_size": 64, "iterations": 123}
    rows = dict(tables.cnn_table(cnn, training, 2, {"keras": "3.1"}).rows)
    assert rows["Channels in each layer"] == "7" and rows["Filter size"] == "5 x 5 x 5"
    assert rows["Stride"] == "1" and rows["Padding"] == "open (valid)"
    assert rows["Optimizer"] == "Adam (0.0003)" and rows["Batch size"] == "64" and rows["Iterations"] == "123"
    assert rows["Software"] == "keras 3.1" and rows["GPUs per training job"] == "2"


def test_table_files(tmp_path):
    table = tables.Table(("a_b", "c"), [("1 x 2", "50%")], "Cap & more.", ("$a$", "$c$"))
    tables.write_csv(table, tmp_path / "t.csv")
    assert (tmp_path / "t.csv").read_text().splitlines() == ["a_b,c", "1 x 2,50%"]
    tables.write_latex(table, tmp_path / "t.tex", "tab:t")
    tex = (tmp_path / "t.tex").read_text()
    assert r"\caption{Cap \& more.}" in tex and r"\label{tab:t}" in tex
    assert r"$a$ & $c$ \\" in tex and r"1 $\times$ 2 & 50\% \\" in tex
    assert tex.count(r"\begin{tabular}{lr}") == 1 and tex.rstrip().endswith(r"\end{table}")
    with pytest.raises(ValueError, match="differ in length"):
        tables.Table(("a",), [("1", "2")], "x")


def test_table_rules_follow_a_changed_config(tmp_path):
    """The table targets on a modified tiny config (no Monte Carlo needed): the CSVs show the new values."""
    config = _tiny()
    config["mc"]["bimodal"]["sizes"][1]["instances"] = 9
    config["ml"]["cnn"] = {"channels": 3}
    path = tmp_path / "changed.yaml"
    path.write_text(yaml.safe_dump(config))
    code, out = run_snakemake(
        tmp_path / "work", "table1", "table2", "table3", "--cores", "1", "--configfile", str(path)
    )
    assert code == 0, out
    out_dir = tmp_path / "work" / "results" / "tiny" / "tables"
    assert "4,9,64," in (out_dir / "table2.csv").read_text()
    assert "Channels in each layer,3" in (out_dir / "table3.csv").read_text()
    assert "2,5,64,0.80,1.21,4,4,32" in (out_dir / "table1.csv").read_text()
    assert not (tmp_path / "work" / "results" / "tiny" / "mc").exists()


# ---------------------------------------------------------------- equilibration figure
def test_identity_logbins_on_synthetic_data():
    """Known answer: e and -(3/T)(1 - q_l) per bin, standard errors over instances, bin ends capped."""
    T = np.array([0.5, 1.0])
    n_i, n_bins = 4, 3
    offsets = np.array([-1.0, -1.0, 1.0, 1.0])[:, None, None]  # std (ddof 1) = sqrt(4/3), sem = 1/sqrt(3)
    energy = np.broadcast_to(-1.0 + offsets, (n_i, 2, n_bins)).copy()
    q_l = np.broadcast_to(0.5 + 0.1 * offsets, (n_i, 2, n_bins)).copy()
    data = {"temperatures": T, "logbins/energy": energy, "logbins/link_overlap": q_l}
    bins = identity_logbins(data, sweeps=6)
    assert np.array_equal(bins.sweeps, [2, 4, 6])
    assert np.allclose(bins.energy, -1.0) and np.allclose(bins.energy_err, 1 / np.sqrt(3))
    assert np.allclose(bins.rhs, (-3 / T * 0.5)[:, None])
    assert np.allclose(bins.rhs_err, (3 / T * 0.1 / np.sqrt(3))[:, None])
    with pytest.raises(ValueError, match="two disorder instances"):
        identity_logbins({k: v[:1] if k != "temperatures" else v for k, v in data.items()}, 6)


def test_training_figure_draws_every_condition_and_size(tmp_path):
    """fig_training from history files written and read through their contract: one column per condition,
    two lines (train, validation) per size in each panel."""
    from spinglass_ml.figures import ml
    from spinglass_ml.ml.history import read_history, write_history

    histories = {}
    for condition in ("clean", "flip-0.1"):
        histories[condition] = {}
        for L in (4, 6):
            rows = [{"step": 100 * k, "loss": 0.7 - 0.01 * k, "accuracy": 0.5 + 0.02 * k, "val_loss": 0.69,
                     "val_accuracy": 0.55} for k in range(1, 6)]  # fmt: skip
            path = tmp_path / f"{condition}-L{L}.history.csv"
            write_history(path, rows)
            histories[condition][L] = read_history(path)
    assert histories["clean"][4]["loss"][0] == 0.69 and histories["clean"][4]["step"].tolist()[-1] == 500
    fig = ml.training_figure(histories)
    axes = fig.get_axes()
    assert len(axes) == 4 and all(len(ax.get_lines()) == 4 for ax in axes)
    assert_images(*style.save(fig, tmp_path / "training.pdf"))


def test_threshold_response_tells_a_thermometer_from_a_detector(tmp_path):
    """threshold_response from ensemble records: a detector's T_c stays put, an ideal thermometer's follows
    the label threshold; the figure draws both, open markers where only the collapse exists."""
    from spinglass_ml.analysis.summary import threshold_response

    def record(name, Tc, collapse_only=False):
        entry = {"value": Tc, "total_err": 0.01}
        none = {"value": None, "total_err": None}
        return {"condition": name, "bimodal": {"estimates": {
            "Tc": none if collapse_only else entry, "collapse.Tc": entry}}}  # fmt: skip

    analyses = [record(name, 1.12) for name in ("clean", "threshold-0.85", "threshold-1.05")]
    for name, t in (("thermometer", 0.95), ("thermometer-0.85", 0.85), ("thermometer-1.05", 1.05)):
        analyses.append(record(name, 1.12 + (t - 0.95), collapse_only=True))
    points = threshold_response(analyses, 0.95)
    assert [p[0] for p in points["cnn"]] == [0.85, 0.95, 1.05]
    assert {p[1] for p in points["cnn"]} == {1.12} and all(p[3] == "headline" for p in points["cnn"])
    slope = np.polyfit([p[0] for p in points["thermometer"]], [p[1] for p in points["thermometer"]], 1)[0]
    assert slope == pytest.approx(1.0) and all(p[3] == "collapse" for p in points["thermometer"])
    fig = comparison.threshold_response_figure(points, (1.15, 0.02, "xi"), 0.95)
    assert_images(*style.save(fig, tmp_path / "thr.pdf"))
    mixed = {"cnn": [(0.85, 1.1, 0.01, "collapse"), (0.95, 1.12, 0.01, "headline")]}
    slopes = {"cnn": (0.2, 0.1), "thermometer": (1.0, 0.01)}
    for (
        drawn,
        expected,
    ) in (  # each slope once: on the collapse entry where one is drawn, else on the filled one
        (points, ["CNN, slope 0.200 ± 0.100", "thermometer (collapse), slope 1.000 ± 0.010"]),
        (mixed, ["CNN", "CNN (collapse), slope 0.200 ± 0.100"]),
    ):
        fig = comparison.threshold_response_figure(drawn, (None, None, ""), 0.95, slopes=slopes)
        assert fig.axes[0].get_legend_handles_labels()[1] == expected


def test_equilibration_figure_grid(tmp_path):
    T = np.array([0.8, 1.0])
    full = np.zeros((3, 2, 4)) + np.arange(3)[:, None, None] * 0.01
    data = {"temperatures": T, "logbins/energy": full - 1.5, "logbins/link_overlap": full + 0.5}
    bins = identity_logbins(data, 16)
    short = identity_logbins({k: v[..., :2] if v.ndim == 3 else v for k, v in data.items()}, 4)
    fig = mc.equilibration(
        [[("L = 4, 16 sweeps", bins), ("L = 4, 4 sweeps", short)], [("L = 6, 16 sweeps", bins)]]
    )
    visible = [ax for ax in fig.axes if ax.axison]
    assert len(visible) == 3
    assert [len(c.lines[0].get_xdata()) for c in visible[1].containers] == [2, 2]  # e and the rhs, 2 bins
    e, rhs = visible[0].containers  # the lowest temperature (t_index 0), drawn as stored
    assert e.get_label() == "$e$" and rhs.get_label() == "$-(3/T)(1-q_l)$"
    assert np.allclose(e.lines[0].get_ydata(), bins.energy[0])
    assert np.allclose(rhs.lines[0].get_ydata(), bins.rhs[0])
    assert_images(*style.save(fig, tmp_path / "eq.pdf"))


# ---------------------------------------------------------------- analysis figures (synthetic objects)
def analysis_object(Tc=1.12, nu=1.5, sizes=(4, 5, 6), quantity="p"):
    """A hand-made analysis object in the layout of spinglass_ml.analysis.fss: p = 0.5 + (T - Tc) L^(1/nu)
    exactly."""
    T = np.linspace(1.05, 1.25, 5)
    curves, per_L, pts = {}, {}, {"L": [], "T": [], "x": [], "Q": [], "err": []}
    for L in sizes:
        x = (T - Tc) * L ** (1 / nu)
        curves[str(L)] = {
            "T": T.tolist(),
            "mean": (0.5 + x).tolist(),
            "err": [0.01] * 5,
            "instances": 10,
            "fit": {"T": T.tolist(), "mean": (0.5 + x).tolist(), "err": [0.005] * 5, "degree": 1,
                    "coefficients": [L ** (1 / nu), 0.5 - Tc * L ** (1 / nu)]},
        }  # fmt: skip
        per_L[str(L)] = {"max": float(L ** (1 / nu)), "max_err": 0.1, "reason": None}
        for key, values in zip(pts, (np.full(5, L), T, x, 0.5 + x, np.full(5, 0.01)), strict=True):
            pts[key] += values.tolist()
    return {
        "quantity": quantity,
        "sizes": list(sizes),
        "Tc": Tc,
        "Tc_err": 0.01,
        "nu": nu,
        "nu_err": 0.2,
        "method": "linear_coefficient",
        "reason": None,
        "curves": curves,
        "crossings": [
            {"L1": a, "L2": b, "T": Tc, "T_err": 0.02, "Q": 0.5, "valid_fraction": 1.0, "reason": None}
            for a, b in zip(sizes[:-1], sizes[1:], strict=True)
        ],
        "derivative": {
            "per_L": per_L,
            "slope": 1 / nu,
            "intercept": 0.0,
            "nu": nu,
            "nu_err": 0.2,
            "reason": None,
        },
        "linear_coefficient": {
            "T": T.tolist(),
            "c1": ((T - Tc) / 0.13).tolist(),
            "c1_err": [0.05] * 5,
            "Tc": Tc,
            "Tc_err": 0.01,
            "reason": None,
        },
        "collapse": {
            "Tc": Tc,
            "Tc_err": 0.01,
            "nu": nu,
            "nu_err": 0.2,
            "coefficients": [0.5, 1, 0, 0],
            "points": pts,
            "curve": {"x": [-0.2, 0.2], "Q": [0.3, 0.7]},
            "reason": None,
        },
    }


FAILED = {
    "quantity": "p",
    "sizes": [],
    "Tc": None,
    "Tc_err": None,
    "nu": None,
    "nu_err": None,
    "method": "linear_coefficient",
    "reason": "need at least two sizes",
    "crossings": [],
}


def _texts(fig):
    """Every text of the figure's panels, line breaks of wrapped notes folded into spaces."""
    return " ".join(" ".join(t.get_text().split()) for ax in fig.axes for t in [*ax.texts, ax.title])


def test_scaling_figure_draws_every_panel_from_the_analysis(tmp_path):
    fig = scaling.scaling_figure(analysis_object())
    a, b, c, d = fig.axes
    assert len(a.containers) == 3  # p(T, L) with error bars for each L
    line = b.lines[-1]  # the fitted line: slope 1/nu in ln-ln
    slope = np.diff(line.get_ydata()) / np.diff(line.get_xdata())
    assert np.allclose(slope, 1 / 1.5)
    assert np.allclose(b.containers[0].lines[0].get_ydata(), np.log([4, 5, 6]) / 1.5)
    assert any(np.allclose(ln.get_xdata(), 1.12) for ln in c.lines)  # T_c marked
    assert len(d.containers) == 3 and "1.120 ± 0.010" in d.get_title(loc="right")
    assert "1.50 ± 0.20" in b.get_legend().get_texts()[0].get_text()
    assert_images(*style.save(fig, tmp_path / "fig1.pdf"))


def test_figures_of_a_failed_analysis_say_why(tmp_path):
    fig = scaling.scaling_figure(FAILED)
    assert _texts(fig).count("need at least two sizes") == 4
    assert all(len(ax.get_xticks()) == 0 == len(ax.get_yticks()) for ax in fig.axes)  # nothing to read
    assert_images(*style.save(fig, tmp_path / "f.pdf"))
    fig = scaling.probability_figure(FAILED, "flip-0.1", (None, None, "clean"))
    assert "need at least two sizes" in _texts(fig)
    assert_images(*style.save(fig, tmp_path / "g.pdf"))


def test_missing_nu_still_draws_the_derivative_curves_in_a_note_that_fits(tmp_path):
    """No interior maximum of dp/dT (the default study's case): panel (b) draws |dp/dT| of every size's fit
    with the reason as a wrapped title no wider than the panel."""
    analysis = analysis_object()
    for entry in analysis["derivative"]["per_L"].values():
        entry.update(max=None, max_err=None, T_star=None, reason="maximum at the edge of the range")
    analysis["derivative"].update(nu=None, slope=None, reason="no interior maximum of |dp/dT| in range")
    fig = scaling.scaling_figure(analysis)
    b = fig.axes[1]
    assert len(b.get_lines()) == len(analysis["curves"])
    slopes = [line.get_ydata()[0] for line in b.get_lines()]  # |dp/dT| = L^(1/nu) of the linear fits
    np.testing.assert_allclose(slopes, [L ** (1 / 1.5) for L in (4, 5, 6)])
    assert "no interior maximum" in _texts(fig)
    width_chars = b.get_position().width * fig.get_figwidth() * 25.4 * 0.8
    assert all(len(line) <= max(24, int(width_chars)) for line in b.get_title().splitlines())
    assert_images(*style.save(fig, tmp_path / "fig1.pdf"))


def without_nu_ml(Tc, reason=None):
    """analysis_object() as the default study has it: no ν_ml, so no linear coefficient of its own, and the
    one with the collapse's ν (zero at ``Tc``, or none with ``reason``) under ``collapse_nu``."""
    analysis = analysis_object()
    analysis["derivative"].update(nu=None, nu_err=None, slope=None, reason="no interior maximum")
    T = np.linspace(1.05, 1.25, 21)
    analysis["linear_coefficient"] = {
        "T": [],
        "c1": [],
        "c1_err": [],
        "nu_used": None,
        "Tc": None,
        "Tc_err": None,
        "reason": "needs ν from the maxima of |dQ/dT|, which is not available",
        "nu_source": "collapse",
        "collapse_nu": {
            "T": T.tolist(),
            "c1": np.tanh(8 * (T - 1.12)).tolist(),
            "c1_err": [0.02] * T.size,
            "nu_used": 1.5,
            "Tc": Tc,
            "Tc_err": None if Tc is None else 0.004,
            "reason": reason,
        },
    }
    return analysis


def assert_inside(fig, ax, text):
    """The text's window extent lies inside the axes' frame."""
    fig.canvas.draw()
    frame, extent = ax.get_window_extent(), text.get_window_extent()
    assert frame.x0 <= extent.x0 < extent.x1 <= frame.x1 and frame.y0 <= extent.y0 < extent.y1 <= frame.y1


@pytest.mark.parametrize(
    "Tc, reason",
    [(1.12, None), (None, "the linear coefficient changes sign 3 times in [1.05, 1.25]: no unique T_c")],
)
def test_missing_nu_ml_draws_the_coefficient_with_the_collapse_nu_and_says_so_inside(tmp_path, Tc, reason):
    """No ν_ml (the default study's case): panel (c) draws the linear coefficient computed with the collapse's
    ν, its zero if any, and a note naming that ν (and the zero or the reason) whose text fits in the frame."""
    analysis = without_nu_ml(Tc, reason)
    fig = scaling.scaling_figure(analysis)
    c = fig.axes[2]
    curve = analysis["linear_coefficient"]["collapse_nu"]
    assert any(np.allclose(line.get_xdata(), curve["T"]) for line in c.lines)  # the coefficient
    vertical = [ln for ln in c.lines if len(set(ln.get_xdata())) == 1]
    assert [ln.get_xdata()[0] for ln in vertical] == ([] if Tc is None else [Tc])  # its zero, if any
    (text,) = c.texts
    said = " ".join(text.get_text().split()).replace("\u00a0", " ")
    assert "from the collapse" in said and "0.20" in said  # the collapse's ν = 1.5 ± 0.2
    assert ("zero at $T$ = 1.120 ± 0.004" in said) if Tc else ("no unique T_c" in said)
    assert_inside(fig, c, text)
    assert_images(*style.save(fig, tmp_path / "fig1.pdf"))


def test_inner_note_wraps_to_the_frame():
    fig, axes = style.figure()
    ax = axes[0, 0]
    ax.plot([0, 1], [0, 1])
    text = style.inner_note(ax, "a long reason, " * 12 + "with $\\nu$ = 0.337 ± 0.005", "lower right", 0.6)
    assert_inside(fig, ax, text)
    assert text.get_window_extent().width <= 0.6 * ax.get_window_extent().width
    assert "$\\nu$\u00a0=\u00a00.337\u00a0±\u00a00.005" in text.get_text()  # never broken inside


def test_probability_figure_marks_its_tc_and_the_reference():
    obj = analysis_object(Tc=1.15)
    fig = scaling.probability_figure(obj, "flip-0.01", (1.12, 0.01, "clean $T_c$"))
    ax = fig.axes[0]
    vertical = [ln for ln in ax.lines if len(ln.get_xdata()) == 2 and len(set(ln.get_xdata())) == 1]
    xs = sorted(ln.get_xdata()[0] for ln in vertical)
    assert np.allclose(xs, [1.12, 1.15])
    obj.update(Tc=None, Tc_err=None, reason="T_c: no sign change")
    fig = scaling.probability_figure(obj, "therm-0.5", (1.12, 0.01, "clean"))
    assert "no sign change" in fig.axes[0].get_title()


def test_dose_response_draws_shifts_and_marks_missing_ones_distinctly(tmp_path):
    flip = {
        "headline": [(0.001, 0.01, 0.01), (0.01, None, None), (0.03, None, None)],
        "collapse": [(0.001, 0.02, 0.01), (0.01, 0.03, 0.01), (0.03, None, None)],
    }
    therm = {"headline": [(0.5, 0.08, 0.02), (1.0, 0.0, 0.01)], "collapse": []}
    fig = comparison.dose_response_figure(flip, therm, {"headline": (1.12, 0.01), "collapse": (None, None)})
    left, right = fig.axes
    crosses = [ln for ln in left.lines if ln.get_marker() == "x"]
    assert [len(ln.get_xdata()) for ln in crosses] == [2, 1]  # per estimate, in its own colour
    assert (
        np.allclose(crosses[0].get_xdata(), [0.01, 0.03]) and crosses[0].get_color() != crosses[1].get_color()
    )
    assert left.get_xscale() == "log" and right.get_xscale() == "linear"
    assert not [ln for ln in right.lines if ln.get_marker() == "x"]
    assert np.allclose(right.containers[0].lines[0].get_ydata(), [0.08, 0.0])
    assert np.allclose(left.containers[1].lines[0].get_ydata(), [0.02, 0.03])
    zero = [ln for ln in left.lines if ln.get_linestyle() == ":"]
    assert len(zero) == 1 and np.allclose(zero[0].get_ydata(), 0.0)  # clean is the zero line
    labels = left.get_legend_handles_labels()[1]
    assert "headline (clean 1.120 ± 0.010)" in labels and "collapse (clean: none)" in labels
    assert_images(*style.save(fig, tmp_path / "dose.pdf"))
    fig = comparison.dose_response_figure({}, therm, {"headline": (None, None)})
    assert "no such condition" in _texts(fig)
    assert len(fig.axes[0].get_yticks()) > 0
    fig = comparison.dose_response_figure(
        {"h": [(0.1, None, None)]}, {"h": [(0.5, None, None)]}, {"h": (None, None)}
    )
    assert len(fig.axes[0].get_yticks()) == 0 and len(fig.axes[0].lines) == 2  # the zero line and a cross


def test_physics_reference_lists_every_estimate(tmp_path):
    g, xi = analysis_object(1.10, quantity="g"), analysis_object(1.13, quantity="xi_over_L")
    xi["crossings"][1].update(T=None, T_err=None, reason="no root")
    literature = [{"label": "ξ_L/L, KKY 2006", "Tc": 1.120, "Tc_err": 0.004}]
    cnn = [(r"CNN (clean) $T_c$", 1.12, 0.01), ("CNN (clean) collapse", None, None),
           ("CNN p 4/5", 1.13, 0.02), ("CNN p 5/6", 1.12, 0.02)]  # fmt: skip
    fig = comparison.physics_reference_figure(g, xi, cnn, literature)
    estimates = fig.axes[2]
    labels = [t.get_text() for t in estimates.get_yticklabels()]
    assert labels == [
        "CNN (clean) $T_c$",
        "CNN (clean) collapse",
        "CNN p 4/5",
        "CNN p 5/6",
        "Binder g 4/5",
        "Binder g 5/6",
        r"$\xi_L/L$ 4/5",
        r"$\xi_L/L$ 5/6",
    ]
    assert len(estimates.containers) == 6 and [t.get_text() for t in estimates.texts].count("none") == 2
    assert_images(*style.save(fig, tmp_path / "phys.pdf"))


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda c: c["figures"].update(fig2="flip-0.3"), "config key 'figures.fig2': flip-0.3 is not one of"),
        (lambda c: c["figures"].update(fig3="flip-0.1"), "config key 'figures.fig3': 'flip-0.1' does not"),
        (lambda c: c["ml"].update(conditions=["flip-0.1", "therm-0.5"]), "config key 'ml.conditions': must"),
    ],
)
def test_figure_config_is_checked_against_the_conditions(tmp_path, mutate, message):
    config = _tiny()
    mutate(config)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(config))
    code, out = run_snakemake(tmp_path / "work", "-n", "--configfile", str(path))
    assert code != 0 and message in out, out


# ---------------------------------------------------------------- named targets
# (built, checked and reported on the tiny config in tests/workflow/test_workflow.py's end-to-end run)
FIGURES = ("fig1", "fig2", "fig3", "fig_equilibration", "fig_physics_reference", "fig_dose_response",
           "fig_training", "fig_threshold_response")  # fmt: skip
ROBUSTNESS_FIGURES = ("fig_adversarial", "fig_activations", "fig_tradeoff", "fig_uncertainty")
TABLES = ("table1", "table2", "table3")


def test_named_targets_are_listed(tmp_path):
    tiny = str(REPO / "config" / "tiny.yaml")
    code, out = run_snakemake(tmp_path, "--list-target-rules", "--configfile", tiny)
    assert code == 0, out
    assert set(FIGURES + ROBUSTNESS_FIGURES + TABLES) <= set(out.split())


CAPTIONS = sorted((REPO / "workflow" / "report").glob("*.rst"))


@pytest.mark.parametrize("caption", CAPTIONS, ids=lambda p: p.name)
def test_report_captions_are_valid_rst(caption):
    """snakemake --report renders captions as reStructuredText: a stray |x| is an undefined substitution."""
    docutils_core = pytest.importorskip("docutils.core")
    settings = {"report_level": 2, "halt_level": 2, "warning_stream": False}
    docutils_core.publish_string(caption.read_text(), writer="html", settings_overrides=settings)


# ---------------------------------------------------------------- robustness figures
def test_adversarial_accuracies_carry_binomial_error_bars():
    """Panels (a) and (b) draw each robust accuracy with sqrt(a (1 - a) / n), n the test examples of its L."""
    eps, k = np.array([0.0, 0.1, 0.5]), np.arange(3)
    acc = np.array([0.9, 0.6, 0.5])
    by_model = {"clean": (eps, acc), "adv-0.5": (eps, acc[::-1])}
    by_flips = {4: {m: (k, a) for m, (_, a) in by_model.items()}}
    by_T = {"clean": (np.array([1.0, 1.2]), np.array([0.2, np.nan]))}
    fig = robustness.adversarial_figure(
        {4: by_model}, by_flips, by_T, threshold=0.95, report_epsilon=0.1, L_temperature=4, majority=0.5,
        n_test={4: 100},
    )  # fmt: skip
    for ax in fig.axes[:2]:
        clean = next(c for c in ax.containers if c.get_label() == "L = 4, clean")
        segments = clean.lines[2][0].get_segments()
        half = np.array([abs(s[1, 1] - s[0, 1]) / 2 for s in segments])
        assert np.allclose(half, np.sqrt(acc * (1 - acc) / 100))
