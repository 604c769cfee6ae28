"""The prediction CSV contract, ``results/predictions/{condition}/L{L}.csv`` (and ``…/gaussian/L{L}.csv``):
its writer and its reader, free of TensorFlow so that the analysis stage reads it without importing it.

Header ``instance,T,p``, one row per (instance, temperature), sorted by instance then T; ``p`` is the mean
over the instance's snapshots at that temperature of the network's probability of class 1 ("high
temperature"), in [0, 1]; T in units of the coupling scale. Floats are written with ``repr``, so they read
back exactly.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

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
