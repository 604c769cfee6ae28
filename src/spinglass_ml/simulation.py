"""Parallel-tempering Monte Carlo of the 3D Edwards-Anderson spin glass: the Python side of the kernel.

This module validates arguments, derives every random stream from the item's identity, allocates the
kernel's state, runs the kernel in segments (progress reports, checkpoints) and turns its raw sums into
the datasets of the Monte Carlo HDF5 contract (see ``mcio``).

Random streams. Instance ``i`` of disorder ``d`` at size ``L`` under master seed ``s`` draws its couplings
from ``SeedSequence(s, spawn_key=(d, L, i, 0))`` and its Monte Carlo randomness (initial spins, one
xoshiro128+ lane per configuration, the exchange stream) from ``spawn_key=(d, L, i, 1)``. Couplings are
therefore the same for any number of sweeps, and results do not depend on chunking or thread count.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from . import _ptmc
from .lattice import (
    DISORDERS,
    draw_couplings,
    energy,
    neighbour_couplings,
    neighbour_table,
    zero_field_flip_probability,
)

DISORDER_CODE = {"gaussian": 0, "bimodal": 1}
STREAM_COUPLINGS, STREAM_MC = 0, 1
MAX_TEMPERATURES = 256  # the kernel holds 2 n_T slots per instance, at most 512


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the OS has one, as under SLURM; else all)."""
    if hasattr(os, "sched_getaffinity"):  # Linux; not on macOS
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def temperature_grid(tmin: float, tmax: float, n: int, spacing: str = "geometric") -> np.ndarray:
    """Ascending temperatures, float64 (n,): geometric (constant ratio, the usual PT choice) or linear."""
    if not 0 < tmin < tmax:
        raise ValueError(f"temperatures: need 0 < min < max, got min={tmin}, max={tmax}")
    if n < 2:
        raise ValueError(f"temperatures: need n >= 2, got {n}")
    if spacing == "geometric":
        return np.geomspace(tmin, tmax, n)
    if spacing == "linear":
        return np.linspace(tmin, tmax, n)
    raise ValueError(f"temperatures: spacing must be 'geometric' or 'linear', got {spacing!r}")


def instance_seed(seed: int, disorder: str, L: int, instance: int, stream: int) -> np.random.SeedSequence:
    """The seed sequence of one random stream of one disorder instance (see the module docstring)."""
    return np.random.SeedSequence(seed, spawn_key=(DISORDER_CODE[disorder], L, instance, stream))


def instance_couplings(seed: int, disorder: str, L: int, instance: int) -> np.ndarray:
    """Couplings of one instance, float32 (3, L, L, L); depend only on (seed, disorder, L, instance)."""
    rng = np.random.default_rng(instance_seed(seed, disorder, L, instance, STREAM_COUPLINGS))
    return draw_couplings(rng, disorder, L)


def n_log_bins(sweeps: int) -> int:
    """Number of log bins [2^k, 2^(k+1)) covering the 0-based sweep indices 0..sweeps-1 (0 joins bin 0)."""
    return max(int(sweeps - 1).bit_length(), 1)


def log_bin_counts(sweeps: int) -> np.ndarray:
    """Sweeps in each log bin, int64 (n_bins,)."""
    u = np.maximum(np.arange(sweeps), 1)
    return np.bincount(np.floor(np.log2(u)).astype(int), minlength=n_log_bins(sweeps))


@dataclass
class PTState:
    """Everything the kernel carries from one call to the next (leading axis: instance)."""

    spins: np.ndarray  # float32 (n_i, N, 2 n_T), ±1, slots innermost
    energy: np.ndarray  # float64 (n_i, 2 n_T), total energy of each slot
    perm: np.ndarray  # int32 (n_i, 2, n_T), slot at (chain, temperature)
    lanes: np.ndarray  # uint32 (n_i, 4, 2 n_T), xoshiro128+ state of each slot's lane
    xrng: np.ndarray  # uint32 (n_i, 4), xoshiro128+ state of the exchange stream
    acc: np.ndarray  # float64 (n_i, 5, n_T), window sums of e, q_l, q^2, q^4, qk2
    bins: np.ndarray  # float64 (n_i, 2, n_T, n_bins), log-bin sums of e and q_l
    swaps: np.ndarray  # float64 (n_i, n_T - 1), accepted exchanges in the window
    snaps: np.ndarray  # int8 (n_i, n_T, n_con, N), overlap snapshots
    sweeps_done: int = 0


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


def initial_state(
    couplings: np.ndarray, n_T: int, sweeps: int, n_con: int, mc_seeds: Sequence[np.random.SeedSequence]
) -> PTState:
    """Random initial spins and RNG states of every instance, drawn from its own Monte Carlo stream."""
    n_i, L = couplings.shape[0], couplings.shape[-1]
    N, R = L**3, 2 * n_T
    spins = np.empty((n_i, N, R), np.float32)
    lanes = np.empty((n_i, 4, R), np.uint32)
    xrng = np.empty((n_i, 4), np.uint32)
    e0 = np.empty((n_i, R))
    for i, ss in enumerate(mc_seeds):
        rng = np.random.default_rng(ss)
        spins[i] = 2.0 * rng.integers(0, 2, size=(N, R)) - 1.0
        lanes[i] = rng.integers(1, 2**32, size=(4, R), dtype=np.uint32)  # xoshiro needs a non-zero state
        xrng[i] = rng.integers(1, 2**32, size=4, dtype=np.uint32)
        e0[i] = energy(spins[i].T.reshape(R, L, L, L), couplings[i])
    perm = np.broadcast_to(np.arange(R, dtype=np.int32).reshape(2, n_T), (n_i, 2, n_T)).copy()
    return PTState(
        spins=spins,
        energy=e0,
        perm=perm,
        lanes=lanes,
        xrng=xrng,
        acc=np.zeros((n_i, 5, n_T)),
        bins=np.zeros((n_i, 2, n_T, n_log_bins(sweeps))),
        swaps=np.zeros((n_i, n_T - 1)),
        snaps=np.zeros((n_i, n_T, n_con, N), np.int8),
    )


def _fingerprint(couplings: np.ndarray, temperatures: np.ndarray, sweeps: int, n_con: int, mc_seeds) -> str:
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(couplings, np.float32).tobytes())
    h.update(np.ascontiguousarray(temperatures, np.float64).tobytes())
    h.update(f"{sweeps},{n_con}".encode())
    for ss in mc_seeds:
        h.update(repr((ss.entropy, ss.spawn_key)).encode())
    return h.hexdigest()


def save_checkpoint(path: str | Path, state: PTState, fingerprint: str) -> None:
    """Write the full state atomically: a killed job leaves the previous checkpoint or none, never half."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        np.savez(
            fh, fingerprint=np.array(fingerprint), **{f.name: getattr(state, f.name) for f in fields(state)}
        )
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def load_checkpoint(path: str | Path, fingerprint: str) -> PTState | None:
    """The saved state if the file exists and belongs to this exact run, else None."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        with np.load(path) as z:
            if str(z["fingerprint"]) != fingerprint:
                return None
            kw = {f.name: z[f.name] for f in fields(PTState)}
    except (OSError, ValueError, KeyError):
        return None
    kw["sweeps_done"] = int(kw["sweeps_done"])
    return PTState(**kw)


def _advance(state: PTState, J6, nbr, betas, stop: int, sweeps: int, p_zero: float, threads: int) -> None:
    _ptmc.run(
        state.spins, state.energy, state.perm, state.lanes, state.xrng, J6, nbr, betas,
        state.acc, state.bins, state.swaps, state.snaps, state.sweeps_done, stop, sweeps, p_zero, threads,
    )  # fmt: skip
    state.sweeps_done = stop


def run_pt(
    couplings: np.ndarray,
    temperatures: np.ndarray,
    sweeps: int,
    n_con: int,
    mc_seeds: Sequence[np.random.SeedSequence],
    *,
    threads: int | None = None,
    checkpoint_path: str | Path | None = None,
    checkpoint_interval: float = 600.0,
    progress: Callable[[str], None] | None = None,
    progress_interval: float = 30.0,
) -> dict[str, np.ndarray]:
    """Parallel tempering for a set of disorder instances.

    Parameters
    ----------
    couplings : float (n_i, 3, L, L, L)
    temperatures : float (n_T,), strictly ascending, positive
    sweeps : total sweeps; the measurement window is the last ``sweeps // 2``
    n_con : overlap snapshots per (instance, temperature), evenly spaced over the window
    mc_seeds : one ``SeedSequence`` per instance for its Monte Carlo randomness
    threads : OpenMP threads (default: the CPUs this process may use); results do not depend on it
    checkpoint_path : where to save the state every ``checkpoint_interval`` seconds; if it holds the
        state of this exact run, the run resumes from it (bit-identical to an uninterrupted run)
    progress : called with a one-line report about every ``progress_interval`` seconds

    Returns
    -------
    dict with the contract datasets ``energy, link_overlap, q2, q4, qk2`` (n_i, n_T),
    ``logbins/energy, logbins/link_overlap`` (n_i, n_T, n_bins), ``swap_acceptance`` (n_i, n_T - 1),
    ``overlaps`` int8 (n_i, n_T, n_con, L, L, L), ``final_spins`` int8 (n_i, n_T, 2, L, L, L), and
    ``final_energy`` (n_i, n_T, 2): total energy of each final configuration, as tracked by the kernel.
    """
    couplings = np.asarray(couplings)
    temperatures = np.asarray(temperatures, dtype=np.float64)
    threads = available_cpus() if threads is None else threads
    _validate(couplings, temperatures, sweeps, n_con, threads)
    if len(mc_seeds) != couplings.shape[0]:
        raise ValueError(f"mc_seeds: need one per instance ({couplings.shape[0]}), got {len(mc_seeds)}")
    sweeps, n_con = int(sweeps), int(n_con)
    n_i, L, n_T = couplings.shape[0], couplings.shape[-1], temperatures.size
    N = L**3

    J6 = np.stack([neighbour_couplings(c) for c in couplings]) if n_i else np.zeros((0, N, 6), np.float32)
    nbr = neighbour_table(L)
    betas = 1.0 / temperatures
    fp = _fingerprint(couplings, temperatures, sweeps, n_con, mc_seeds)
    state = load_checkpoint(checkpoint_path, fp) if checkpoint_path else None
    report = progress or (lambda msg: None)
    if state is None:
        state = initial_state(couplings, n_T, sweeps, n_con, mc_seeds)
    else:
        report(f"resuming from checkpoint {checkpoint_path} at sweep {state.sweeps_done}/{sweeps}")

    t_start = time.monotonic()
    done_at_start = state.sweeps_done
    last_report = last_ckpt = t_start
    block = 1
    while state.sweeps_done < sweeps:
        t0 = time.monotonic()
        stop = min(sweeps, state.sweeps_done + block)
        _advance(state, J6, nbr, betas, stop, sweeps, zero_field_flip_probability(L), threads)
        now = time.monotonic()
        # size the next call to about 1/4 of the shorter interval; the result does not depend on it
        per_sweep = max(now - t0, 1e-9) / block
        target = 0.25 * min(progress_interval, checkpoint_interval if checkpoint_path else progress_interval)
        block = int(np.clip(target / per_sweep, 1, sweeps))
        if checkpoint_path and now - last_ckpt >= checkpoint_interval and state.sweeps_done < sweeps:
            save_checkpoint(checkpoint_path, state, fp)
            last_ckpt = now
        if now - last_report >= progress_interval or state.sweeps_done == sweeps:
            rate = (state.sweeps_done - done_at_start) / max(now - t_start, 1e-9)
            eta = (sweeps - state.sweeps_done) / max(rate, 1e-12)
            report(
                f"sweep {state.sweeps_done}/{sweeps} ({100.0 * state.sweeps_done / sweeps:.1f}%), "
                f"{now - t_start:.1f} s elapsed, about {eta:.0f} s left"
            )
            last_report = now
    return _results(state, L, sweeps)


def _results(state: PTState, L: int, sweeps: int) -> dict[str, np.ndarray]:
    """Turn the kernel's sums into window averages and contract-shaped arrays."""
    n_i, n_T = state.perm.shape[0], state.perm.shape[2]
    n_meas = sweeps // 2
    acc = state.acc / n_meas
    bins = state.bins / log_bin_counts(sweeps)
    idx = np.arange(n_i)[:, None, None]
    slots = state.perm.transpose(0, 2, 1)  # (n_i, n_T, 2)
    final = state.spins.transpose(0, 2, 1)[idx, slots]  # (n_i, n_T, 2, N)
    return {
        "energy": acc[:, 0],
        "link_overlap": acc[:, 1],
        "q2": acc[:, 2],
        "q4": acc[:, 3],
        "qk2": acc[:, 4],
        "logbins/energy": bins[:, 0],
        "logbins/link_overlap": bins[:, 1],
        "swap_acceptance": state.swaps / (2.0 * n_meas),
        "overlaps": state.snaps.reshape(n_i, n_T, -1, L, L, L),
        "final_spins": final.astype(np.int8).reshape(n_i, n_T, 2, L, L, L),
        "final_energy": state.energy[idx, slots],
    }


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
    threads: int | None = None,
    checkpoint_path: str | Path | None = None,
    checkpoint_interval: float = 600.0,
    progress: Callable[[str], None] | None = None,
) -> dict[str, np.ndarray]:
    """Simulate disorder instances ``first_instance .. first_instance + n_instances - 1``.

    Returns every dataset of the Monte Carlo HDF5 contract (``temperatures``, ``couplings`` and the
    outputs of :func:`run_pt` except ``final_energy``), ready for ``mcio.write_chunk``.
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
    out = run_pt(
        couplings, T, sweeps, n_con, mc_seeds, threads=threads, checkpoint_path=checkpoint_path,
        checkpoint_interval=checkpoint_interval, progress=progress,
    )  # fmt: skip
    del out["final_energy"]
    return {"temperatures": T, "couplings": couplings, **out}
