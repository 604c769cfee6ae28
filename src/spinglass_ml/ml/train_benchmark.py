"""Training benchmark: CNN training throughput through the streaming HDF5 pipeline and from arrays in memory.

Usage::

    python -m spinglass_ml.ml.train_benchmark                 # L = 8 and 16
    python -m spinglass_ml.ml.train_benchmark --sizes 8 --steps 100

For each L it writes synthetic chunk files (random ±1 overlaps, more ordered below the threshold) to a
temporary folder, then trains the Table III network with batches of 1000 (a) from the streaming pipeline used
by rule train with no block cache (every block decompressed in every epoch: the regime of a data set much
larger than ``ml.training.cache_mb``), (b) from the same pipeline with a cache that holds the data set, and
(c) from the same training examples held in memory, and prints examples per second of each and the ratios
to (c). Rates are timed inside one training run, from the end of its first logging interval to the end of
its last, so graph tracing and set-up are excluded (each interval also evaluates 2000 validation examples,
the same for every pipeline). ``--json FILE`` also writes the rows, with ``cpus`` (the CPUs TensorFlow's
default thread pools used): the training rates ``python -m spinglass_ml.cost --train-benchmark FILE``
prices jobs with.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import tensorflow as tf

from spinglass_ml.mc.chunks import read_chunk, write_synthetic_chunk
from spinglass_ml.mc.simulation import available_cpus
from spinglass_ml.ml.dataset import training_data
from spinglass_ml.ml.pipeline import training_datasets
from spinglass_ml.ml.train import train_model

BATCH = 1000


def synthetic_files(
    folder: Path, L: int, instances: int, n_T: int = 20, n_con: int = 20, chunk: int = 50
) -> list:
    """Chunk files of one L whose overlaps are +1 with probability 0.9 below T = 0.95 and 0.5 above."""
    T = np.geomspace(0.8, 1.21, n_T)
    p_plus = np.where(T < 0.95, 0.9, 0.5)[None, :, None, None, None, None]
    rng = np.random.default_rng(L)
    paths = []
    for first in range(0, instances, chunk):
        n = min(chunk, instances - first)
        q = np.where(rng.random((n, n_T, n_con, L, L, L)) < p_plus, 1, -1).astype(np.int8)
        paths.append(write_synthetic_chunk(folder / f"L{L}_chunk{first // chunk}.h5", q, T, first))
    return paths


def in_memory(paths: list, data) -> tf.data.Dataset:
    """The training examples of ``data`` (labels as trained) as one shuffled, repeated in-memory dataset."""
    table = data.train.table()
    x = np.empty((table["label"].size, data.train.L, data.train.L, data.train.L), np.int8)
    for k, path in enumerate(data.train.files):
        ov, attrs = read_chunk(path, ["overlaps"])
        sel = table["file"] == k
        x[sel] = ov["overlaps"][
            table["instance"][sel] - attrs["first_instance"], table["t"][sel], table["snapshot"][sel]
        ]
    y = data.train.labels(np.arange(table["label"].size)).astype(np.int32)
    ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(10_000, seed=1).repeat().batch(BATCH)
    return ds.map(lambda a, b: (tf.cast(a, tf.float32)[..., None], b)).prefetch(2)


def _rate(train: tf.data.Dataset, val: tf.data.Dataset, steps: int, intervals: int = 5) -> float:
    """Examples per second over ``steps`` training steps, after an untimed ``steps // intervals``."""
    log = max(1, steps // intervals)
    stamps: list[float] = []
    train_model(train, val, iterations=(intervals + 1) * log, lr=1e-4, log_every=log, seed=1,
                progress=lambda _: stamps.append(time.perf_counter()))  # fmt: skip
    return intervals * log * BATCH / (stamps[-1] - stamps[0])


def benchmark(sizes=(8, 16), steps: dict | None = None, instances: dict | None = None) -> list[dict]:
    """Rows ``{L, streaming, cached, in_memory, ratio, ratio_cached, cpus}``, rates in examples per second
    on ``cpus`` CPUs (TensorFlow's default: every CPU available)."""
    steps = steps or {8: 200, 16: 60}
    instances = instances or {8: 200, 16: 100}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for L in sizes:
            paths = synthetic_files(Path(tmp), L, instances.get(L, 100))
            data = training_data(paths, "clean", 1, validation_fraction=0.1)
            stream, val = training_datasets(data, 1, BATCH, validation_examples=2000)
            cached, _ = training_datasets(data, 1, BATCH, validation_examples=2000, cache_bytes=2**31)
            n = steps.get(L, 60)
            row = {
                "L": L,
                "streaming": _rate(stream, val, n),
                "cached": _rate(cached, val, n),
                "in_memory": _rate(in_memory(paths, data), val, n),
                "cpus": available_cpus(),
            }
            rows.append({**row, "ratio": row["streaming"] / row["in_memory"],
                         "ratio_cached": row["cached"] / row["in_memory"]})  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[8, 16], help="linear sizes L (default 8 16)")
    p.add_argument(
        "--steps", type=int, default=None, help="timed training steps (default 200 at L=8, 60 else)"
    )
    p.add_argument("--json", help="also write the rows to this JSON file")
    a = p.parse_args(argv)
    steps = {L: a.steps for L in a.sizes} if a.steps else None
    head = ("L", "streaming ex/s", "cached ex/s", "in-memory ex/s", "ratio", "cached")
    print(" ".join(f"{h:>{w}}" for h, w in zip(head, (3, 15, 12, 15, 6, 6), strict=True)))
    rows = benchmark(a.sizes, steps)
    for r in rows:
        print(
            f"{r['L']:>3} {r['streaming']:>15.0f} {r['cached']:>12.0f} {r['in_memory']:>15.0f} "
            f"{r['ratio']:>6.2f} {r['ratio_cached']:>6.2f}"
        )
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(rows, fh, indent=1)
    print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
