"""The training-history contract, ``results/models/{condition}/L{L}.history.csv``: writer and reader, free of
TensorFlow so that figure jobs read it without importing it.

Header :data:`HISTORY_COLUMNS`, one row per logged step (every ``ml.training.log_every`` optimizer steps):
``loss`` and ``accuracy`` are means over the training batches since the previous row (labels as trained on,
flipped ones included; for adversarial training those of the adversarial batches), ``val_loss`` and
``val_accuracy`` are over the validation set after the step. Floats are written with ``repr``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

HISTORY_COLUMNS = ("step", "loss", "accuracy", "val_loss", "val_accuracy")


def write_history(path: str | Path, history: Iterable[Mapping[str, float]]) -> None:
    """Write one row per logged step (keys :data:`HISTORY_COLUMNS`)."""
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=HISTORY_COLUMNS)
        writer.writeheader()
        writer.writerows({k: repr(v) for k, v in row.items()} for row in history)


def read_history(path: str | Path) -> dict[str, np.ndarray]:
    """Column name -> float64 array over the logged steps."""
    data = np.atleast_1d(np.genfromtxt(path, delimiter=",", names=True, dtype=np.float64, encoding="utf-8"))
    if data.dtype.names != HISTORY_COLUMNS:
        raise ValueError(f"{path}: columns {data.dtype.names}, expected {HISTORY_COLUMNS}")
    return {name: np.asarray(data[name]) for name in HISTORY_COLUMNS}
