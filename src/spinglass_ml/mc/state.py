"""The kernels' state between calls: one-instance (simd, plain) and multispin (64 instances per word) layouts,
and the random initial state of every instance drawn from its own Monte Carlo stream."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from spinglass_ml import _ptmc
from spinglass_ml.mc.lattice import energy
from spinglass_ml.mc.schedule import n_log_bins

LANES = 64  # instances per multispin word


@dataclass
class PTState:
    """Everything the kernel carries from one call to the next (leading axis: instance)."""

    spins: np.ndarray  # float32 (n_i, N, 2 n_T), ±1, slots innermost
    energy: np.ndarray  # float64 (n_i, 2 n_T), total energy of each slot
    perm: np.ndarray  # int32 (n_i, 2, n_T), slot at (chain, temperature)
    lanes: np.ndarray  # uint32 (n_i, 4, 2 n_T), xoshiro128+ state of each slot's lane
    xrng: np.ndarray  # uint32 (n_i, 4), xoshiro128+ state of the exchange stream
    acc: np.ndarray  # float64 (n_i, 5, n_T), window sums of e, q_l, q^2, q^4, qk2
    bins: np.ndarray  # float64 (n_i, 3, n_T, n_bins), log-bin sums of e, q_l and q^2
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
    bins: np.ndarray  # float64 (n_p, 3, n_T, n_bins), log-bin sums of e, q_l and q^2
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
        "bins": np.zeros((n, _ptmc.LOG_BINNED, n_T, n_log_bins(sweeps))),
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
