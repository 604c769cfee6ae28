"""Parallel-tempering Monte Carlo of the 3D Edwards-Anderson spin glass: the Python side of the kernel.

This module validates arguments, derives every random stream from the item's identity, allocates the
kernel's state, runs the kernel in segments (progress reports, checkpoints) and turns its raw sums into
the datasets of the Monte Carlo HDF5 contract (see :mod:`spinglass_ml.mc.chunks`).

Random streams. Instance ``i`` of disorder ``d`` at size ``L`` under master seed ``s`` draws its couplings
from ``SeedSequence(s, spawn_key=(d, L, i, 0))`` and its Monte Carlo randomness (initial spins, one
xoshiro128+ lane per configuration, the exchange stream) from ``spawn_key=(d, L, i, 1)``. Couplings are
therefore the same for any number of sweeps, and results do not depend on chunking or thread count.

Kernels. Three paths sample the same distribution:

* ``simd`` (``ext/ptmc_sweep.h``): float32 spins, the update of a site vectorised over the 2 n_T
  configurations of two instances at once, exp(-beta dE) from a float32 polynomial (relative error < 4e-7);
* ``multispin`` (``ext/ptmc_multispin.h``): ±1 couplings only, L >= 3; 64 instances per machine word, each
  with its own random streams and its own replica exchanges;
* ``plain`` (``sweep_plain`` in ``ext/ptmc.pyx``): the scalar reference, one spin of one configuration at a
  time with exp from libm in double precision, for tests and comparisons.

``kernel="auto"`` (the default) takes the multispin path when every coupling is ±1 and L >= 3 and the simd
path otherwise; ``kernel="simd"`` and ``kernel="plain"`` force those paths. L = 2 never takes the multispin
path: its +1 and -1 neighbours coincide, and its zero-field flips need probability 1/2 (``lattice``). The
plain and simd paths draw the same random numbers, so their chains coincide until a uniform falls between
their acceptance probabilities, which differ by the float32 rounding of -beta dE and of the exponential; the
multispin path draws different ones. Data of different paths therefore agree
statistically, not bit for bit.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np

from spinglass_ml import _ptmc
from spinglass_ml.mc.checkpoint import (
    CHECKPOINT_NAMES,
    fingerprint,
    load_checkpoint,
    load_finished,
    save_checkpoint,
)
from spinglass_ml.mc.chunks import write_chunk
from spinglass_ml.mc.lattice import (
    DISORDERS,
    draw_couplings,
    neighbour_couplings,
    neighbour_table,
    zero_field_flip_probability,
)
from spinglass_ml.mc.prefixes import carry_on, prefix_stages
from spinglass_ml.mc.readout import readout
from spinglass_ml.mc.schedule import MEASURE_EVERY, temperature_ladder
from spinglass_ml.mc.state import (
    LANES,
    MultispinState,
    PTState,
    acceptance_thresholds,
    initial_multispin_state,
    initial_state,
    multispin_applies,
    pack_lanes,
)
from spinglass_ml.seeds import STREAM_COUPLINGS, STREAM_MC, instance_seed

# The version of the sampled chains. Bump it with any change that alters a bit of any path's Monte Carlo
# output (kernel arithmetic, random streams, schedule, initial state): rule simulate reruns exactly when it
# changes, and tests/mc/test_chain_version.py fails until the golden digests are updated with it.
CHAIN_VERSION = 1
KERNELS = ("auto", "simd", "plain")
MAX_TEMPERATURES = 256  # the kernel holds 2 n_T slots per instance, at most 512


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the OS has one, as under SLURM; else all)."""
    if hasattr(os, "sched_getaffinity"):  # Linux; not on macOS
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def instance_couplings(seed: int, disorder: str, L: int, instance: int) -> np.ndarray:
    """Couplings of one instance, float32 (3, L, L, L); depend only on (seed, disorder, L, instance)."""
    rng = np.random.default_rng(instance_seed(seed, disorder, L, instance, STREAM_COUPLINGS))
    return draw_couplings(rng, disorder, L)


def _validate(couplings: np.ndarray, temperatures: np.ndarray, sweeps: int, n_con: int, threads: int) -> None:
    if couplings.ndim != 5 or couplings.shape[1] != 3 or len(set(couplings.shape[2:])) != 1:
        raise ValueError(f"couplings: expected shape (n_i, 3, L, L, L), got {couplings.shape}")
    if couplings.shape[-1] < 2:
        raise ValueError(f"L: need L >= 2, got {couplings.shape[-1]}")
    if not np.all(np.isfinite(couplings)):
        raise ValueError("couplings: contain NaN or infinity")
    if temperatures.ndim != 1 or temperatures.size < 2:
        raise ValueError(
            f"temperatures: need a 1-d array of at least 2 values, got shape {temperatures.shape}"
        )
    if temperatures.size > MAX_TEMPERATURES:
        raise ValueError(f"temperatures: at most {MAX_TEMPERATURES}, got {temperatures.size}")
    if not (np.all(np.isfinite(temperatures)) and np.all(temperatures > 0)):
        raise ValueError("temperatures: must be finite and positive")
    if not np.all(np.diff(temperatures) > 0):
        raise ValueError("temperatures: must be strictly ascending")
    if int(sweeps) != sweeps or sweeps < 2:
        raise ValueError(f"sweeps: need an integer >= 2, got {sweeps}")
    if int(n_con) != n_con or not 1 <= n_con <= sweeps // 2:
        raise ValueError(
            f"n_con: need 1 <= n_con <= sweeps // 2 = {sweeps // 2} (the measurement window), got {n_con}"
        )
    if int(threads) != threads or threads < 1:
        raise ValueError(f"threads: need an integer >= 1, got {threads}")


def _slot_path(couplings, temperatures, sweeps, n_con, mc_seeds, threads, plain):
    """Initial state and advance(state, stop) of the slot kernel (ext/ptmc.pyx, run): the simd path, or with
    ``plain`` its scalar reference sweep."""
    n_i, L, N = couplings.shape[0], couplings.shape[-1], couplings.shape[-1] ** 3
    J6 = np.stack([neighbour_couplings(c) for c in couplings]) if n_i else np.zeros((0, N, 6), np.float32)
    nbr, betas, p_zero = neighbour_table(L), 1.0 / temperatures, zero_field_flip_probability(L)

    def advance(state: PTState, stop: int) -> None:
        _ptmc.run(
            state.spins, state.energy, state.perm, state.lanes, state.xrng, J6, nbr, betas,
            state.acc, state.bins, state.swaps, state.snaps, state.sweeps_done, stop, sweeps, p_zero,
            MEASURE_EVERY, threads, plain,
        )  # fmt: skip
        state.sweeps_done = stop

    return (lambda: initial_state(couplings, temperatures.size, sweeps, n_con, mc_seeds)), advance


def _multispin_path(couplings, temperatures, sweeps, n_con, mc_seeds, threads):
    """Initial state and advance(state, stop) of the multispin kernel (couplings all ±1, L >= 3)."""
    n_i, L = couplings.shape[0], couplings.shape[-1]
    n_p = LANES * -(-n_i // LANES)
    J6 = np.ones((n_p, L**3, 6), np.float32)
    J6[:n_i] = [neighbour_couplings(c) for c in couplings]
    jbits = pack_lanes(J6 < 0)
    nbr, betas = neighbour_table(L), 1.0 / temperatures
    p32, digits = acceptance_thresholds(betas)

    def advance(state: MultispinState, stop: int) -> None:
        _ptmc.run_multispin(
            state.spins, jbits, nbr, digits, p32, betas, state.ring, state.ring_pos, state.frng, state.xrng,
            state.energy, state.acc, state.bins, state.swaps, state.snaps, state.sweeps_done, stop, sweeps,
            MEASURE_EVERY, threads,
        )  # fmt: skip
        state.sweeps_done = stop

    return (lambda: initial_multispin_state(couplings, temperatures.size, sweeps, n_con, mc_seeds)), advance


def kernel_path(couplings, temperatures, sweeps, n_con, mc_seeds, threads, kernel="auto"):
    """The kernel ``run_pt`` takes for these arguments (validated there): ``(path, start, advance)``, path
    one of "multispin", "simd", "plain" (module docstring), ``start()`` the initial state,
    ``advance(state, stop)`` runs the kernel up to sweep ``stop``."""
    if kernel not in KERNELS:
        raise ValueError(f"kernel: must be one of {KERNELS}, got {kernel!r}")
    args = (couplings, temperatures, sweeps, n_con, mc_seeds, threads)
    if kernel == "auto" and couplings.shape[0] > 0 and multispin_applies(couplings):
        return ("multispin", *_multispin_path(*args))
    path = "plain" if kernel == "plain" else "simd"
    return (path, *_slot_path(*args, plain=path == "plain"))


def run_pt(
    couplings: np.ndarray,
    temperatures: np.ndarray,
    sweeps: int,
    n_con: int,
    mc_seeds: Sequence[np.random.SeedSequence],
    *,
    prefixes: Sequence[int] = (),
    threads: int | None = None,
    checkpoint_path: str | Path | None = None,
    checkpoint_interval: float = 600.0,
    progress: Callable[[str], None] | None = None,
    progress_interval: float = 30.0,
    kernel: str = "auto",
) -> dict[str, np.ndarray]:
    """Parallel tempering for a set of disorder instances.

    Parameters
    ----------
    couplings : float (n_i, 3, L, L, L)
    temperatures : float (n_T,), strictly ascending, positive
    sweeps : total sweeps; the measurement window is the last ``sweeps // 2``
    n_con : overlap snapshots per (instance, temperature), evenly spaced over the window
    mc_seeds : one ``SeedSequence`` per instance for its Monte Carlo randomness
    prefixes : sweeps S' < sweeps of prefix data sets recorded on the way (:func:`.prefixes.prefix_stages`):
        each is bit for bit what a run of S' sweeps with the same arguments returns
    threads : OpenMP threads (default: the CPUs this process may use); results do not depend on it
    kernel : "auto" (multispin path for ±1 couplings at L >= 3, else simd), "simd" or "plain"; see the
        module docstring
    checkpoint_path : where to save the state every ``checkpoint_interval`` seconds; if it holds the
        state of this exact run, the run resumes from it (bit-identical to an uninterrupted run)
    progress : called with a one-line report about every ``progress_interval`` seconds

    Returns
    -------
    dict with the contract datasets ``energy, link_overlap, q2, q4, qk2`` (n_i, n_T),
    ``logbins/energy, logbins/link_overlap, logbins/q2`` (n_i, n_T, n_bins), ``swap_acceptance``
    (n_i, n_T - 1), ``overlaps`` int8 (n_i, n_T, n_con, L, L, L), ``final_spins`` int8
    (n_i, n_T, 2, L, L, L), and ``final_energy`` (n_i, n_T, 2): total energy of each final configuration,
    as tracked by the kernel; with ``prefixes``, also ``prefixes``: {S': the same dict for S' sweeps}.
    """
    couplings = np.asarray(couplings)
    temperatures = np.asarray(temperatures, dtype=np.float64)
    threads = available_cpus() if threads is None else threads
    _validate(couplings, temperatures, sweeps, n_con, threads)
    if len(mc_seeds) != couplings.shape[0]:
        raise ValueError(f"mc_seeds: need one per instance ({couplings.shape[0]}), got {len(mc_seeds)}")
    sweeps, n_con = int(sweeps), int(n_con)
    stages = prefix_stages(sweeps, prefixes, n_con)

    path, start, _ = kernel_path(couplings, temperatures, stages[0], n_con, mc_seeds, threads, kernel)
    fp = fingerprint(
        couplings, temperatures, sweeps, n_con, mc_seeds, CHECKPOINT_NAMES[path], tuple(stages[:-1])
    )
    cls = MultispinState if path == "multispin" else PTState
    state = load_checkpoint(checkpoint_path, fp, cls) if checkpoint_path else None
    report = progress or (lambda msg: None)
    finished: dict[int, dict] = {}
    if state is None:
        state = start()
    else:
        finished = load_finished(checkpoint_path)
        report(f"resuming from checkpoint {checkpoint_path} at sweep {state.sweeps_done}/{sweeps}")

    t_start = time.monotonic()
    done_at_start = state.sweeps_done
    last_report = last_ckpt = t_start
    block = 1
    # size each call to about 1/4 of the shorter interval; the result does not depend on it
    target = 0.25 * min(progress_interval, checkpoint_interval if checkpoint_path else progress_interval)
    for stage in stages:
        if stage in finished:
            continue
        advance = kernel_path(couplings, temperatures, stage, n_con, mc_seeds, threads, kernel)[2]
        while state.sweeps_done < stage:
            t0 = time.monotonic()
            stop = min(stage, state.sweeps_done + block)
            advance(state, stop)
            now = time.monotonic()
            per_sweep = max(now - t0, 1e-9) / block
            block = int(np.clip(target / per_sweep, 1, sweeps))
            if checkpoint_path and now - last_ckpt >= checkpoint_interval and state.sweeps_done < stage:
                save_checkpoint(checkpoint_path, state, fp, finished)
                last_ckpt = now
            if now - last_report >= progress_interval or state.sweeps_done == sweeps:
                rate = (state.sweeps_done - done_at_start) / max(now - t_start, 1e-9)
                eta = (sweeps - state.sweeps_done) / max(rate, 1e-12)
                report(
                    f"sweep {state.sweeps_done}/{sweeps} ({100.0 * state.sweeps_done / sweeps:.1f}%), "
                    f"{now - t_start:.1f} s elapsed, about {eta:.0f} s left"
                )
                last_report = now
        if stage < sweeps:
            finished[stage] = readout(state, path, couplings.shape[0], temperatures.size, stage)
            report(f"prefix data set of {stage} sweeps recorded")
            state = carry_on(state, stages[stages.index(stage) + 1])
    out = readout(state, path, couplings.shape[0], temperatures.size, sweeps)
    return {**out, "prefixes": finished} if prefixes else out


def simulate_chunk(
    *,
    disorder: str,
    L: int,
    temperatures: Sequence[float],
    sweeps: int,
    n_con: int,
    seed: int,
    first_instance: int,
    n_instances: int,
    prefixes: Sequence[int] = (),
    threads: int | None = None,
    checkpoint_path: str | Path | None = None,
    checkpoint_interval: float = 600.0,
    progress: Callable[[str], None] | None = None,
    kernel: str = "auto",
    measured: int | None = None,
) -> dict[str, np.ndarray]:
    """Simulate disorder instances ``first_instance .. first_instance + n_instances - 1``.

    ``temperatures`` is the whole parallel-tempering ladder; only its first ``measured`` (all by default) are
    kept, the rest is a hot end that speeds up equilibration (:func:`.schedule.temperature_ladder`).

    Returns every dataset of the Monte Carlo HDF5 contract (``temperatures``, ``couplings`` and the
    outputs of :func:`run_pt` except ``final_energy``) at the measured temperatures, ready for
    :func:`spinglass_ml.mc.chunks.write_chunk`, plus ``ladder/temperatures`` and ``ladder/swap_acceptance``
    of the whole ladder if it has a hot end; with ``prefixes``, also ``prefixes``: {S': the same datasets of
    the S'-sweep prefix data set}.
    """
    if disorder not in DISORDERS:
        raise ValueError(f"disorder: must be one of {DISORDERS}, got {disorder!r}")
    if int(L) != L or L < 2:
        raise ValueError(f"L: need an integer >= 2, got {L}")
    if int(seed) != seed or seed < 0:
        raise ValueError(f"seed: need a non-negative integer, got {seed}")
    if int(first_instance) != first_instance or first_instance < 0:
        raise ValueError(f"first_instance: need a non-negative integer, got {first_instance}")
    if int(n_instances) != n_instances or n_instances < 1:
        raise ValueError(f"n_instances: need an integer >= 1, got {n_instances}")
    ids = range(int(first_instance), int(first_instance) + int(n_instances))
    couplings = np.stack([instance_couplings(seed, disorder, L, i) for i in ids])
    mc_seeds = [instance_seed(seed, disorder, L, i, STREAM_MC) for i in ids]
    T = np.asarray(temperatures, dtype=np.float64)
    if measured is not None and not 2 <= measured <= T.size:
        raise ValueError(f"measured: need 2 <= measured <= {T.size} temperatures, got {measured}")
    n = T.size if measured is None else int(measured)
    out = run_pt(
        couplings, T, sweeps, n_con, mc_seeds, prefixes=prefixes, threads=threads,
        checkpoint_path=checkpoint_path, checkpoint_interval=checkpoint_interval, progress=progress,
        kernel=kernel,
    )  # fmt: skip
    prefixes = {s: _measured(d, T, n, couplings) for s, d in out.pop("prefixes", {}).items()}
    return {**_measured(out, T, n, couplings), **({"prefixes": prefixes} if prefixes else {})}


def _measured(out: dict, T: np.ndarray, n: int, couplings: np.ndarray) -> dict[str, np.ndarray]:
    """The contract's datasets of one :func:`run_pt` result on ladder T, kept at its first n temperatures:
    every dataset but ``final_energy`` has the temperature on axis 1 (``swap_acceptance`` the n - 1 pairs)."""
    kept = {key: value[:, : n - 1 if key == "swap_acceptance" else n] for key, value in out.items()
            if key != "final_energy"}  # fmt: skip
    if n == T.size:
        return {"temperatures": T, "couplings": couplings, **kept}
    ladder = {"ladder/temperatures": T, "ladder/swap_acceptance": out["swap_acceptance"]}
    return {"temperatures": T[:n], "couplings": couplings, **kept, **ladder}


def config_hash(disorder: str, temperatures: Mapping, run: Mapping, seed: int, kernel: str) -> str:
    """SHA-256 of what determines a chunk's data (threads and checkpointing do not), stored in the file."""
    physics = {"disorder": disorder, "temperatures": temperatures, "run": run, "seed": seed, "kernel": kernel}
    return hashlib.sha256(json.dumps(physics, sort_keys=True).encode()).hexdigest()


def simulate_to_file(
    path: str | Path,
    *,
    disorder: str,
    temperatures: Mapping,
    run: Mapping,
    seed: int,
    kernel: str = "auto",
    threads: int | None = None,
    checkpoint_path: str | Path | None = None,
    checkpoint_interval: float = 600.0,
    progress: Callable[[str], None] | None = None,
    prefix_paths: Mapping[int, str | Path] | None = None,
) -> None:
    """Simulate one chunk and write it as the HDF5 contract (:func:`spinglass_ml.mc.chunks.write_chunk`).

    Parameters
    ----------
    temperatures : the grid spec ``{min, max, n, spacing[, hot]}`` (:func:`.schedule.temperature_ladder`)
    run : ``{L, sweeps, n_con, first_instance, n_instances}``
    checkpoint_path : resumed if it holds this exact run; removed once the chunk is written
    prefix_paths : {S': path} of prefix data sets (:mod:`.prefixes`) to write too, each the file a run of S'
        sweeps writes (its ``sweeps`` and ``config_hash`` those of that run)
    """
    prefix_paths = dict(prefix_paths or {})
    report = progress or (lambda msg: None)
    report(f"chunk {json.dumps(dict(run), sort_keys=True)} of {disorder}, prefixes {sorted(prefix_paths)}")
    data = simulate_chunk(
        disorder=disorder, L=run["L"], temperatures=temperature_ladder(temperatures), sweeps=run["sweeps"],
        n_con=run["n_con"], seed=seed, first_instance=run["first_instance"], n_instances=run["n_instances"],
        prefixes=list(prefix_paths), threads=threads, checkpoint_path=checkpoint_path,
        checkpoint_interval=checkpoint_interval, progress=progress, kernel=kernel, measured=temperatures["n"],
    )  # fmt: skip
    prefixes = data.pop("prefixes", {})
    outputs = [(s, prefix_paths[s], prefixes[s]) for s in sorted(prefixes)] + [(run["sweeps"], path, data)]
    for sweeps, out, datasets in outputs:
        its_run = {**run, "sweeps": sweeps}
        digest = config_hash(disorder, dict(temperatures), its_run, seed, kernel)
        attrs = {k: its_run[k] for k in ("L", "sweeps", "first_instance", "n_instances", "n_con")}
        write_chunk(out, datasets, attrs={**attrs, "disorder": disorder, "seed": seed, "config_hash": digest})
        report(f"wrote {out}, config_hash {digest}")
    if checkpoint_path:
        Path(checkpoint_path).unlink(missing_ok=True)  # only checkpoints of unfinished work are kept
