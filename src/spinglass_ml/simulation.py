"""Parallel-tempering Monte Carlo of the 3D Edwards-Anderson spin glass: the Python side of the kernel.

This module validates arguments, derives every random stream from the item's identity, allocates the
kernel's state, runs the kernel in segments (progress reports, checkpoints) and turns its raw sums into
the datasets of the Monte Carlo HDF5 contract (see ``mcio``).

Random streams. Instance ``i`` of disorder ``d`` at size ``L`` under master seed ``s`` draws its couplings
from ``SeedSequence(s, spawn_key=(d, L, i, 0))`` and its Monte Carlo randomness (initial spins, one
xoshiro128+ lane per configuration, the exchange stream) from ``spawn_key=(d, L, i, 1)``. Couplings are
therefore the same for any number of sweeps, and results do not depend on chunking or thread count.

Kernels. Three paths sample the same distribution:

* ``simd`` (``ext/ptmc_sweep.h``): one instance at a time, float32 spins, the update of a site vectorised over
  its 2 n_T configurations, exp(-beta dE) from a float32 polynomial (relative error < 4e-7);
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
MEASURE_EVERY = 4  # measure on every 4th sweep (plus the first 8 and the last): see measured_sweeps
KERNELS = ("auto", "simd", "plain")
LANES = 64  # instances per multispin word
# Each path's name in checkpoint fingerprints: a checkpoint resumes only on the path that wrote it (their
# chains differ). The simd path keeps the name it had as the only one-instance path, so its checkpoints from
# before the scalar reference existed stay valid.
CHECKPOINT_NAMES = {"multispin": "_multispin_path", "simd": "_plain_path", "plain": "_scalar_path"}
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


def measured_sweeps(sweeps: int) -> np.ndarray:
    """Which sweeps the kernels measure, bool (sweeps,): the first 2 MEASURE_EVERY (the short early log bins),
    every sweep u with u % MEASURE_EVERY == MEASURE_EVERY - 1, and the last one, so that no log bin and no
    window is empty. Consecutive sweeps are strongly correlated, so skipping the others costs little
    precision and most of the measurement time; exchanges and snapshots are not thinned."""
    u = np.arange(sweeps)
    m = MEASURE_EVERY
    return (u < 2 * m) | (u % m == m - 1) | (u == sweeps - 1)


def n_log_bins(sweeps: int) -> int:
    """Number of log bins [2^k, 2^(k+1)) covering the 0-based sweep indices 0..sweeps-1 (0 joins bin 0)."""
    return max(int(sweeps - 1).bit_length(), 1)


def log_bin_counts(sweeps: int) -> np.ndarray:
    """Measured sweeps (see :func:`measured_sweeps`) in each log bin, int64 (n_bins,)."""
    u = np.maximum(np.arange(sweeps), 1)[measured_sweeps(sweeps)]
    return np.bincount(np.floor(np.log2(u)).astype(int), minlength=n_log_bins(sweeps))


def window_count(sweeps: int) -> int:
    """Measured sweeps in the measurement window (the last sweeps // 2)."""
    return int(np.count_nonzero(measured_sweeps(sweeps)[sweeps - sweeps // 2 :]))


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


@dataclass
class MultispinState:
    """State of the multispin kernel: instances in groups of 64 lanes, the last group padded (lane-major
    arrays have ``n_p = 64 n_g`` rows; padding lanes carry +1 couplings and are discarded)."""

    spins: np.ndarray  # uint64 (n_g, N, Rp), bit b: lane b's spin (1 = -1) at slot c n_T + t; padded_slots
    ring: np.ndarray  # uint64 (n_g, MULTISPIN_RING), the lanes' shift-register bit streams
    ring_pos: np.ndarray  # int64 (n_g,), next unused word of each ring
    frng: np.ndarray  # uint32 (n_p, 4), xoshiro128+ of each lane's tie-breaking digits
    xrng: np.ndarray  # uint32 (n_p, 4), xoshiro128+ of each lane's exchanges
    energy: np.ndarray  # int32 (n_p, 2 n_T), total energy of each lane's slots
    acc: np.ndarray  # float64 (n_p, 5, n_T), window sums of e, q_l, q^2, q^4, qk2
    bins: np.ndarray  # float64 (n_p, 2, n_T, n_bins), log-bin sums of e and q_l
    swaps: np.ndarray  # float64 (n_p, n_T - 1), accepted exchanges in the window
    snaps: np.ndarray  # int8 (n_p, n_T, n_con, N), overlap snapshots
    sweeps_done: int = 0


def multispin_applies(couplings: np.ndarray) -> bool:
    """Whether ``kernel="auto"`` takes the multispin path: every coupling ±1 and L >= 3."""
    return couplings.shape[-1] >= 3 and bool(np.all(np.abs(couplings) == 1.0))


def pack_lanes(bits: np.ndarray) -> np.ndarray:
    """Bits of instances (64 n_g, *shape) as uint64 words (n_g, *shape): bit b is instance 64 g + b."""
    n_g = bits.shape[0] // LANES
    b = np.moveaxis(np.asarray(bits, np.uint8).reshape(n_g, LANES, *bits.shape[1:]), 1, -1)
    packed = np.ascontiguousarray(np.packbits(b, axis=-1, bitorder="little"))  # (n_g, *shape, 8) bytes
    return packed.view("<u8")[..., 0].astype(np.uint64)


def unpack_lanes(words: np.ndarray) -> np.ndarray:
    """Inverse of :func:`pack_lanes`: uint8 bits, shape (64 n_g, *shape)."""
    as_bytes = np.ascontiguousarray(words, "<u8")[..., None].view(np.uint8)
    b = np.unpackbits(as_bytes, axis=-1, bitorder="little")
    return np.moveaxis(b, -1, 1).reshape(-1, *words.shape[1:])


def padded_slots(n_T: int) -> int:
    """Rp: the multispin kernel's slots per site, 2 n_T rounded up to a multiple of 4 (it updates 4 at once;
    padding slots have threshold 0 and are never measured or exchanged)."""
    return -(-2 * n_T // 4) * 4


def acceptance_thresholds(betas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The multispin kernel's acceptance thresholds for dE = 4, 8, 12 at every slot (c n_T + t).

    Returns
    -------
    p32 : uint32 (Rp, 3), floor(2^32 exp(-beta dE)): a flip is accepted with probability p32 / 2^32
        (error < 2^-32 against exp(-beta dE)); 0 for the padding slots
    digits : uint64 (Rp / 4, 3, MULTISPIN_DIGITS, 4): ``digits[r // 4, c, d, r % 4]`` is all ones where
        binary digit d (most significant first) of p32[r, c] is 1, else 0
    """
    n_T = len(betas)
    beta_slot = np.tile(np.asarray(betas, np.float64), 2)
    p = np.exp(-beta_slot[:, None] * np.array([4.0, 8.0, 12.0]))
    p32 = np.zeros((padded_slots(n_T), 3), np.uint32)
    p32[: 2 * n_T] = np.minimum(np.floor(p * 2.0**32), 2.0**32 - 1)
    shifts = 31 - np.arange(_ptmc.MULTISPIN_DIGITS, dtype=np.uint32)
    bit = (p32[:, :, None] >> shifts) & np.uint32(1)  # (Rp, 3, D)
    digits = np.where(bit == 1, np.uint64(2**64 - 1), np.uint64(0))
    return p32, np.ascontiguousarray(digits.reshape(-1, 4, 3, bit.shape[-1]).transpose(0, 2, 3, 1))


def _empty_sums(n: int, n_T: int, sweeps: int, n_con: int, N: int) -> dict[str, np.ndarray]:
    """The kernels' zeroed measurement sums for n rows (instances or lanes), shared by both state classes."""
    return {
        "acc": np.zeros((n, 5, n_T)),
        "bins": np.zeros((n, 2, n_T, n_log_bins(sweeps))),
        "swaps": np.zeros((n, n_T - 1)),
        "snaps": np.zeros((n, n_T, n_con, N), np.int8),
    }


def initial_multispin_state(
    couplings: np.ndarray, n_T: int, sweeps: int, n_con: int, mc_seeds: Sequence[np.random.SeedSequence]
) -> MultispinState:
    """Random initial spins and streams of every instance from its own Monte Carlo seed, packed in lanes."""
    n_i, L = couplings.shape[0], couplings.shape[-1]
    N, R, K = L**3, 2 * n_T, _ptmc.MULTISPIN_RING
    n_g = -(-n_i // LANES)
    n_p = LANES * n_g
    spins = np.zeros((n_p, N, padded_slots(n_T)), np.uint8)  # padding slots start (and stay mostly) +1
    ring = np.zeros((n_p, K), np.uint8)
    frng = np.ones((n_p, 4), np.uint32)  # padding lanes: any non-zero xoshiro state
    xrng = np.ones((n_p, 4), np.uint32)
    e0 = np.zeros((n_p, R), np.int32)
    for i, ss in enumerate(mc_seeds):
        rng = np.random.default_rng(ss)
        spins[i, :, :R] = rng.integers(0, 2, size=(N, R), dtype=np.uint8)
        ring[i] = rng.integers(0, 2, size=K, dtype=np.uint8)
        frng[i] = rng.integers(1, 2**32, size=4, dtype=np.uint32)
        xrng[i] = rng.integers(1, 2**32, size=4, dtype=np.uint32)
        s = 1.0 - 2.0 * spins[i, :, :R].T.reshape(R, L, L, L)
        e0[i] = np.rint(energy(s, couplings[i])).astype(np.int32)
    ring[n_i:, 0] = 1  # a shift register must not start all zero
    if not np.all(ring.any(axis=1)):
        raise RuntimeError("an all-zero shift-register seed (probability 2^-9689)")
    e0[n_i:] = -3 * N  # padding lanes: all spins +1, all couplings +1
    return MultispinState(
        spins=pack_lanes(spins),
        ring=pack_lanes(ring),
        ring_pos=np.full(n_g, K, np.int64),  # the seeded ring holds x_{-K..-1}; the first use refills it
        frng=frng,
        xrng=xrng,
        energy=e0,
        **_empty_sums(n_p, n_T, sweeps, n_con, N),
    )


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
        **_empty_sums(n_i, n_T, sweeps, n_con, N),
    )


def _fingerprint(
    couplings: np.ndarray, temperatures: np.ndarray, sweeps: int, n_con: int, mc_seeds, path: str
) -> str:
    h = hashlib.sha256(path.encode())
    h.update(np.ascontiguousarray(couplings, np.float32).tobytes())
    h.update(np.ascontiguousarray(temperatures, np.float64).tobytes())
    h.update(f"{sweeps},{n_con},{MEASURE_EVERY}".encode())
    for ss in mc_seeds:
        h.update(repr((ss.entropy, ss.spawn_key)).encode())
    return h.hexdigest()


def save_checkpoint(path: str | Path, state: PTState | MultispinState, fingerprint: str) -> None:
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


def load_checkpoint(
    path: str | Path, fingerprint: str, cls: type = PTState
) -> PTState | MultispinState | None:
    """The saved state (a ``cls``) if the file exists and belongs to this exact run, else None."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        with np.load(path) as z:
            if str(z["fingerprint"]) != fingerprint:
                return None
            kw = {f.name: z[f.name] for f in fields(cls)}
    except (OSError, ValueError, KeyError):
        return None
    kw["sweeps_done"] = int(kw["sweeps_done"])
    return cls(**kw)


def _slot_path(couplings, temperatures, sweeps, n_con, mc_seeds, threads, plain):
    """Initial state and advance(state, stop) of the one-instance-at-a-time kernel: the simd path, or with
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
    threads : OpenMP threads (default: the CPUs this process may use); results do not depend on it
    kernel : "auto" (multispin path for ±1 couplings at L >= 3, else simd), "simd" or "plain"; see the
        module docstring
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
    L = couplings.shape[-1]

    path, start, advance = kernel_path(couplings, temperatures, sweeps, n_con, mc_seeds, threads, kernel)
    multispin = path == "multispin"
    fp = _fingerprint(couplings, temperatures, sweeps, n_con, mc_seeds, CHECKPOINT_NAMES[path])
    cls = MultispinState if multispin else PTState
    state = load_checkpoint(checkpoint_path, fp, cls) if checkpoint_path else None
    report = progress or (lambda msg: None)
    if state is None:
        state = start()
    else:
        report(f"resuming from checkpoint {checkpoint_path} at sweep {state.sweeps_done}/{sweeps}")

    t_start = time.monotonic()
    done_at_start = state.sweeps_done
    last_report = last_ckpt = t_start
    block = 1
    while state.sweeps_done < sweeps:
        t0 = time.monotonic()
        stop = min(sweeps, state.sweeps_done + block)
        advance(state, stop)
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
    if multispin:
        n_i, n_T = couplings.shape[0], temperatures.size
        bits = unpack_lanes(state.spins)[:n_i, :, : 2 * n_T]  # (n_i, N, 2 n_T), slot c n_T + t
        final = (1 - 2 * bits.astype(np.int8)).reshape(n_i, -1, 2, n_T).transpose(0, 3, 2, 1)
        final_energy = state.energy[:n_i].reshape(n_i, 2, n_T).transpose(0, 2, 1).astype(np.float64)
        return _results(state, final, final_energy, n_i, L, sweeps)
    idx = np.arange(state.perm.shape[0])[:, None, None]
    slots = state.perm.transpose(0, 2, 1)  # (n_i, n_T, 2)
    final = state.spins.transpose(0, 2, 1)[idx, slots]  # (n_i, n_T, 2, N)
    return _results(state, final, state.energy[idx, slots], state.perm.shape[0], L, sweeps)


def _results(state, final: np.ndarray, final_energy: np.ndarray, n_i: int, L: int, sweeps: int) -> dict:
    """Turn the kernel's sums (first n_i rows) into window averages and contract-shaped arrays; final:
    (n_i, n_T, 2, N) spins, final_energy: (n_i, n_T, 2) their tracked energies."""
    n_meas = sweeps // 2
    acc = state.acc[:n_i] / window_count(sweeps)
    bins = state.bins[:n_i] / log_bin_counts(sweeps)
    n_T = acc.shape[-1]
    return {
        "energy": acc[:, 0],
        "link_overlap": acc[:, 1],
        "q2": acc[:, 2],
        "q4": acc[:, 3],
        "qk2": acc[:, 4],
        "logbins/energy": bins[:, 0],
        "logbins/link_overlap": bins[:, 1],
        "swap_acceptance": state.swaps[:n_i] / (2.0 * n_meas),
        "overlaps": state.snaps[:n_i].reshape(n_i, n_T, -1, L, L, L),
        "final_spins": final.astype(np.int8).reshape(n_i, n_T, 2, L, L, L),
        "final_energy": final_energy,
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
    kernel: str = "auto",
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
        checkpoint_interval=checkpoint_interval, progress=progress, kernel=kernel,
    )  # fmt: skip
    del out["final_energy"]
    return {"temperatures": T, "couplings": couplings, **out}
