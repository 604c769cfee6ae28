"""The measured rates jobs are priced at: defaults from this project's 2-core machine, or a user's benchmarks.

* Monte Carlo: single-thread nanoseconds per attempted spin flip of each kernel path (rows of
  ``python -m spinglass_ml.mc.benchmark --json FILE``), times the whole-job factor :data:`JOB_OVERHEAD`;
* CNN: examples per second of training at each L (rows of ``python -m spinglass_ml.ml.train_benchmark --json
  FILE``), fitted as core-seconds per example a + b L^3; decompressing overlaps is priced from the
  difference of the streaming and cached rates; a forward pass costs :data:`FORWARD_FRACTION` of a training
  example;
* every job: a start-up time of its kind (:data:`STARTUP_S`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# python -m spinglass_ml.mc.benchmark, 2026-12-02, this project's 2-core machine (AVX-512), one thread; the
# L = 6 figures are the benchmark column of the whole-job comparison (--sizes 6); tables: docs/performance.md
MC_BENCHMARK: tuple[dict, ...] = tuple(
    {"path": path, "disorder": disorder, "L": L, "threads": 1, "ns_per_attempt": ns}
    for path, disorder, L, ns in [
        ("plain", "gaussian", 8, 11.074), ("plain", "gaussian", 16, 11.968),
        ("simd", "gaussian", 6, 0.843), ("simd", "gaussian", 8, 0.756), ("simd", "gaussian", 16, 0.762),
        ("plain", "bimodal", 8, 12.024), ("plain", "bimodal", 16, 12.413),
        ("simd", "bimodal", 8, 0.795), ("simd", "bimodal", 16, 0.810),
        ("multispin", "bimodal", 6, 0.330), ("multispin", "bimodal", 8, 0.254),
        ("multispin", "bimodal", 16, 0.242),
    ]
)  # fmt: skip

# CPU time per attempt of whole simulate jobs (start-up, exchanges, measurements, HDF5 writing) over the
# benchmark's at the same L = 6, 2026-12-02: Gaussian (simd) 1.04, bimodal (multispin) 1.19; plain as simd
JOB_OVERHEAD = {"simd": 1.04, "plain": 1.04, "multispin": 1.19}

# python -m spinglass_ml.ml.train_benchmark, 2026-11-23, this project's 2-core machine: examples per second
TRAIN_BENCHMARK: tuple[dict, ...] = (
    {"L": 8, "streaming": 82127.0, "cached": 93722.0, "in_memory": 90870.0, "cpus": 2},
    {"L": 16, "streaming": 11622.0, "cached": 13235.0, "in_memory": 14009.0, "cpus": 2},
)

# a forward pass (prediction, validation) against a training example's forward and backward pass
FORWARD_FRACTION = 1 / 3

# Seconds of a job beyond its priced work (interpreter, imports, TensorFlow start-up and graph tracing,
# reading and writing small files): medians of the single-thread jobs of config/tiny.yaml, whose work is
# negligible (results/tiny/benchmarks/, 2026-12-02, this project's 2-core machine; figures, tables: its log)
STARTUP_S = {
    "simulate": 0.17,
    "cnn": 5.0,  # train (CNN) and adversarial
    "cnn_predict": 4.2,
    "thermometer": 0.2,  # train_thermometer, and predict of a thermometer condition
    "tradeoff": 11.0,  # two models, each traced for training, attacks and packet moments
    "analysis": 0.5,  # analyze, analyze_physics, analyze_summary, equilibration
    "figure": 1.5,
    "table": 0.5,
}


@dataclass(frozen=True)
class Rates:
    """Benchmark rows the cost model reads: ``mc`` as :data:`MC_BENCHMARK`, ``train`` as
    :data:`TRAIN_BENCHMARK`, and the files they came from (None: the defaults)."""

    mc: tuple[dict, ...] = MC_BENCHMARK
    train: tuple[dict, ...] = TRAIN_BENCHMARK
    mc_source: str | None = None
    train_source: str | None = None

    def ns_per_attempt(self, path: str, disorder: str, L: int) -> float:
        """Single-thread ns per attempt of ``path`` on ``disorder`` couplings at the nearest measured L (the
        larger one on a tie)."""
        rows = [r for r in self.mc if (r["path"], r["disorder"], r["threads"]) == (path, disorder, 1)]
        if not rows:
            source = self.mc_source or "the default table"
            raise ValueError(f"{source} has no single-thread row for the {path} path on {disorder} couplings")
        return float(min(rows, key=lambda r: (abs(r["L"] - L), -r["L"]))["ns_per_attempt"])

    def example_s(self, L: int) -> float:
        """Core-seconds of one training example (forward and backward) at size L, from cached data."""
        a, b = _fit_cubic([r["L"] for r in self.train], [r["cpus"] / r["cached"] for r in self.train])
        return a + b * L**3

    def byte_s(self) -> float:
        """Core-seconds to read and decompress one byte of overlaps: the streaming rate's extra time per
        example over the cached rate's, per site, averaged over the measured sizes."""
        extra = [r["cpus"] * (1 / r["streaming"] - 1 / r["cached"]) / r["L"] ** 3 for r in self.train]
        return max(float(np.mean(extra)), 0.0)


def _fit_cubic(sizes: Sequence[int], seconds: Sequence[float]) -> tuple[float, float]:
    """Least-squares (a, b) of seconds = a + b L^3 with a >= 0 (a = 0 for a single size or a negative fit)."""
    x, y = np.asarray(sizes, float) ** 3, np.asarray(seconds, float)
    if len(set(sizes)) > 1:
        b, a = np.polyfit(x, y, 1)
        if a >= 0:
            return float(a), float(b)
    return 0.0, float(x @ y / (x @ x))


def _rows(path: str | Path, keys: tuple[str, ...]) -> tuple[dict, ...]:
    """The rows of a benchmark's JSON file, each checked for ``keys``."""
    rows = json.loads(Path(path).read_text())
    if not isinstance(rows, list) or not rows or any(not set(keys) <= set(r) for r in rows):
        raise ValueError(f"{path}: expected a JSON list of benchmark rows with keys {', '.join(keys)}")
    return tuple(rows)


def load_rates(mc_file: str | Path | None = None, train_file: str | Path | None = None) -> Rates:
    """Rates from benchmark files written with ``--json`` (None: the defaults of this module)."""
    return Rates(
        mc=_rows(mc_file, ("path", "disorder", "L", "threads", "ns_per_attempt"))
        if mc_file
        else MC_BENCHMARK,
        train=_rows(train_file, ("L", "streaming", "cached", "cpus")) if train_file else TRAIN_BENCHMARK,
        mc_source=str(mc_file) if mc_file else None,
        train_source=str(train_file) if train_file else None,
    )
