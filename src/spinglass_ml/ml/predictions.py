"""The prediction CSV contract, ``results/predictions/{condition}/L{L}.csv`` (and ``…/gaussian/L{L}.csv``):
its writer and its reader, and the loops that fill it from a model's block probabilities (the CNN's and the
thermometer's), free of TensorFlow so that the analysis stage reads it without importing it.

Header ``instance,T,p``, one row per (instance, temperature), sorted by instance then T; ``p`` is the mean
over the instance's snapshots at that temperature of the network's probability of class 1 ("high
temperature"), in [0, 1]; T in units of the coupling scale. Floats are written with ``repr``, so they read
back exactly.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from spinglass_ml.ml.dataset import ExampleIndex, build_index

PREDICTION_COLUMNS = ("instance", "T", "p")


def write_predictions(
    path: str | Path, instances: np.ndarray, temperatures: np.ndarray, p: np.ndarray
) -> None:
    """Write the CSV contract, rows sorted by instance then T.

    Parameters
    ----------
    instances : int (n,) global instance ids
    temperatures : float (n,) temperatures (units of the coupling scale)
    p : float (n,) mean probabilities of the high-temperature class
    """
    order = np.lexsort((temperatures, instances))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(PREDICTION_COLUMNS)
        for k in order:
            writer.writerow((int(instances[k]), repr(float(temperatures[k])), repr(float(p[k]))))


def read_predictions(path: str | Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The columns instance (int), T, p of a prediction CSV (the module docstring)."""
    data = np.genfromtxt(path, delimiter=",", names=True, dtype=None, encoding="utf-8")
    if data.dtype.names != PREDICTION_COLUMNS:
        raise ValueError(f"{path}: columns {data.dtype.names}, expected {PREDICTION_COLUMNS}")
    data = np.atleast_1d(data)
    return data["instance"].astype(np.int64), data["T"].astype(np.float64), data["p"].astype(np.float64)


def predict_chunks(
    block_probabilities: Callable[[ExampleIndex], np.ndarray],
    paths: Sequence[str | Path],
    out_csv: str | Path,
    *,
    instances: Sequence[int] | np.ndarray | None = None,
) -> None:
    """Write the CSV contract of the chunk files of one L (or of ``instances`` only), with
    ``block_probabilities(index)`` the mean class-1 probability of every block of the index, float (n_blocks,)
    in its block order: the CNN's (:func:`spinglass_ml.ml.predict.predict_blocks`) or the thermometer's."""
    index = build_index(paths)
    if instances is not None:
        index = index.select_instances(instances)
        if index.blocks.size == 0:
            raise ValueError("predict: none of the requested instances is in the files")
    p = block_probabilities(index)
    write_predictions(out_csv, index.blocks["instance"], index.temperatures[index.blocks["t"]], p)


def predict_study(
    block_probabilities: Callable[[ExampleIndex], np.ndarray],
    flips_path: str | Path,
    bimodal: Sequence[str | Path],
    gaussian: Sequence[str | Path],
    bimodal_csv: str | Path,
    gaussian_csv: str | Path,
) -> None:
    """The two prediction files of one model: every bimodal snapshot of its L, and the Gaussian snapshots of
    its held-out validation instances (``validation_instances`` of its ``L{L}.flips.npz``)."""
    predict_chunks(block_probabilities, bimodal, bimodal_csv)
    held_out = np.load(flips_path)["validation_instances"]
    predict_chunks(block_probabilities, gaussian, gaussian_csv, instances=held_out)
