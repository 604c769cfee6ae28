"""Exact thermal averages of tiny samples, to test the Monte Carlo codes against.

* :func:`thermal_averages`: enumeration of all ``2**N`` spin configurations and all replica pairs, every
  observable, ``L = 2`` (``N = 8``, 256 states, 65 536 replica pairs).
* :func:`pair_correlation_averages`: a transfer matrix over the ``2**(L*L)`` states of a lattice plane gives
  every spin-spin correlation ``<s_i s_j>``, hence the energy, ``<q_l>``, ``<q^2>`` and ``<|q(k_min)|^2>/N``
  (not ``<q^4>``) exactly, for ``L = 3`` (512 plane states) as well; the multispin path starts at ``L = 3``.

Conventions (site order, bonds, observables) are those of :mod:`spinglass_ml.mc.lattice`.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from spinglass_ml.mc.lattice import energy, link_overlap, neighbour_table, overlap_k2

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
    return _spin_states(n, (L, L, L))


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
        Bond couplings as in :mod:`spinglass_ml.mc.lattice` (units of the coupling scale); ``L**3 <= 12``,
        in practice ``L = 2``.
    temperatures : float array, shape (n_T,)
        Temperatures ``T > 0`` in the same units (``k_B = 1``).

    Returns
    -------
    dict of float64 arrays, each of shape (n_T,)
        ``energy``: ``<H>/N``, energy per spin; ``link_overlap``: ``<q_l>`` with
        ``q_l = (1/3N) sum_bonds s_i^a s_j^a s_i^b s_j^b``; ``q2``, ``q4``: ``<q^2>``, ``<q^4>`` with
        ``q = (1/N) sum_i s_i^a s_i^b``; ``qk2``: ``<|sum_i q_i exp(i k x_i)|^2>/N`` with ``k = 2π/L``,
        averaged over the three axes (:func:`spinglass_ml.mc.lattice.overlap_k2`). All dimensionless except
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


def plane_transfer_matrices(couplings: np.ndarray, beta: float) -> tuple[np.ndarray, np.ndarray]:
    """Transfer matrices between consecutive planes x -> x+1 (periodic) at inverse temperature ``beta``.

    Parameters
    ----------
    couplings : float array, shape (3, L, L, L), ``L*L <= 12``
    beta : inverse temperature (units of 1 / coupling)

    Returns
    -------
    spins : float64 (2**(L*L), L*L), plane state ``a`` has spin ``1 - 2*bit_k(a)`` at plane site
        ``k = y*L + z``
    T : float64 (L, 2**(L*L), 2**(L*L)), ``T[x, a, b] = exp(-beta (E_plane(a; x) + E_bonds(a, b; x)))``
        divided by its largest entry: plane x in state a (its bonds along axes 1 and 2) and the axis-0 bonds
        to plane x+1 in state b. ``Z`` is proportional to ``trace(T[0] @ ... @ T[L-1])``.
    """
    J = np.asarray(couplings, dtype=np.float64)
    L = J.shape[-1]
    if L * L > MAX_SITES:
        raise ValueError(f"plane transfer matrices need L*L <= {MAX_SITES}, got L = {L}")
    plane = all_configurations_2d(L).astype(np.float64)  # (2**(L*L), L, L)
    spins = plane.reshape(len(plane), -1)
    T = np.empty((L, len(plane), len(plane)))
    for x in range(L):
        e_plane = -np.sum(J[1, x] * plane * np.roll(plane, -1, axis=1), axis=(1, 2))
        e_plane -= np.sum(J[2, x] * plane * np.roll(plane, -1, axis=2), axis=(1, 2))
        e_bonds = -(spins * J[0, x].ravel()) @ spins.T  # (a, b)
        log_t = -beta * (e_plane[:, None] + e_bonds)
        T[x] = np.exp(log_t - log_t.max())
    return spins, T


@lru_cache(maxsize=4)
def all_configurations_2d(L: int) -> np.ndarray:
    """Every spin configuration of an ``L×L`` plane, int8 (2**(L*L), L, L), state ``a`` as in
    :func:`plane_transfer_matrices`; read-only."""
    return _spin_states(L * L, (L, L))


def _spin_states(n: int, shape: tuple[int, ...]) -> np.ndarray:
    """All 2**n states of n spins, int8 (2**n, *shape), read-only; state m has spin 1 - 2*bit_i(m) at flat
    position i."""
    bits = (np.arange(2**n)[:, None] >> np.arange(n)[None, :]) & 1
    states = (1 - 2 * bits).astype(np.int8).reshape(2**n, *shape)
    states.setflags(write=False)
    return states


def spin_correlations(couplings: np.ndarray, beta: float) -> np.ndarray:
    """Exact ``<s_i s_j>`` of one sample at inverse temperature ``beta``: float64 (N, N), flat site order of
    :mod:`spinglass_ml.mc.lattice`. For planes x1 <= x2 the joint weight of states (a, b) is
    ``A[a, b] B[b, a] / Z`` with A the product of the transfer matrices from x1 to x2 and B the rest of the
    cycle."""
    J = np.asarray(couplings, dtype=np.float64)
    L = J.shape[-1]
    spins, T = plane_transfer_matrices(J, beta)
    n_plane = L * L
    C = np.empty((L**3, L**3))
    for x1 in range(L):
        A = np.eye(len(spins))
        for x2 in range(x1, L):
            B = np.eye(len(spins))
            for x in list(range(x2, L)) + list(range(x1)):
                B = B @ T[x]
            joint = A * B.T
            joint /= joint.sum()
            block = spins.T @ joint @ spins  # (plane sites of x1, plane sites of x2)
            C[x1 * n_plane : (x1 + 1) * n_plane, x2 * n_plane : (x2 + 1) * n_plane] = block
            C[x2 * n_plane : (x2 + 1) * n_plane, x1 * n_plane : (x1 + 1) * n_plane] = block.T
            A = A @ T[x2]
            A /= A.max()  # scale only: joint is normalised
    return C


def pair_correlation_averages(couplings: np.ndarray, temperatures: np.ndarray) -> dict[str, np.ndarray]:
    """Exact equilibrium averages that follow from the spin-spin correlations, for ``L*L <= 12``.

    Two independent replicas with the same couplings have ``<s_i^a s_j^a s_i^b s_j^b> = <s_i s_j>^2``, so the
    one- and two-replica averages below need only ``C_ij = <s_i s_j>`` (:func:`spin_correlations`).

    Parameters
    ----------
    couplings : float array, shape (3, L, L, L), ``L = 2`` or ``3``
    temperatures : float array, shape (n_T,), ``T > 0``

    Returns
    -------
    dict of float64 arrays of shape (n_T,): ``energy`` (per spin), ``link_overlap``, ``q2`` and ``qk2`` with
    the definitions of :func:`thermal_averages`.
    """
    J = np.asarray(couplings, dtype=np.float64)
    if J.ndim != 4 or J.shape[0] != 3 or not J.shape[1] == J.shape[2] == J.shape[3]:
        raise ValueError(f"couplings must have shape (3, L, L, L), got {J.shape}")
    T = np.asarray(temperatures, dtype=np.float64)
    if T.ndim != 1 or not np.all(T > 0):
        raise ValueError("temperatures must be a 1-d array of positive numbers")
    L = J.shape[-1]
    n = L**3
    plus = neighbour_table(L)[:, :3]  # (N, 3): the +1 neighbour along each axis, bond couplings J[d].ravel()
    bond_J = np.stack([J[d].ravel() for d in range(3)], axis=1)
    x = np.indices((L, L, L)).reshape(3, n)  # (axis, site) coordinates
    phase = np.cos(2 * np.pi * (x[:, :, None] - x[:, None, :]) / L)  # (axis, N, N)
    out = {k: np.empty(T.size) for k in ("energy", "link_overlap", "q2", "qk2")}
    for t, temp in enumerate(T):
        C = spin_correlations(J, 1.0 / temp)
        bonds = C[np.arange(n)[:, None], plus]  # (N, 3)
        out["energy"][t] = -np.sum(bond_J * bonds) / n
        out["link_overlap"][t] = np.sum(bonds**2) / (3 * n)
        out["q2"][t] = np.sum(C**2) / n**2
        out["qk2"][t] = np.mean(np.sum(phase * C**2, axis=(1, 2))) / n
    return out
