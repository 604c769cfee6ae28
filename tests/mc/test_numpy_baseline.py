"""The NumPy parallel-tempering reference against exact enumeration on L = 2.

Statistical tolerance: every comparison is |mean over RUNS independent runs - exact| < 4 standard errors of
that mean + 1e-4. The floor covers events too rare to be seen in RUNS x SWEEPS/2 sweeps (their absence shifts
a mean by at most ~1e-4 but gives a standard error near 0); it is well below the standard errors here
(>= ~1e-3 where the dynamics matter). With RUNS = 64 the standardised error follows Student's t with 63
degrees of freedom, so one comparison fails by chance with probability 2 P(t_63 > 4) = 1.7e-4; the 58
comparisons of the two samples (5 observables x 6 temperatures + 5 exchange pairs each) fail together with
probability about 1 - (1 - 1.7e-4)^58 = 1.0e-2. The seeds are fixed, so the test is deterministic: these are
the rates a new seed would give, for the Gaussian sample. A new bimodal sample can also fail for a
non-statistical reason, see :func:`test_zero_field_flips_break_ergodicity_on_a_ring` (about 1 in 16 ±1 samples
on L = 2).
"""

from __future__ import annotations

import numpy as np
import pytest

from spinglass_ml.mc.exact import all_configurations, thermal_averages
from spinglass_ml.mc.lattice import draw_couplings, energy
from spinglass_ml.mc.numpy_baseline import simulate

L = 2
RUNS = 64
SWEEPS = 2000
TEMPERATURES = np.geomspace(0.5, 2.0, 6)
DISORDERS = ("gaussian", "bimodal")
OBSERVABLES = ("energy", "link_overlap", "q2", "q4", "qk2")


@pytest.fixture(scope="module")
def runs() -> dict[str, tuple[np.ndarray, dict[str, np.ndarray]]]:
    """For each disorder: one fixed sample and the results of RUNS independent runs on it (one call)."""
    rng = np.random.default_rng(20240611)
    samples = {d: draw_couplings(rng, d, L) for d in DISORDERS}
    couplings = np.concatenate([np.repeat(samples[d][None], RUNS, axis=0) for d in DISORDERS])
    out = simulate(couplings, TEMPERATURES, SWEEPS, np.random.default_rng(7))
    return {
        d: (samples[d], {key: value[k * RUNS : (k + 1) * RUNS] for key, value in out.items()})
        for k, d in enumerate(DISORDERS)
    }


def _assert_mean_matches(per_run: np.ndarray, exact: np.ndarray, what: str) -> None:
    """per_run: (RUNS, n) independent estimates; exact: (n,) their expectation."""
    mean = per_run.mean(axis=0)
    sem = per_run.std(axis=0, ddof=1) / np.sqrt(per_run.shape[0])
    assert np.all(np.abs(mean - exact) < 4 * sem + 1e-4), f"{what}: z = {(mean - exact) / sem}"


def _exact_swap_acceptance(couplings: np.ndarray) -> np.ndarray:
    """<min(1, exp((β_t - β_{t+1})(E_t - E_{t+1})))> over independent equilibrium states at T_t, T_{t+1}."""
    e = energy(all_configurations(L), couplings)
    beta = 1.0 / TEMPERATURES
    log_w = -beta[:, None] * e[None, :]
    p = np.exp(log_w - log_w.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    rates = []
    for t in range(TEMPERATURES.size - 1):
        accept = np.exp(np.minimum(0.0, (beta[t] - beta[t + 1]) * (e[:, None] - e[None, :])))
        rates.append(p[t] @ accept @ p[t + 1])
    return np.array(rates)


@pytest.mark.parametrize("disorder", DISORDERS)
@pytest.mark.parametrize("observable", OBSERVABLES)
def test_window_averages_match_exact_enumeration(runs, disorder, observable):
    couplings, out = runs[disorder]
    exact = thermal_averages(couplings, TEMPERATURES)[observable]
    _assert_mean_matches(out[observable], exact, f"{disorder} {observable}")


@pytest.mark.parametrize("disorder", DISORDERS)
def test_swap_acceptance_matches_exact_enumeration(runs, disorder):
    """In equilibrium the pair (t, t+1) meets independent Boltzmann states at T_t and T_{t+1}."""
    couplings, out = runs[disorder]
    acceptance = out["swap_acceptance"]
    assert acceptance.shape == (RUNS, TEMPERATURES.size - 1)
    assert np.all((acceptance > 0) & (acceptance <= 1))
    _assert_mean_matches(acceptance, _exact_swap_acceptance(couplings), f"{disorder} swap acceptance")


@pytest.mark.parametrize("disorder", DISORDERS)
def test_final_spins_are_valid_configurations(runs, disorder):
    couplings, out = runs[disorder]
    spins = out["final_spins"]
    assert spins.shape == (RUNS, TEMPERATURES.size, 2, L, L, L) and spins.dtype == np.int8
    assert np.all(np.abs(spins) == 1)
    e = energy(spins, couplings)
    ground = energy(all_configurations(L), couplings).min()
    assert np.all(np.isfinite(e)) and np.all(e >= ground - 1e-9)


def test_zero_field_spins_flipping_with_probability_half_keeps_the_ring_ergodic(ring_couplings):
    """On this ±J ring, flipping every zero-field spin (ΔE = 0 accepted with probability 1) moves the domain
    walls in lock-step and they never annihilate; with probability 1/2 the sweep is ergodic."""
    couplings = ring_couplings
    out = simulate(np.repeat(couplings[None], RUNS, axis=0), TEMPERATURES, SWEEPS, np.random.default_rng(3))
    exact = thermal_averages(couplings, TEMPERATURES)
    for observable in ("energy", "q2"):
        _assert_mean_matches(out[observable], exact[observable], f"ring {observable}")


def test_rejects_odd_lattice_and_short_runs():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError):
        simulate(np.ones((1, 3, 3, 3, 3)), TEMPERATURES, 10, rng)
    with pytest.raises(ValueError):
        simulate(np.ones((1, 3, 2, 2, 2)), TEMPERATURES, 1, rng)
