"""Predictions of a trained CNN: the mean probability of the high-temperature class per (instance, T),
written as the prediction CSV (:mod:`spinglass_ml.ml.predictions`). Snapshots are read and predicted a few
blocks at a time, so memory does not grow with the number of files or instances.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np

from spinglass_ml.ml.blocks import BlockReader
from spinglass_ml.ml.dataset import ExampleIndex
from spinglass_ml.ml.model import load_model
from spinglass_ml.ml.predictions import predict_chunks, predict_study


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


def predict_files(
    model: keras.Model,
    paths: Sequence[str | Path],
    out_csv: str | Path,
    *,
    batch_size: int = 1000,
    instances: Sequence[int] | np.ndarray | None = None,
) -> None:
    """Predict every snapshot of the chunk files of one L (or of ``instances`` only, e.g. the held-out
    validation instances) and write the CSV contract to ``out_csv``; ``batch_size`` snapshots per pass."""
    predict_chunks(
        lambda index: predict_blocks(model, index, batch_size), paths, out_csv, instances=instances
    )


def predict_model(
    model_path: str | Path,
    flips_path: str | Path,
    bimodal: Sequence[str | Path],
    gaussian: Sequence[str | Path],
    bimodal_csv: str | Path,
    gaussian_csv: str | Path,
    *,
    batch_size: int = 1000,
) -> None:
    """The predictions of one trained CNN (:func:`spinglass_ml.ml.predictions.predict_study`)."""
    model = load_model(model_path)
    predict_study(lambda index: predict_blocks(model, index, batch_size), flips_path, bimodal, gaussian,
                  bimodal_csv, gaussian_csv)  # fmt: skip
