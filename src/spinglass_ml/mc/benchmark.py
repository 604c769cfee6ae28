"""Kernel benchmark: nanoseconds per attempted spin flip, against the NumPy baseline in the same run.

Usage::

    python -m spinglass_ml.mc.benchmark        # L = 8 and 16, both disorders, every path, 1 and all threads
    python -m spinglass_ml.mc.benchmark --sizes 8 --seconds 0.5 --json bench.json

Paths: ``numpy`` (``spinglass_ml.mc.numpy_baseline``, the same algorithm as a vectorised NumPy checkerboard,
the baseline), the kernel's ``plain`` (scalar reference) and ``simd`` paths and, for bimodal couplings,
``multispin`` (the default path there; see ``spinglass_ml.mc.simulation``). Every figure is the median over
``--repeats`` of the time of whole parallel-tempering runs of S sweeps (Metropolis sweeps, replica exchange
and all measurements, half of the sweeps in the measurement window) divided by instances x 2 n_T x L^3 x S;
for the kernel paths only the kernel calls are timed (set-up of couplings and initial states excluded), the
NumPy runs are timed whole. The multispin path runs 64 instances per word, so it is timed with 64 instances
per thread (one full word each). Ratios are taken within one run, so they hold when the machine's speed
drifts between runs; "x plain" compares with the plain path at the same thread count.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable

import numpy as np

from spinglass_ml.mc import numpy_baseline
from spinglass_ml.mc.schedule import temperature_grid
from spinglass_ml.mc.simulation import available_cpus, instance_couplings, kernel_path
from spinglass_ml.mc.state import LANES
from spinglass_ml.seeds import STREAM_MC, instance_seed

TEMPERATURES = {"gaussian": (0.80, 1.21), "bimodal": (1.05, 1.25)}


def _time_per_attempt(
    run: Callable[[int], float], attempts_per_sweep: int, seconds: float, repeats: int
) -> float:
    """Median ns per attempt of ``run(sweeps)`` (which returns the seconds it timed), with sweeps calibrated
    so one run takes about ``seconds``."""
    sweeps = 4
    while True:
        dt = run(sweeps)
        if dt > 0.2 * seconds or sweeps > 10**7:
            break
        sweeps *= 4
    sweeps = max(4, int(sweeps * seconds / max(dt, 1e-9)) // 2 * 2)
    return float(np.median([run(sweeps) for _ in range(repeats)])) / (attempts_per_sweep * sweeps) * 1e9


def _numpy_run(J, T) -> Callable[[int], float]:
    def run(sweeps: int) -> float:
        t0 = time.perf_counter()
        numpy_baseline.simulate(J, T, sweeps, np.random.default_rng(0))
        return time.perf_counter() - t0

    return run


def _kernel_run(J, T, seeds, threads: int, kernel: str) -> Callable[[int], float]:
    def run(sweeps: int) -> float:
        _, start, advance = kernel_path(J, T, sweeps, 1, seeds, threads, kernel)
        state = start()
        t0 = time.perf_counter()
        advance(state, sweeps)
        return time.perf_counter() - t0

    return run


def _kernel_row(path, disorder, L, T, instances, threads, seconds, repeats) -> dict:
    J = np.stack([instance_couplings(1, disorder, L, i) for i in range(instances)])
    seeds = [instance_seed(1, disorder, L, i, STREAM_MC) for i in range(instances)]
    kernel = "auto" if path == "multispin" else path
    run = _kernel_run(J, T, seeds, threads, kernel)
    ns = _time_per_attempt(run, instances * T.size * 2 * L**3, seconds, repeats)
    return dict(path=path, disorder=disorder, L=L, threads=threads, ns_per_attempt=ns)


def benchmark(sizes=(8, 16), n_T: int = 20, instances: int = 4, seconds: float = 1.5, repeats: int = 3,
              max_threads: int | None = None) -> list[dict]:  # fmt: skip
    """Rows ``{path, disorder, L, threads, ns_per_attempt, speedup_vs_numpy, speedup_vs_plain}`` for every
    combination; ``instances`` per run for the numpy, plain and simd paths, 64 per thread for the multispin
    path. speedup_vs_plain compares with the plain path at the same thread count."""
    max_threads = max_threads or available_cpus()
    rows = []
    for disorder, (tmin, tmax) in TEMPERATURES.items():
        T = temperature_grid(tmin, tmax, n_T)
        paths = ["plain", "simd", "multispin"] if disorder == "bimodal" else ["plain", "simd"]
        for L in sizes:
            J = np.stack([instance_couplings(1, disorder, L, i) for i in range(instances)])
            base = _time_per_attempt(_numpy_run(J, T), instances * 2 * n_T * L**3, seconds, repeats)
            block = [dict(path="numpy", disorder=disorder, L=L, threads=1, ns_per_attempt=base)]
            for path in paths:
                for threads in sorted({1, max_threads}):
                    n = LANES * threads if path == "multispin" else instances
                    block.append(_kernel_row(path, disorder, L, T, n, threads, seconds, repeats))
            plain = {r["threads"]: r["ns_per_attempt"] for r in block if r["path"] == "plain"}
            for r in block:
                r["speedup_vs_numpy"] = base / r["ns_per_attempt"]
                kernel = r["path"] != "numpy"
                r["speedup_vs_plain"] = plain[r["threads"]] / r["ns_per_attempt"] if kernel else None
            rows += block
    return rows


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[8, 16], help="linear sizes L (default 8 16)")
    p.add_argument("--temperatures", type=int, default=20, help="n_T (default 20)")
    p.add_argument("--instances", type=int, default=4, help="disorder instances per run (default 4)")
    p.add_argument("--seconds", type=float, default=1.5, help="target length of one timed run (default 1.5)")
    p.add_argument("--repeats", type=int, default=3, help="timed runs per figure; the median is quoted")
    p.add_argument("--threads", type=int, default=None, help="'all threads' (default: CPUs available)")
    p.add_argument("--json", help="also write the rows to this JSON file")
    a = p.parse_args(argv)
    rows = benchmark(a.sizes, a.temperatures, a.instances, a.seconds, a.repeats, a.threads)
    print(f"{'path':<10} {'disorder':<9} {'L':>3} {'threads':>7} {'ns/attempt':>11} {'x numpy':>8} "
          f"{'x plain':>8}")  # fmt: skip
    for r in rows:
        vs_plain = "" if r["speedup_vs_plain"] is None else f"{r['speedup_vs_plain']:.1f}"
        print(f"{r['path']:<10} {r['disorder']:<9} {r['L']:>3} {r['threads']:>7} "
              f"{r['ns_per_attempt']:>11.3f} {r['speedup_vs_numpy']:>8.1f} {vs_plain:>8}")  # fmt: skip
    kernel = {
        (r["path"], r["disorder"], r["L"], r["threads"]): r["ns_per_attempt"]
        for r in rows
        if r["path"] != "numpy"
    }
    for (path, disorder, L, threads), ns in kernel.items():
        if threads > 1:
            print(f"thread scaling {path} {disorder} L={L}: {threads} threads / 1 thread = "
                  f"{kernel[(path, disorder, L, 1)] / ns:.2f}x")  # fmt: skip
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(rows, fh, indent=1)


if __name__ == "__main__":
    main()
