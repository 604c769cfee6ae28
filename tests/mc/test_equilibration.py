"""Equilibration diagnostics on synthetic data with known answers."""

import numpy as np
import pytest

from spinglass_ml.mc.equilibration import equilibration_checks, identity_check, logbin_check

T = np.array([0.8, 1.0, 1.2])


def synthetic(n=400, gap=(0.0, 0.0, 0.0), drift=(0.0, 0.0, 0.0), seed=0):
    """Per-instance data obeying the Gaussian identity up to ``gap``, log bins drifting by ``drift``."""
    rng = np.random.default_rng(seed)
    ql = rng.uniform(0.3, 0.7, size=(n, 3))
    e = -3.0 / T * (1.0 - ql) + np.asarray(gap) + 0.05 * rng.standard_normal((n, 3))
    bins = np.repeat(e[..., None], 6, axis=-1) + 0.01 * rng.standard_normal((n, 3, 6))
    bins[..., -2] -= np.asarray(drift)
    return {
        "temperatures": T,
        "energy": e,
        "link_overlap": ql,
        "logbins/energy": bins,
        "logbins/link_overlap": bins,
    }


def test_consistent_data_pass():
    checks = equilibration_checks(synthetic(), "gaussian")
    assert [c.name for c in checks] == [
        "last two log bins of the energy",
        "last two log bins of the link overlap",
        "energy-link-overlap identity",
    ]
    assert all(c.passed for c in checks)


def test_identity_gap_is_found_at_the_right_temperature():
    data = synthetic(gap=(0.0, 0.05, 0.0))
    c = identity_check(data["energy"], data["link_overlap"], T)
    assert c.failed == [1.0]
    assert c.gap[1] == pytest.approx(0.05, abs=0.015)
    assert "FAILED at T = 1.000" in c.describe()


def test_log_bin_drift_fails_and_bimodal_skips_identity():
    checks = equilibration_checks(synthetic(drift=(0.02, 0.0, 0.0), gap=(0.3, 0.3, 0.3)), "bimodal")
    assert len(checks) == 2 and checks[0].failed == [0.8]


def test_check_record_of_a_gap_without_error_has_no_finite_z():
    """Identical instances with a gap: z is infinite, which strict JSON cannot hold; the record says null."""
    data = synthetic(n=3)
    data["energy"] = np.broadcast_to(data["energy"][:1] + 1.0, data["energy"].shape)
    data["link_overlap"] = np.broadcast_to(data["link_overlap"][:1], data["link_overlap"].shape)
    record = identity_check(data["energy"], data["link_overlap"], T).to_json()
    assert not record["passed"] and record["worst_z"] is None and record["failed_temperatures"] == list(T)


def test_too_little_data_is_an_error():
    with pytest.raises(ValueError, match="two disorder instances"):
        identity_check(np.zeros((1, 3)), np.zeros((1, 3)), T)
    with pytest.raises(ValueError, match="two log bins"):
        logbin_check(np.zeros((5, 3, 1)), T, "energy")


def chunk_file(folder, sweeps: int) -> list[str]:
    """32 Gaussian L = 4 instances at 5 temperatures, simulated for ``sweeps`` and written as one chunk."""
    from spinglass_ml.mc.chunks import write_chunk
    from spinglass_ml.mc.schedule import temperature_grid
    from spinglass_ml.mc.simulation import simulate_chunk

    run = dict(L=4, sweeps=sweeps, seed=1, first_instance=0, n_instances=32, n_con=2)
    T = temperature_grid(0.8, 1.21, 5)
    data = simulate_chunk(disorder="gaussian", temperatures=T, threads=2, **run)
    attrs = dict(disorder="gaussian", config_hash="test", **run)
    path = folder / f"sweeps{sweeps}.h5"
    write_chunk(path, data, attrs)
    return [str(path)]


def test_gate_stops_clean_training_on_short_runs_and_records_for_therm(tmp_path):
    from spinglass_ml.mc.equilibration import EquilibrationError, equilibration_gate

    short = chunk_file(tmp_path, 16)
    with pytest.raises(EquilibrationError, match=r"gaussian L=4 sweeps=16: .*FAILED at T = 0.800"):
        equilibration_gate(short, enforce=True)
    recorded = equilibration_gate(short, enforce=False)
    assert recorded and all("sweeps=16" in line for line in recorded)
    assert equilibration_gate(chunk_file(tmp_path, 4096), enforce=True) == []


def test_data_set_report_is_strict_json_with_the_checks_and_the_identity(tmp_path):
    """The record fig_equilibration draws: the verdicts of the gate, and identity bins that round-trip."""
    import json

    from spinglass_ml.mc.equilibration import (
        IdentityBins,
        data_set_report,
        identity_logbins,
        load_diagnostics,
    )

    short, long = chunk_file(tmp_path, 16), chunk_file(tmp_path, 4096)
    reports = [json.loads(json.dumps(data_set_report(p), allow_nan=False)) for p in (short, long)]
    for r, sweeps in zip(reports, (16, 4096), strict=True):
        assert (r["disorder"], r["L"], r["sweeps"], r["instances"]) == ("gaussian", 4, sweeps, 32)
        assert [c["name"] for c in r["checks"]][-1] == "energy-link-overlap identity"
    assert not reports[0]["checks"][-1]["passed"] and 0.8 in reports[0]["checks"][-1]["failed_temperatures"]
    assert reports[0]["checks"][-1]["worst_z"] > 4.0
    assert all(c["passed"] for c in reports[1]["checks"])
    assert all(c["passed"] for c in data_set_report(short, sigmas=1e9)["checks"])  # the limit is the caller's
    stored = IdentityBins.from_json(reports[1]["identity_logbins"])
    direct = identity_logbins(load_diagnostics(long)[0], 4096)
    for name in ("temperatures", "sweeps", "energy", "energy_err", "rhs", "rhs_err"):
        np.testing.assert_array_equal(getattr(stored, name), getattr(direct, name), err_msg=name)
