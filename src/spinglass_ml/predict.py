"""Predictions of a trained CNN: the mean probability of the high-temperature class per (instance, T).

The CSV contract, ``results/predictions/{condition}/L{L}.csv``: header ``instance,T,p``, one row per
(instance, temperature), sorted by instance then T; ``p`` is the mean over the instance's snapshots at that
temperature of the network's probability of class 1 ("high temperature"), in [0, 1]. Snapshots are read and
predicted a few blocks at a time, so memory does not grow with the number of files or instances.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np

from .dataset import BlockReader, ExampleIndex, build_index

PREDICTION_COLUMNS = ("instance", "T", "p")


def predict_blocks(model: keras.Model, index: ExampleIndex, batch_size: int = 1000) -> np.ndarray:
    """Mean probability of the high-temperature class over the snapshots of every block of ``index``.

    Parameters
    ----------
    model : a trained network for ``index.L``
    index : the examples (labels are not used)
    batch_size : snapshots per forward pass; whole blocks are predicted together, at least one per pass

    Returns
    -------
    float64 (n_blocks,), in the block order of ``index``.
    """
    if tuple(model.input_shape[1:4]) != (index.L,) * 3:
        raise ValueError(f"model input {model.input_shape} does not fit L = {index.L}")
    n_blocks, n_con = index.blocks.size, index.n_con
    per_pass = max(1, batch_size // n_con)
    p = np.empty(n_blocks)
    with BlockReader(index) as reader:
        for start in range(0, n_blocks, per_pass):
            stop = min(start + per_pass, n_blocks)
            x = np.concatenate([reader.read(b) for b in range(start, stop)]).astype(np.float32)[..., None]
            probs = np.asarray(model.predict_on_batch(x))[:, 1]
            p[start:stop] = probs.reshape(stop - start, n_con).mean(axis=1, dtype=np.float64)
    return p


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


def predict_files(
    model: keras.Model,
    paths: Sequence[str | Path],
    out_csv: str | Path,
    *,
    batch_size: int = 1000,
    instances: Sequence[int] | np.ndarray | None = None,
) -> None:
    """Predict every snapshot of the chunk files of one L and write the CSV contract to ``out_csv``.

    Parameters
    ----------
    model : a trained network for the files' L
    paths : chunk files of one (disorder, L, sweeps): the bimodal prediction data, or Gaussian data
    out_csv : the CSV to write
    batch_size : snapshots per forward pass
    instances : predict only these global instance ids (e.g. the held-out validation instances)
    """
    index = build_index(paths)
    if instances is not None:
        index = index.select_instances(instances)
        if index.blocks.size == 0:
            raise ValueError("predict_files: none of the requested instances is in the files")
    p = predict_blocks(model, index, batch_size)
    write_predictions(out_csv, index.blocks["instance"], index.temperatures[index.blocks["t"]], p)
