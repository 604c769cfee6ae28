"""Exact enumeration on L = 2 against limits, hand-made samples, independent formulas, a disorder identity;
the plane transfer matrix against enumeration on L = 2 and against limits and gauge symmetry on L = 3."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.special import logsumexp

from spinglass_ml.mc.exact import all_configurations, pair_correlation_averages, thermal_averages
from spinglass_ml.mc.lattice import draw_couplings, energy, neighbour_table

L = 2
N = L**3
KEYS = ("energy", "link_overlap", "q2", "q4", "qk2")


def _states() -> np.ndarray:
    """All 256 configurations, built independently of exact.py; float64 (256, 2, 2, 2)."""
    return np.array(list(itertools.product((-1.0, 1.0), repeat=N))).reshape(-1, L, L, L)


def _boltzmann(couplings: np.ndarray, T: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """States (256, N) as flat ±1 rows, their energies (256,) and Boltzmann probabilities (256,) at T."""
    states = _states()
    e = energy(states, couplings)
    return states.reshape(-1, N), e, np.exp(-e / T - logsumexp(-e / T))


def _sample(disorder: str, seed: int) -> np.ndarray:
    return draw_couplings(np.random.default_rng(seed), disorder, L)


def test_configurations_are_all_distinct_spin_states():
    states = all_configurations(L)
    assert states.shape == (2**N, L, L, L) and states.dtype == np.int8
    assert np.all(np.abs(states) == 1)
    assert len({s.tobytes() for s in states}) == 2**N


def test_shapes_and_rejection_of_large_lattices():
    out = thermal_averages(_sample("gaussian", 0), np.array([0.5, 1.0, 2.0]))
    assert set(out) == set(KEYS)
    assert all(v.shape == (3,) and v.dtype == np.float64 for v in out.values())
    with pytest.raises(ValueError):
        thermal_averages(np.ones((3, 3, 3, 3)), np.array([1.0]))
    with pytest.raises(ValueError):
        thermal_averages(np.ones((3, 2, 2, 2)), np.array([0.0]))


def test_infinite_temperature_limits():
    """At T = 1e3 spins are nearly independent: e, q_l -> 0, <q^2> -> 1/N, <q^4> -> (3N-2)/N^3, qk2 -> 1."""
    out = thermal_averages(_sample("gaussian", 1), np.array([1e3]))
    assert abs(out["energy"][0]) < 1e-2
    assert out["link_overlap"][0] == pytest.approx(0.0, abs=1e-4)
    assert out["q2"][0] == pytest.approx(1 / N, abs=1e-4)
    assert out["q4"][0] == pytest.approx((3 * N - 2) / N**3, abs=1e-4)
    assert out["qk2"][0] == pytest.approx(1.0, abs=1e-4)


def test_low_temperature_gaussian_sample_reaches_brute_force_ground_state():
    couplings = _sample("gaussian", 5)
    T = 0.05
    e = np.sort(energy(_states(), couplings))
    # a Gaussian sample has a unique ground-state pair; the test needs its gap (here 1.77) to be >> T
    assert e[0] == pytest.approx(e[1]) and e[2] - e[0] > 20 * T
    out = thermal_averages(couplings, np.array([T]))
    assert out["energy"][0] == pytest.approx(e[0] / N, abs=1e-3)
    assert out["q2"][0] == pytest.approx(1.0, abs=1e-3)
    assert out["link_overlap"][0] == pytest.approx(1.0, abs=1e-3)


def test_ferromagnet_ground_state():
    """All J = +1: the two uniform states, every bond satisfied, uniform overlap (no weight at k_min)."""
    out = thermal_averages(np.ones((3, L, L, L)), np.array([0.05]))
    expected = {"energy": -3.0, "link_overlap": 1.0, "q2": 1.0, "q4": 1.0, "qk2": 0.0}
    for key, value in expected.items():
        assert out[key][0] == pytest.approx(value, abs=1e-12), key


def test_decoupled_ferromagnetic_planes():
    """J = 0 along axis 0, +1 along axes 1, 2: the planes x = 0, 1 order independently (4 ground states).

    Site overlaps are p0 on plane x = 0 and p1 on x = 1, independent ±1: q = (p0 + p1)/2 gives
    <q^2> = <q^4> = 1/2; 16 of the 24 bonds lie in a plane, so <q_l> = 16/24; along axis 0
    |q(k)|^2/N = 16 (p0 - p1)^2 / 8 averages to 4, along axes 1, 2 it vanishes, so qk2 = 4/3; e = -16/8.
    """
    couplings = np.ones((3, L, L, L))
    couplings[0] = 0.0
    out = thermal_averages(couplings, np.array([0.05]))
    expected = {"energy": -2.0, "link_overlap": 2 / 3, "q2": 0.5, "q4": 0.5, "qk2": 4 / 3}
    for key, value in expected.items():
        assert out[key][0] == pytest.approx(value, abs=1e-12), key


@pytest.mark.parametrize("disorder", ["gaussian", "bimodal"])
@pytest.mark.parametrize("T", [0.7, 1.3, 3.0])
def test_two_replica_averages_from_one_replica_correlations(disorder, T):
    """Independent replicas: <q^2> = N^-2 sum_ij <s_i s_j>^2, <q^4> = N^-4 sum_ijkl <s_i s_j s_k s_l>^2,
    <q_l> = (3N)^-1 sum_bonds <s_i s_j>^2, qk2 = (3N)^-1 sum_d sum_ij <s_i s_j>^2 cos(k (x^d_i - x^d_j))."""
    couplings = _sample(disorder, 3)
    s, e, p = _boltzmann(couplings, T)
    c2 = np.einsum("m,mi,mj->ij", p, s, s)
    c4 = np.einsum("m,mi,mj,mk,ml->ijkl", p, s, s, s, s)
    bonds = neighbour_table(L)[:, :3]  # site i and its +1 neighbour along each axis: the 3N bonds
    coords = np.indices((L, L, L)).reshape(3, N)
    cos_k = np.cos(2 * np.pi / L * (coords[:, :, None] - coords[:, None, :]))  # (3, N, N)
    expected = {
        "energy": p @ e / N,
        "q2": np.sum(c2**2) / N**2,
        "q4": np.sum(c4**2) / N**4,
        "link_overlap": np.sum(c2[np.arange(N)[:, None], bonds] ** 2) / (3 * N),
        "qk2": np.sum(c2**2 * cos_k) / (3 * N),
    }
    out = thermal_averages(couplings, np.array([T]))
    for key, value in expected.items():
        assert out[key][0] == pytest.approx(value, rel=1e-10, abs=1e-12), key


@pytest.mark.parametrize("T", [0.6, 1.0, 2.5])
def test_energy_and_specific_heat_from_partition_function(T):
    """<E> = T^2 d ln Z / dT and d<E>/dT = (<E^2> - <E>^2) / T^2, by central differences (h = 1e-4 T)."""
    couplings = _sample("gaussian", 4)
    h = 1e-4 * T
    e_states = energy(_states(), couplings)

    def log_z(temp: float) -> float:
        return logsumexp(-e_states / temp)

    _, _, p = _boltzmann(couplings, T)
    variance = p @ e_states**2 - (p @ e_states) ** 2
    e_per_spin = thermal_averages(couplings, np.array([T - h, T, T + h]))["energy"]
    assert N * e_per_spin[1] == pytest.approx(T**2 * (log_z(T + h) - log_z(T - h)) / (2 * h), rel=1e-7)
    assert N * (e_per_spin[2] - e_per_spin[0]) / (2 * h) == pytest.approx(variance / T**2, rel=1e-6)


def _identity_residuals(disorder: str, temperatures: np.ndarray, samples: int, seed: int) -> np.ndarray:
    """Per-sample e + (3/T)(1 - <q_l>), shape (samples, n_T)."""
    rng = np.random.default_rng(seed)
    out = np.empty((samples, temperatures.size))
    for k in range(samples):
        avg = thermal_averages(draw_couplings(rng, disorder, L), temperatures)
        out[k] = avg["energy"] + 3.0 / temperatures * (1.0 - avg["link_overlap"])
    return out


def test_gaussian_disorder_identity():
    """Gaussian integration by parts, E_J[J f(J)] = E_J[f'(J)], gives exactly [e] = -(3/T)(1 - [<q_l>])
    for N(0, 1) couplings, with all 3N bonds (both L = 2 bonds of a pair) in e and q_l. 2000 samples; the
    mean residual must vanish within 4 standard errors (false-failure rate ~6e-5 per temperature)."""
    temperatures = np.array([0.8, 1.2, 2.0])
    r = _identity_residuals("gaussian", temperatures, 2000, seed=5)
    mean, sem = r.mean(axis=0), r.std(axis=0, ddof=1) / np.sqrt(r.shape[0])
    assert np.all(np.abs(mean) < 4 * sem), (mean, sem)


def test_bimodal_disorder_violates_gaussian_identity():
    """The identity is specific to Gaussian couplings: for ±1 couplings at T = 0.8 the residual is about
    +0.23 with a standard error of 0.027 over 2000 samples, so it must exceed 4 standard errors."""
    r = _identity_residuals("bimodal", np.array([0.8]), 2000, seed=6)[:, 0]
    assert r.mean() > 4 * r.std(ddof=1) / np.sqrt(r.size)


# ---------------------------------------------------------------- plane transfer matrix (L = 2 and 3)
@pytest.mark.parametrize("disorder", ["gaussian", "bimodal", "ring"])
def test_transfer_matrix_agrees_with_enumeration_on_L2(disorder, ring_couplings):
    """Both methods exactly, including the double bonds of L = 2 that the transfer matrix counts per plane."""
    J = ring_couplings if disorder == "ring" else _sample(disorder, 21)
    T = np.array([0.3, 0.7, 1.2, 2.5, 10.0])
    enumerated, transfer = thermal_averages(J, T), pair_correlation_averages(J, T)
    for key in transfer:
        np.testing.assert_allclose(transfer[key], enumerated[key], rtol=0, atol=1e-12, err_msg=key)


def test_transfer_matrix_limits_on_L3():
    """L = 3 (512 plane states): independent spins at T = 1e3 (e, q_l -> 0, q^2 -> 1/N, qk2 -> 1); the
    ferromagnet's ground state at T = 0.05 (e = -3, q_l = q^2 = 1, and qk2 = 0: q_i = ±1 is uniform)."""
    n = 27
    hot = pair_correlation_averages(draw_couplings(np.random.default_rng(4), "gaussian", 3), np.array([1e3]))
    assert abs(hot["energy"][0]) < 1e-2 and hot["link_overlap"][0] == pytest.approx(0.0, abs=1e-4)
    assert hot["q2"][0] == pytest.approx(1 / n, abs=1e-4) and hot["qk2"][0] == pytest.approx(1.0, abs=1e-3)
    cold = pair_correlation_averages(np.ones((3, 3, 3, 3)), np.array([0.05]))
    assert cold["energy"][0] == pytest.approx(-3.0, abs=1e-9)
    assert cold["link_overlap"][0] == pytest.approx(1.0, abs=1e-9)
    assert cold["q2"][0] == pytest.approx(1.0, abs=1e-9)
    assert cold["qk2"][0] == pytest.approx(0.0, abs=1e-9)


def test_transfer_matrix_is_gauge_invariant_on_L3():
    """Flipping the spin of chosen sites and the sign of every bond touching them leaves every average
    unchanged: a bond assigned to the wrong pair of sites (in a plane or between planes) would break it."""
    rng = np.random.default_rng(8)
    J = draw_couplings(rng, "gaussian", 3).astype(np.float64)
    eps = rng.choice([-1.0, 1.0], size=(3, 3, 3))
    gauged = np.stack([J[d] * eps * np.roll(eps, -1, axis=d) for d in range(3)])
    T = np.array([0.5, 1.0, 2.0])
    a, b = pair_correlation_averages(J, T), pair_correlation_averages(gauged, T)
    for key in a:
        np.testing.assert_allclose(b[key], a[key], rtol=1e-10, atol=1e-12, err_msg=key)
    assert not np.allclose(pair_correlation_averages(np.roll(J, 1, axis=0), T)["energy"], a["energy"])
