"""Kernel benchmark: nanoseconds per attempted spin flip, against the NumPy baseline in the same run.

Usage::

    python -m spinglass_ml.mc.benchmark        # L = 8 and 16, both disorders, every path, 1 and all threads
    python -m spinglass_ml.mc.benchmark --sizes 8 --seconds 0.5 --json bench.json

Paths: ``numpy`` (``spinglass_ml.mc.numpy_baseline``, the same algorithm as a vectorised NumPy checkerboard,
the baseline), the kernel's ``plain`` (scalar reference) and ``simd`` paths and, for bimodal couplings,
``multispin`` (the default path there; see ``spinglass_ml.mc.simulation``); for Gaussian couplings also
``cloop``, the textbook loop in a few lines of C vectorised across the replicas by the compiler alone
(``ext/ptmc_cloop.c``, built here with ``-O3 -march=native -ffast-math``; skipped, with a note, where no C
compiler builds it), for "x cloop", the kernel against what a short C loop gets on this machine. Every figure
is the median over ``--repeats`` of the time of whole parallel-tempering runs of S sweeps (Metropolis sweeps,
replica exchange and all measurements, half of the sweeps in the measurement window) divided by instances x 2
n_T x L^3 x S; for the kernel paths only the kernel calls are timed (set-up of couplings and initial states
excluded), the NumPy runs are timed whole. The multispin path runs 64 instances per word, so it is timed with
64 instances per thread (one full word each). Ratios are taken within one run, so they hold when the machine's
speed drifts between runs; "x plain" compares with the plain path at the same thread count.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from spinglass_ml import _ptmc
from spinglass_ml.mc import numpy_baseline
from spinglass_ml.mc.lattice import neighbour_couplings, neighbour_table
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


CLOOP_FLAGS = ["-O3", "-march=native", "-ffast-math", "-mprefer-vector-width=512", "-fopenmp"]


def build_cloop() -> tuple[Callable | None, str]:
    """Build the C-loop comparator ``ext/ptmc_cloop.c`` of the source tree with ``$CC`` (default cc) and
    CLOOP_FLAGS (without the last ones if the compiler rejects them) into a temporary directory: ``(run,
    description)``, run None (and description the reason) if there is no source or no compiler that builds
    it."""
    here = Path(_ptmc.__file__).resolve().parent
    found = [d / "ext" / "ptmc_cloop.c" for d in here.parents if (d / "ext" / "ptmc_cloop.c").exists()]
    src = found[0] if found else None
    if src is None:
        return None, "cloop skipped: ext/ptmc_cloop.c not found (not a source checkout)"
    cc = os.environ.get("CC", "cc")
    lib = Path(tempfile.mkdtemp(prefix="spinglass-cloop-")) / "ptmc_cloop.so"
    for n in (len(CLOOP_FLAGS), len(CLOOP_FLAGS) - 1, len(CLOOP_FLAGS) - 2):
        cmd = [cc, *CLOOP_FLAGS[:n], "-fPIC", "-shared", str(src), "-o", str(lib), "-lm"]
        try:
            if subprocess.run(cmd, capture_output=True).returncode == 0:
                fn = ctypes.CDLL(str(lib)).ptmc_cloop_run
                break
        except OSError:
            return None, f"cloop skipped: no C compiler {cc!r}"
    else:
        return None, f"cloop skipped: {cc} could not build {src}"
    fn.restype = ctypes.c_int
    fn.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long] + [ctypes.c_void_p] * 3 + [
        ctypes.c_int, ctypes.c_void_p]  # fmt: skip
    return fn, f"cloop: {src.name} built with {' '.join([cc, *CLOOP_FLAGS[:n]])}"


def _cloop_run(fn, J, T, threads: int) -> Callable[[int], float]:
    L = J.shape[-1]
    J6 = np.ascontiguousarray(np.stack([neighbour_couplings(c) for c in J]), np.float32)
    nbr = neighbour_table(L)
    betas = np.ascontiguousarray(1.0 / T)
    out = np.zeros((len(J), 3, T.size))  # e, q_l, q^2 of each instance

    def run(sweeps: int) -> float:
        t0 = time.perf_counter()  # includes the loop's own set-up (random start, energies): O(1 sweep)
        fn(len(J), L, T.size, sweeps, J6.ctypes.data, nbr.ctypes.data, betas.ctypes.data, threads,
           out.ctypes.data)  # fmt: skip
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
              max_threads: int | None = None, cloop: Callable | None = None) -> list[dict]:  # fmt: skip
    """Rows ``{path, disorder, L, threads, ns_per_attempt, speedup_vs_numpy, speedup_vs_plain,
    speedup_vs_cloop}`` for every combination; ``instances`` per run for the numpy, plain, simd and cloop
    paths, 64 per thread for the multispin path. speedup_vs_plain and speedup_vs_cloop compare with the plain
    path and the C loop (``cloop``, from :func:`build_cloop`; Gaussian only, no rows if None) at the same
    thread count."""
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
            for threads in sorted({1, max_threads}) if cloop is not None and disorder == "gaussian" else ():
                ns = _time_per_attempt(_cloop_run(cloop, J, T, threads), instances * 2 * n_T * L**3, seconds,
                                       repeats)  # fmt: skip
                block.append(dict(path="cloop", disorder=disorder, L=L, threads=threads, ns_per_attempt=ns))
            plain = {r["threads"]: r["ns_per_attempt"] for r in block if r["path"] == "plain"}
            c_loop = {r["threads"]: r["ns_per_attempt"] for r in block if r["path"] == "cloop"}
            for r in block:
                r["speedup_vs_numpy"] = base / r["ns_per_attempt"]
                kernel = r["path"] not in ("numpy", "cloop")
                r["speedup_vs_plain"] = plain[r["threads"]] / r["ns_per_attempt"] if kernel else None
                has = kernel and r["threads"] in c_loop
                r["speedup_vs_cloop"] = c_loop[r["threads"]] / r["ns_per_attempt"] if has else None
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
    p.add_argument("--no-cloop", action="store_true", help="skip building and timing the C-loop comparator")
    a = p.parse_args(argv)
    cloop, note = (None, "cloop skipped (--no-cloop)") if a.no_cloop else build_cloop()
    rows = benchmark(a.sizes, a.temperatures, a.instances, a.seconds, a.repeats, a.threads, cloop)
    print(note)
    print(f"{'path':<10} {'disorder':<9} {'L':>3} {'threads':>7} {'ns/attempt':>11} {'x numpy':>8} "
          f"{'x plain':>8} {'x cloop':>8}")  # fmt: skip
    for r in rows:
        vs_plain = "" if r["speedup_vs_plain"] is None else f"{r['speedup_vs_plain']:.1f}"
        vs_cloop = "" if r["speedup_vs_cloop"] is None else f"{r['speedup_vs_cloop']:.2f}"
        figures = f"{r['ns_per_attempt']:>11.3f} {r['speedup_vs_numpy']:>8.1f} {vs_plain:>8} {vs_cloop:>8}"
        print(f"{r['path']:<10} {r['disorder']:<9} {r['L']:>3} {r['threads']:>7} {figures}")
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
