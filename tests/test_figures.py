"""Figures and tables: the shared style, the figure functions, the tables and the named targets."""

from pathlib import Path

import numpy as np

from spinglass_ml import plotting

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


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
