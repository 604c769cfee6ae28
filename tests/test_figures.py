"""Figures and tables: the shared style, the figure functions, the tables and the named targets."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from spinglass_ml import plotting, tables
from spinglass_ml.diagnostics import identity_logbins

REPO = Path(__file__).resolve().parents[1]

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
    fig, axes = plotting.figure(1, 2)
    plotting.errorbar(axes[0, 0], np.arange(3), np.array([1.0, np.nan, 2.0]), np.array([0.1, 0.1, 0.2]))
    written = plotting.save(fig, tmp_path / "sub" / "f.pdf")
    assert written == [tmp_path / "sub" / "f.pdf", tmp_path / "sub" / "f.png"]
    assert_images(*written)
    from PIL import Image

    width_px = Image.open(written[1]).size[0]  # bbox 'tight' trims or pads a little around COLUMN_WIDTH
    assert abs(width_px / plotting.DPI - plotting.COLUMN_WIDTH) < 0.3


def test_size_colors_are_stable_and_distinct():
    colors = plotting.size_colors([6, 4, 5, 4])
    assert list(colors) == [4, 5, 6]
    assert len({c for c, _ in colors.values()}) == 3 and len({m for _, m in colors.values()}) == 3
    assert plotting.size_colors([4, 5])[4] == colors[4]


def test_errorbar_drops_nonfinite_points():
    fig, axes = plotting.figure()
    container = plotting.errorbar(axes[0, 0], [1, 2, 3], [1.0, np.nan, 3.0], [0.1, 0.2, np.nan])
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
    code, out = run_snakemake(tmp_path / "work", "table1", "table2", "table3", "--cores", "1",
                              "--configfile", str(path))  # fmt: skip
    assert code == 0, out
    out_dir = tmp_path / "work" / "results" / "tables"
    assert "4,9,64," in (out_dir / "table2.csv").read_text()
    assert "Channels in each layer,3" in (out_dir / "table3.csv").read_text()
    assert "2,5,64,0.80,1.21,4,4,32" in (out_dir / "table1.csv").read_text()
    assert not (tmp_path / "work" / "results" / "mc").exists()


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


def test_equilibration_figure_grid(tmp_path):
    T = np.array([0.8, 1.0])
    full = np.zeros((3, 2, 4)) + np.arange(3)[:, None, None] * 0.01
    data = {"temperatures": T, "logbins/energy": full - 1.5, "logbins/link_overlap": full + 0.5}
    bins = identity_logbins(data, 16)
    short = identity_logbins({k: v[..., :2] if v.ndim == 3 else v for k, v in data.items()}, 4)
    fig = plotting.equilibration([[("L = 4, 16 sweeps", bins), ("L = 4, 4 sweeps", short)],
                                  [("L = 6, 16 sweeps", bins)]])  # fmt: skip
    visible = [ax for ax in fig.axes if ax.axison]
    assert len(visible) == 3
    assert [len(c.lines[0].get_xdata()) for c in visible[1].containers] == [2, 2]  # e and the rhs, 2 bins
    assert_images(*plotting.save(fig, tmp_path / "eq.pdf"))
