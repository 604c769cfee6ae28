"""Exact thermal averages of tiny samples by enumeration of all ``2**N`` spin configurations.

Used to test the Monte Carlo codes on ``L = 2`` (``N = 8``, 256 states, 65 536 replica pairs). Conventions
(site order, bonds, observables) are those of :mod:`spinglass_ml.lattice`, whose functions compute every
observable here; this module only adds the Boltzmann weights.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from spinglass_ml.lattice import energy, link_overlap, overlap_k2

MAX_SITES = 12
"""Largest number of sites enumerated (the two-replica averages cost ``4**N`` operations)."""


@lru_cache(maxsize=4)
def all_configurations(L: int) -> np.ndarray:
    """Every spin configuration of the ``L×L×L`` lattice.

    Parameters
    ----------
    L : int
        Linear size, ``L**3 <= MAX_SITES``.

    Returns
    -------
    int8 array, shape (2**N, L, L, L), read-only
        Configuration ``m`` has spin ``1 - 2*b_i`` at flat site ``i``, where ``b_i`` is bit ``i`` of ``m``.
    """
    n = L**3
    if n > MAX_SITES:
        raise ValueError(f"exact enumeration needs L**3 <= {MAX_SITES}, got L = {L}")
    bits = (np.arange(2**n)[:, None] >> np.arange(n)[None, :]) & 1
    states = (1 - 2 * bits).astype(np.int8).reshape(2**n, L, L, L)
    states.setflags(write=False)
    return states


@lru_cache(maxsize=4)
def _pair_observables(L: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Overlap, link overlap and ``|q(k_min)|^2/N`` of every ordered pair of configurations.

    Returns
    -------
    q, q_link, q_k2 : float64 arrays, shape (2**N, 2**N), read-only
        Entry ``[m, n]`` is the observable of replica a in state ``m`` and replica b in state ``n``.
    """
    states = all_configurations(L)
    sa, sb = states[:, None], states[None, :]
    q_sites = sa * sb  # (2**N, 2**N, L, L, L)
    q = q_sites.reshape(*q_sites.shape[:2], -1).mean(axis=-1, dtype=np.float64)
    out = (q, link_overlap(sa, sb), overlap_k2(q_sites))
    for a in out:
        a.setflags(write=False)
    return out


def thermal_averages(couplings: np.ndarray, temperatures: np.ndarray) -> dict[str, np.ndarray]:
    """Exact equilibrium averages of one disorder sample at several temperatures.

    One-replica averages use the Boltzmann weights ``p_m(T) ∝ exp(-E_m/T)`` of all states ``m``; two-replica
    averages use the product measure ``p_m(T) p_n(T)`` of two independent replicas with the same couplings.
    The weights are normalised after subtracting the largest exponent (no overflow at any ``T > 0``).

    Parameters
    ----------
    couplings : float array, shape (3, L, L, L)
        Bond couplings as in :mod:`spinglass_ml.lattice` (units of the coupling scale); ``L**3 <= 12``,
        in practice ``L = 2``.
    temperatures : float array, shape (n_T,)
        Temperatures ``T > 0`` in the same units (``k_B = 1``).

    Returns
    -------
    dict of float64 arrays, each of shape (n_T,)
        ``energy``: ``<H>/N``, energy per spin; ``link_overlap``: ``<q_l>`` with
        ``q_l = (1/3N) sum_bonds s_i^a s_j^a s_i^b s_j^b``; ``q2``, ``q4``: ``<q^2>``, ``<q^4>`` with
        ``q = (1/N) sum_i s_i^a s_i^b``; ``qk2``: ``<|sum_i q_i exp(i k x_i)|^2>/N`` with ``k = 2π/L``,
        averaged over the three axes (:func:`spinglass_ml.lattice.overlap_k2`). All dimensionless except
        ``energy``.

    Raises
    ------
    ValueError
        If the couplings are not of shape (3, L, L, L) with ``L**3 <= 12``, or a temperature is not > 0.
    """
    J = np.asarray(couplings, dtype=np.float64)
    if J.ndim != 4 or J.shape[0] != 3 or not J.shape[1] == J.shape[2] == J.shape[3]:
        raise ValueError(f"couplings must have shape (3, L, L, L), got {J.shape}")
    L = J.shape[-1]
    if L**3 > MAX_SITES:
        raise ValueError(f"exact enumeration needs L**3 <= {MAX_SITES}, got L = {L}")
    T = np.asarray(temperatures, dtype=np.float64)
    if T.ndim != 1 or not np.all(T > 0):
        raise ValueError("temperatures must be a 1-d array of positive numbers")

    e_states = energy(all_configurations(L), J)  # (2**N,)
    log_w = -e_states[None, :] / T[:, None]  # (n_T, 2**N)
    w = np.exp(log_w - log_w.max(axis=1, keepdims=True))
    w /= w.sum(axis=1, keepdims=True)

    q, q_link, q_k2 = _pair_observables(L)

    def pair_average(obs: np.ndarray) -> np.ndarray:
        return np.sum((w @ obs) * w, axis=1)

    return {
        "energy": w @ e_states / L**3,
        "link_overlap": pair_average(q_link),
        "q2": pair_average(q**2),
        "q4": pair_average(q**4),
        "qk2": pair_average(q_k2),
    }
