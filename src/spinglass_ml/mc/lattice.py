"""Geometry and plain-NumPy observables of the periodic L×L×L cubic lattice.

Conventions used everywhere in the package (and in the HDF5 contract):

* a site is ``(x, y, z)`` with ``0 <= x, y, z < L``; its flat index is ``(x*L + y)*L + z`` (C order);
* ``couplings[d, x, y, z]`` (float32, shape ``(3, L, L, L)``) couples site ``(x, y, z)`` to its ``+1``
  neighbour along axis ``d`` with periodic boundaries, so there are always ``3N`` bonds. For ``L = 2`` the
  ``+1`` and ``-1`` neighbours coincide and two distinct bonds join the same pair of sites;
* the energy is ``H = -sum_bonds J_ij s_i s_j`` (units of the coupling scale, k_B = 1).

The functions here are the slow, obviously-correct reference that the fast kernel is tested against.
"""

from __future__ import annotations

import numpy as np

DISORDERS = ("gaussian", "bimodal")


def zero_field_flip_probability(L: int) -> float:
    """Metropolis acceptance of a flip with zero energy change: 1 (the textbook rule), but 1/2 for L = 2.

    For L = 2 the two bonds joining a pair of sites can cancel; always flipping zero-field spins then moves
    domain walls in lock-step on some ±J samples and the sweep is not ergodic (the ring sample of
    tests/conftest.py). 1/2 keeps detailed balance and cures it, but halves the rate of zero-energy moves,
    which for ±J couplings near T_c slows equilibration about twofold (measured at L = 6), so it is used only
    where it is needed.
    """
    return 0.5 if L == 2 else 1.0


def neighbour_table(L: int) -> np.ndarray:
    """Neighbours of every site.

    Returns
    -------
    int32 array, shape (N, 6): columns 0-2 are the +1 neighbours along axes 0, 1, 2; columns 3-5 the -1
    neighbours along the same axes.
    """
    idx = np.arange(L**3).reshape(L, L, L)
    cols = [np.roll(idx, -1, axis=d).ravel() for d in range(3)]
    cols += [np.roll(idx, +1, axis=d).ravel() for d in range(3)]
    return np.ascontiguousarray(np.stack(cols, axis=1), dtype=np.int32)


def neighbour_couplings(couplings: np.ndarray) -> np.ndarray:
    """Coupling of every site to each of its six neighbours, ordered as in :func:`neighbour_table`.

    Parameters
    ----------
    couplings : float array, shape (3, L, L, L)

    Returns
    -------
    float32 array, shape (N, 6)
    """
    L = couplings.shape[-1]
    cols = [couplings[d].ravel() for d in range(3)]
    cols += [np.roll(couplings[d], +1, axis=d).ravel() for d in range(3)]
    return np.ascontiguousarray(np.stack(cols, axis=1), dtype=np.float32).reshape(L**3, 6)


def draw_couplings(rng: np.random.Generator, disorder: str, L: int) -> np.ndarray:
    """One disorder sample: float32 couplings of shape (3, L, L, L), N(0, 1) or ±1 with equal probability."""
    if disorder == "gaussian":
        return rng.standard_normal((3, L, L, L)).astype(np.float32)
    if disorder == "bimodal":
        return (2.0 * rng.integers(0, 2, size=(3, L, L, L)) - 1.0).astype(np.float32)
    raise ValueError(f"disorder must be one of {DISORDERS}, got {disorder!r}")


def energy(spins: np.ndarray, couplings: np.ndarray) -> np.ndarray:
    """Total energy ``-sum_bonds J s s`` of configurations.

    Parameters
    ----------
    spins : array of ±1, shape (..., L, L, L)
    couplings : shape (3, L, L, L)

    Returns
    -------
    float64 array of shape ``spins.shape[:-3]``
    """
    s = np.asarray(spins, dtype=np.float64)
    J = np.asarray(couplings, dtype=np.float64)
    e = np.zeros(s.shape[:-3])
    for d in range(3):
        e -= np.sum(J[d] * s * np.roll(s, -1, axis=s.ndim - 3 + d), axis=(-3, -2, -1))
    return e


def link_overlap(sa: np.ndarray, sb: np.ndarray) -> np.ndarray:
    """Link overlap ``q_l = (1/3N) sum_bonds s_i^a s_j^a s_i^b s_j^b``; inputs shape (..., L, L, L)."""
    q = np.asarray(sa, dtype=np.float64) * np.asarray(sb, dtype=np.float64)
    n = q.shape[-1] ** 3
    tot = sum(np.sum(q * np.roll(q, -1, axis=q.ndim - 3 + d), axis=(-3, -2, -1)) for d in range(3))
    return tot / (3 * n)


def overlap_k2(q_sites: np.ndarray) -> np.ndarray:
    """``|q(k_min)|^2 / N`` averaged over the three directions, with ``q(k) = sum_i q_i exp(i k x_i)``.

    Parameters
    ----------
    q_sites : ±1 site overlaps, shape (..., L, L, L)
    """
    q = np.asarray(q_sites, dtype=np.float64)
    L = q.shape[-1]
    n = L**3
    phase = np.exp(2j * np.pi * np.arange(L) / L)
    out = np.zeros(q.shape[:-3])
    for d in range(3):
        axes = tuple(a for a in (-3, -2, -1) if a != -3 + d)
        planes = q.sum(axis=axes)  # (..., L) sums over the planes perpendicular to axis d
        out += np.abs(planes @ phase) ** 2 / n
    return out / 3.0
