"""Plain-NumPy parallel-tempering Monte Carlo: the baseline and statistical cross-check of the fast kernel.

Algorithm, for every disorder instance independently: ``n_T`` temperatures, two independent replicas
("chains" a and b) per temperature. One sweep is a Metropolis update of every site, done as two
half-sweeps, first over the even and then over the odd sublattice (parity of ``x + y + z``; ``L`` must be
even so that no bond joins two sites of the same sublattice). Within a half-sweep all sites, replicas and
instances are updated at once: a flip is accepted with probability ``min(1, exp(-ΔE/T))`` for
``ΔE != 0`` and with :func:`~spinglass_ml.mc.lattice.zero_field_flip_probability` for ``ΔE = 0``,
``ΔE = 2 s_i h_i``, ``h_i = sum_j J_ij s_j`` over the six neighbours. After every sweep comes a
replica-exchange pass over the temperature pairs ``(t, t+1)``, ``t = 0, ..., n_T - 2`` in this order, for
each chain: the configurations at ``t`` and ``t+1`` are swapped with probability
``min(1, exp((1/T_t - 1/T_{t+1}) (E_t - E_{t+1})))``. Measurements follow the exchange pass; they are
averaged over the last ``sweeps // 2`` sweeps (the window), and e, q_l and q^2 also over the log bins of the
kernels, on the sweeps they measure (:mod:`spinglass_ml.mc.schedule`).

Conventions (sites, bonds, observables) are those of :mod:`spinglass_ml.mc.lattice`.
"""

from __future__ import annotations

import numpy as np

from spinglass_ml.mc.lattice import (
    link_overlap,
    neighbour_couplings,
    neighbour_table,
    overlap_k2,
    zero_field_flip_probability,
)
from spinglass_ml.mc.schedule import log_bin_counts, measured_sweeps

LOG_BINNED = ("energy", "link_overlap", "q2")  # the observables of the ``logbins/*`` outputs


def _energies(spins: np.ndarray, nbr: np.ndarray, j6: np.ndarray) -> np.ndarray:
    """Total energies ``-sum_bonds J s s`` of all configurations.

    Parameters
    ----------
    spins : int8 array, shape (n_i, n_T, 2, N)
    nbr : int array, shape (N, 6), :func:`~spinglass_ml.mc.lattice.neighbour_table`
    j6 : float64 array, shape (n_i, N, 6), couplings to the six neighbours

    Returns
    -------
    float64 array, shape (n_i, n_T, 2)
    """
    s = spins.astype(np.float64)
    forward = np.sum(s[..., nbr[:, :3]] * j6[:, None, None, :, :3], axis=-1)  # each bond once
    return -np.sum(s * forward, axis=-1)


def _half_sweep(
    spins: np.ndarray,
    sites: np.ndarray,
    nbr_sites: np.ndarray,
    j_sites: np.ndarray,
    beta: np.ndarray,
    rng: np.random.Generator,
) -> None:
    """Metropolis update, in place, of one sublattice in every configuration.

    Parameters
    ----------
    spins : int8 array, shape (n_i, n_T, 2, N)
    sites : int array, shape (N/2,), the sublattice's sites
    nbr_sites : int array, shape (N/2, 6), their neighbours (all on the other sublattice)
    j_sites : float64 array, shape (n_i, 1, 1, N/2, 6), their couplings
    beta : float64 array, shape (n_T, 1, 1), inverse temperatures
    rng : numpy.random.Generator
    """
    s = spins[..., sites]  # (n_i, n_T, 2, N/2)
    h = np.sum(spins[..., nbr_sites] * j_sites, axis=-1)
    delta_e = 2.0 * s * h
    p_zero = zero_field_flip_probability(round(spins.shape[-1] ** (1 / 3)))
    p_flip = np.where(delta_e == 0.0, p_zero, np.exp(np.minimum(0.0, -beta * delta_e)))
    accept = rng.random(delta_e.shape) < p_flip
    spins[..., sites] = np.where(accept, -s, s)


def _exchange(spins: np.ndarray, e: np.ndarray, beta: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Replica-exchange pass over neighbouring temperatures, in place, both chains at once.

    Parameters
    ----------
    spins : int8 array, shape (n_i, n_T, 2, N)
    e : float64 array, shape (n_i, n_T, 2), total energies of ``spins``; permuted along with them
    beta : float64 array, shape (n_T,), inverse temperatures
    rng : numpy.random.Generator

    Returns
    -------
    int64 array, shape (n_i, n_T - 1)
        Accepted swaps of each pair ``(t, t+1)``, summed over the two chains.
    """
    n_t = beta.size
    u = rng.random((n_t - 1, e.shape[0], 2))
    accepted = np.zeros((e.shape[0], n_t - 1), dtype=np.int64)
    for t in range(n_t - 1):
        pair, flipped = [t, t + 1], [t + 1, t]
        log_p = (beta[t] - beta[t + 1]) * (e[:, t] - e[:, t + 1])  # (n_i, 2)
        swap = u[t] < np.exp(np.minimum(0.0, log_p))
        spins[:, pair] = np.where(swap[:, None, :, None], spins[:, flipped], spins[:, pair])
        e[:, pair] = np.where(swap[:, None, :], e[:, flipped], e[:, pair])
        accepted[:, t] = swap.sum(axis=-1)
    return accepted


def simulate(
    couplings: np.ndarray, temperatures: np.ndarray, sweeps: int, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Parallel-tempering simulation of several disorder instances, vectorised over sites and replicas.

    Parameters
    ----------
    couplings : float array, shape (n_i, 3, L, L, L)
        One coupling array per instance, as in :mod:`spinglass_ml.mc.lattice` (rounded to float32, as by
        :func:`~spinglass_ml.mc.lattice.neighbour_couplings`); ``L`` even.
    temperatures : float array, shape (n_T,)
        Temperatures ``T > 0`` (units of the coupling scale, ``k_B = 1``), normally ascending.
    sweeps : int
        Number of sweeps, ``>= 2``; the last ``sweeps // 2`` form the measurement window.
    rng : numpy.random.Generator
        Source of the initial spins (uniformly random) and of every Metropolis and exchange decision.

    Returns
    -------
    dict of numpy arrays
        Window averages per instance and temperature, float64 of shape (n_i, n_T): ``energy``, energy per
        spin averaged over both replicas; ``link_overlap``, ``q2``, ``q4``, ``qk2``, the two-replica
        observables of :func:`spinglass_ml.mc.exact.thermal_averages`. ``logbins/energy``,
        ``logbins/link_overlap``, ``logbins/q2``, float64 of shape (n_i, n_T, n_bins): the averages of e, q_l
        and q^2 over the measured sweeps of each log bin, as the kernels define them. ``swap_acceptance``,
        float64 of shape (n_i, n_T - 1): accepted / attempted exchanges of the pair ``(t, t+1)`` in the
        window, both chains. ``final_spins``, int8 of shape (n_i, n_T, 2, L, L, L): the last configurations
        in temperature order, chain a then chain b.

    Raises
    ------
    ValueError
        On inconsistent shapes, odd ``L``, a temperature that is not > 0, or ``sweeps < 2``.
    """
    J = np.asarray(couplings, dtype=np.float64)
    if J.ndim != 5 or J.shape[1] != 3 or not J.shape[2] == J.shape[3] == J.shape[4]:
        raise ValueError(f"couplings must have shape (n_i, 3, L, L, L), got {J.shape}")
    n_i, L = J.shape[0], J.shape[-1]
    if L % 2:
        raise ValueError(f"the checkerboard update needs an even L, got L = {L}")
    T = np.asarray(temperatures, dtype=np.float64)
    if T.ndim != 1 or T.size == 0 or not np.all(T > 0):
        raise ValueError("temperatures must be a non-empty 1-d array of positive numbers")
    if sweeps < 2:
        raise ValueError(f"sweeps must be >= 2, got {sweeps}")
    n, n_t = L**3, T.size
    beta = 1.0 / T

    nbr = neighbour_table(L)
    j6 = np.stack([neighbour_couplings(j) for j in J]).astype(np.float64)  # (n_i, N, 6)
    parity = np.indices((L, L, L)).sum(axis=0).ravel() % 2
    sublattices = []
    for p in (0, 1):
        sites = np.flatnonzero(parity == p)
        sublattices.append((sites, nbr[sites], j6[:, None, None, sites]))

    spins = (2 * rng.integers(0, 2, size=(n_i, n_t, 2, n)) - 1).astype(np.int8)
    window = sweeps // 2
    sums = {key: np.zeros((n_i, n_t)) for key in ("energy", "link_overlap", "q2", "q4", "qk2")}
    counts = log_bin_counts(sweeps)
    bins = {key: np.zeros((n_i, n_t, counts.size)) for key in LOG_BINNED}
    measured = measured_sweeps(sweeps)
    accepted = np.zeros((n_i, n_t - 1), dtype=np.int64)

    for sweep in range(sweeps):
        for sites, nbr_sites, j_sites in sublattices:
            _half_sweep(spins, sites, nbr_sites, j_sites, beta[:, None, None], rng)
        e = _energies(spins, nbr, j6)
        swaps = _exchange(spins, e, beta, rng)
        in_window = sweep >= sweeps - window
        if not (in_window or measured[sweep]):
            continue
        cubes = spins.reshape(n_i, n_t, 2, L, L, L)
        q_sites = cubes[:, :, 0] * cubes[:, :, 1]  # (n_i, n_T, L, L, L)
        q = q_sites.reshape(n_i, n_t, n).mean(axis=-1, dtype=np.float64)
        now = {"energy": e.mean(axis=-1) / n, "link_overlap": link_overlap(cubes[:, :, 0], cubes[:, :, 1]),
               "q2": q**2}  # fmt: skip
        if measured[sweep]:
            for key in LOG_BINNED:
                bins[key][..., max(sweep, 1).bit_length() - 1] += now[key]
        if not in_window:
            continue
        accepted += swaps
        for key in LOG_BINNED:
            sums[key] += now[key]
        sums["q4"] += q**4
        sums["qk2"] += overlap_k2(q_sites)

    out = {key: total / window for key, total in sums.items()}
    out.update({f"logbins/{key}": total / counts for key, total in bins.items()})
    out["swap_acceptance"] = accepted / (2.0 * window)
    out["final_spins"] = spins.reshape(n_i, n_t, 2, L, L, L)
    return out
