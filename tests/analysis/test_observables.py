"""Binder ratio and ξ_L/L: closed-form cases, synthetic overlaps with known answers, and the chunk reader."""

import json
import math

import numpy as np
import pytest

from spinglass_ml.analysis.bootstrap import bootstrap_indices
from spinglass_ml.analysis.observables import (
    binder_ratio,
    overlap_moments,
    physics_curves,
    physics_reference,
    xi_over_L,
)
from spinglass_ml.mc.chunks import read_chunk

SETTINGS = {
    "bootstrap_samples": 20,
    "smooth_degree": 3,
    "grid_points": 51,
    "min_valid_fraction": 0.8,
    "window": {"gaussian": {"min": None, "max": None}, "bimodal": {"min": None, "max": None}},
}


def test_aligned_overlaps_are_fully_ordered():
    """q_i = ±1 on all sites (a random global sign per snapshot): q² = q⁴ = 1, so g = 1 exactly; q(k_min) = 0,
    so χ(k_min) = 0 and ξ_L is infinite."""
    rng = np.random.default_rng(0)
    q = np.broadcast_to(rng.choice([-1, 1], size=(3, 5, 1, 1, 1)), (3, 5, 4, 4, 4)).astype(np.int8)
    m = overlap_moments(q)
    assert m["q2"].shape == (3,) and np.all(m["q2"] == 1) and np.all(m["q4"] == 1)
    assert np.allclose(m["qk2"], 0, atol=1e-24)
    assert np.all(binder_ratio(m["q2"], m["q4"]) == 1.0)
    assert np.all(np.isinf(xi_over_L(m["q2"], np.zeros(3), 4)))


def test_independent_random_overlaps_are_disordered():
    """Independent ±1 sites: ⟨q²⟩ = 1/N, ⟨q⁴⟩ = (3N − 2)/N³, so g = 1/N (→ 0); χ(0) = χ(k_min) = 1, so
    ξ_L → 0. Tolerances are about 4 standard errors of 40 000 snapshots."""
    L, n = 4, 40_000
    N = L**3
    q = np.random.default_rng(1).choice(np.array([-1, 1], np.int8), size=(n, L, L, L))
    m = overlap_moments(q)
    g = binder_ratio(m["q2"], m["q4"])
    assert g == pytest.approx(1 / N, abs=0.045)  # std of g from 4e4 snapshots: about 0.012
    assert N * m["q2"] == pytest.approx(1.0, abs=4.5 * math.sqrt(2 / n))
    assert m["qk2"] == pytest.approx(1.0, abs=4.5 * math.sqrt(1 / n))


def test_xi_inverts_the_ornstein_zernike_form():
    """χ(k) = χ(0) / (1 + 4 ξ² sin²(k/2)) at k = 2π/L gives back ξ; χ(0) ≤ χ(k_min) has no ξ (NaN)."""
    for L, xi in ((4, 0.3), (6, 4.2), (10, 7.5)):
        q2 = 2.0 / L**3  # χ(0) = N q2 = 2
        qk2 = 2.0 / (1 + 4 * xi**2 * math.sin(math.pi / L) ** 2)
        assert xi_over_L(q2, qk2, L) == pytest.approx(xi / L, rel=1e-12)
    assert np.isnan(xi_over_L(1.0 / 64, 1.5, 4))


@pytest.fixture(scope="module")
def bimodal_chunks(tmp_path_factory, simulated_chunks):
    """Tiny simulated bimodal data, L = 2 and 4, 6 instances in two chunks each."""
    files = {}
    for L in (2, 4):
        folder = tmp_path_factory.mktemp(f"L{L}")
        files[L] = simulated_chunks(folder, "bimodal", [(0, 3), (3, 3)], L=L, n_T=4, sweeps=64)
    return files


def test_curves_from_chunks_are_ratios_of_disorder_averages(bimodal_chunks):
    paths = bimodal_chunks[4]
    data = [read_chunk(p, ["q2", "q4", "qk2", "temperatures"])[0] for p in paths]
    q2, q4, qk2 = (np.concatenate([d[k] for d in data]).mean(axis=0) for k in ("q2", "q4", "qk2"))
    curves = physics_curves(paths[::-1], 30, 5, "bimodal")  # order of the files does not matter
    assert np.array_equal(curves["binder"].T, data[0]["temperatures"]) and curves["binder"].instances == 6
    assert np.allclose(curves["binder"].replicas[0], 0.5 * (3 - q4 / q2**2))
    assert np.allclose(curves["xi"].replicas[0], np.sqrt(64 * q2 / qk2 - 1) / (2 * 4 * math.sin(math.pi / 4)))
    assert curves["binder"].replicas.shape == (31, 4) and np.ptp(curves["binder"].replicas[1:, 0]) > 0
    # every replica b is the ratio of the disorder averages over resample b of the shared bootstrap stream
    table = {k: np.concatenate([d[k] for d in data]) for k in ("q2", "q4", "qk2")}
    for b, idx in enumerate(bootstrap_indices(6, 30, 5, 4, "bimodal")):
        r2, r4, rk = (table[k][idx].mean(axis=0) for k in ("q2", "q4", "qk2"))
        assert np.allclose(curves["binder"].replicas[b], 0.5 * (3 - r4 / r2**2))
        assert np.allclose(curves["xi"].replicas[b], xi_over_L(r2, rk, 4), equal_nan=True)
    again = physics_curves(paths, 30, 5, "bimodal")
    assert np.array_equal(again["xi"].replicas, curves["xi"].replicas)  # same seed, same resamples
    with pytest.raises(ValueError, match="overlap"):
        physics_curves([paths[0], paths[0]], 30, 5, "bimodal")
    with pytest.raises(ValueError, match="disorder 'bimodal', expected 'gaussian'"):
        physics_curves(paths, 30, 5, "gaussian")


def test_physics_reference_never_raises_on_bad_data(bimodal_chunks):
    """Mixed sizes in one entry, or a window leaving one temperature, give null estimates with reasons."""
    mixed = physics_reference({"bimodal": {4: bimodal_chunks[2] + bimodal_chunks[4]}}, SETTINGS, 5)
    assert "chunk files of one size" in mixed["bimodal"]["reason"]
    narrow = {**SETTINGS, "window": {**SETTINGS["window"], "bimodal": {"min": 1.2, "max": None}}}
    out = physics_reference({"bimodal": bimodal_chunks}, narrow, 5)
    json.dumps(out)
    for key in ("binder", "xi"):
        assert out["bimodal"][key]["Tc"] is None
        assert "needs at least two temperatures" in out["bimodal"][key]["reason"]
    full = physics_reference({"bimodal": bimodal_chunks}, SETTINGS, 5)
    json.dumps(full)
    for key, quantity in (("binder", "g"), ("xi", "xi_over_L")):
        result = full["bimodal"][key]
        assert result["quantity"] == quantity and result["method"] == "crossing"
        for c in result["crossings"]:  # an estimate or a reason, never both, never neither
            assert (c["T"] is None) != (c["reason"] is None)
        assert result["Tc"] is not None or result["reason"].startswith("T_c: ")
        largest = result["crossings"][-1]  # headline: T_c of the largest pair, ν of the collapse
        assert (largest["L1"], largest["L2"]) == (2, 4)
        assert (result["Tc"], result["Tc_err"]) == (largest["T"], largest["T_err"])
        assert (result["nu"], result["nu_err"]) == (result["collapse"]["nu"], result["collapse"]["nu_err"])
