"""The equilibration certificate on synthetic data with known answers, and on chunk files."""

import numpy as np
import pytest

from spinglass_ml.mc.equilibration import (
    DEFAULT_SIGMAS,
    equilibration_checks,
    identity_check,
    load_diagnostics,
    logbin_check,
)

T = np.array([0.8, 1.0, 1.2])
NAMES = ["last 3 log bins of the energy", "last 3 log bins of the link overlap", "last 3 log bins of q^2",
         "energy-link-overlap identity"]  # fmt: skip


def synthetic(n=400, gap=(0.0, 0.0, 0.0), drift=(0.0, 0.0, 0.0), seed=0, q2_drift=0.0):
    """Per-instance data obeying the Gaussian identity up to ``gap``, the second-to-last log bin of the energy
    and the link overlap off by ``drift``, and q^2 rising by ``q2_drift`` from each of the last three log bins
    to the next."""
    rng = np.random.default_rng(seed)
    ql = rng.uniform(0.3, 0.7, size=(n, 3))
    e = -3.0 / T * (1.0 - ql) + np.asarray(gap) + 0.05 * rng.standard_normal((n, 3))
    bins = np.repeat(e[..., None], 6, axis=-1) + 0.01 * rng.standard_normal((n, 3, 6))
    bins[..., -2] -= np.asarray(drift)
    q2 = 0.3 + 0.01 * rng.standard_normal((n, 3, 6))
    q2[..., -3:] += q2_drift * np.arange(3)
    return {
        "temperatures": T,
        "energy": e,
        "link_overlap": ql,
        "logbins/energy": bins,
        "logbins/link_overlap": bins,
        "logbins/q2": q2,
    }


def test_consistent_data_pass():
    checks = equilibration_checks(synthetic(), "gaussian")
    assert [c.name for c in checks] == NAMES
    assert all(c.passed for c in checks)


def test_identity_gap_is_found_at_the_right_temperature():
    data = synthetic(gap=(0.0, 0.05, 0.0))
    c = identity_check(data["energy"], data["link_overlap"], T)
    assert c.failed == [1.0]
    assert c.gap[1, 0] == pytest.approx(0.05, abs=0.015)
    assert "FAILED at T = 1.000" in c.describe()


def test_log_bin_drift_fails_and_bimodal_skips_identity():
    checks = equilibration_checks(synthetic(drift=(0.02, 0.0, 0.0), gap=(0.3, 0.3, 0.3)), "bimodal")
    assert len(checks) == 3 and checks[0].failed == [0.8]


def test_drift_of_q2_alone_over_the_last_three_bins_fails_only_its_check():
    """q^2 rising by 0.005 per bin, 10 standard errors of a gap (0.01 sqrt(2 / 400)): only the q^2 check
    fails, at every temperature, at both gaps; the same data without the drift pass."""
    checks = equilibration_checks(synthetic(q2_drift=0.005), "gaussian")
    assert [c.passed for c in checks] == [True, True, False, True]
    q2 = checks[2]
    assert q2.failed == list(T) and np.all(q2.z > 6)
    np.testing.assert_allclose(q2.gap, 0.005, atol=0.002)
    record = q2.to_json()
    assert record["worst_bins"] in ([3, 4], [4, 5]) and record["worst_z"] > 6
    assert all(c.passed for c in equilibration_checks(synthetic(q2_drift=0.0), "gaussian"))


def test_a_drift_before_the_last_three_bins_is_not_a_failure():
    data = synthetic()
    data["logbins/q2"][..., :-3] -= 0.1  # the early bins relax; the last three agree
    assert all(c.passed for c in equilibration_checks(data, "gaussian"))


def test_detectable_drift_is_sigmas_standard_errors_at_the_worst_temperature():
    """Per-instance gaps of +-s (half each): mean 0, standard error s / sqrt(n - 1) exactly; s grows with T
    and differs between the two gaps, so the worst is the last gap at the highest temperature."""
    n = 100
    s = np.array([0.01, 0.02, 0.04])
    signs = np.where(np.arange(n) % 2 == 0, 1.0, -1.0)[:, None]
    bins = np.zeros((n, 3, 5))
    bins[..., -2] = signs * s
    bins[..., -1] = bins[..., -2] + 2 * signs * s  # second gap 2 s: worst
    c = logbin_check(bins, T, "the energy")
    np.testing.assert_allclose(c.error, np.stack([s, 2 * s], axis=1) / np.sqrt(n - 1))
    assert c.passed and c.detectable_drift == pytest.approx(DEFAULT_SIGMAS * 2 * s[-1] / np.sqrt(n - 1))
    assert c.to_json()["detectable_drift"] == pytest.approx(c.detectable_drift)
    assert f"detectable drift {c.detectable_drift:.4f}" in c.describe()
    half = logbin_check(bins, T, "the energy", sigmas=2.0)
    assert half.detectable_drift == pytest.approx(c.detectable_drift / 2)
    identity = identity_check(np.zeros((n, 3)) + signs * s, np.ones((n, 3)), T)
    assert identity.detectable_drift == pytest.approx(DEFAULT_SIGMAS * s[-1] / np.sqrt(n - 1))


def test_check_record_of_a_gap_without_error_has_no_finite_z():
    """Identical instances with a gap: z is infinite, which strict JSON cannot hold; the record says null."""
    data = synthetic(n=3)
    data["energy"] = np.broadcast_to(data["energy"][:1] + 1.0, data["energy"].shape)
    data["link_overlap"] = np.broadcast_to(data["link_overlap"][:1], data["link_overlap"].shape)
    record = identity_check(data["energy"], data["link_overlap"], T).to_json()
    assert not record["passed"] and record["worst_z"] is None and record["failed_temperatures"] == list(T)
    assert record["detectable_drift"] < 1e-12 and record["worst_bins"] is None


def test_too_little_data_is_an_error():
    with pytest.raises(ValueError, match="two disorder instances"):
        identity_check(np.zeros((1, 3)), np.zeros((1, 3)), T)
    with pytest.raises(ValueError, match="at least 3 log bins"):
        logbin_check(np.zeros((5, 3, 2)), T, "the energy")


def test_synthetic_chunks_with_a_q2_drift_fail_the_certificate(tmp_path):
    """The same synthetic measurements written as chunks (two files of 200 instances each): the certificate
    read back from the files fails with the drift in logbins/q2 and passes without it."""
    from spinglass_ml.mc.chunks import write_synthetic_chunk
    from spinglass_ml.mc.equilibration import data_set_report

    overlaps = np.ones((200, 3, 1, 2, 2, 2))
    for name, drift in (("drift", 0.005), ("flat", 0.0)):
        data = synthetic(q2_drift=drift)
        for k in range(2):
            part = {key: v[200 * k : 200 * (k + 1)] for key, v in data.items() if key != "temperatures"}
            write_synthetic_chunk(tmp_path / name / f"chunk{k}.h5", overlaps, T, 200 * k, measurements=part)
        paths = sorted(str(p) for p in (tmp_path / name).iterdir())
        np.testing.assert_array_equal(load_diagnostics(paths)[0]["logbins/q2"], data["logbins/q2"])
        record = data_set_report(paths)
        assert record["certified"] == (drift == 0.0)
        assert [c["passed"] for c in record["checks"]] == [True, True, drift == 0.0, True]


def chunk_file(
    folder, sweeps: int, disorder: str = "gaussian", n_instances: int = 32, temperatures=None
) -> list[str]:
    """L = 4 instances (32 Gaussian ones at 5 temperatures by default) simulated from random spins for
    ``sweeps``, written as one chunk."""
    from spinglass_ml.mc.chunks import write_chunk
    from spinglass_ml.mc.schedule import temperature_grid
    from spinglass_ml.mc.simulation import simulate_chunk

    run = dict(L=4, sweeps=sweeps, seed=1, first_instance=0, n_instances=n_instances, n_con=2)
    T = temperature_grid(0.8, 1.21, 5) if temperatures is None else temperatures
    data = simulate_chunk(disorder=disorder, temperatures=T, threads=2, **run)
    attrs = dict(disorder=disorder, config_hash="test", **run)
    path = folder / f"{disorder}-sweeps{sweeps}.h5"
    write_chunk(path, data, attrs)
    return [str(path)]


def test_certificate_tells_equilibrated_from_short_runs(tmp_path):
    """e = -(3/T)(1 - q_l) for the disorder average of Gaussian samples, only in equilibrium.

    128 samples at L = 4 from random spins: after 16384 sweeps the three log-bin tests and the identity pass
    at every temperature (4 sigma per temperature and gap: a false alarm over the 20 temperatures and 7 gaps
    has probability about 1e-2 for a new seed); after 16 sweeps the identity gap exceeds 10 sigma at every
    temperature, with the energy still above and -(3/T)(1 - q_l) still below the equilibrium value, and the
    energy still drifts over the last three log bins.
    """
    from spinglass_ml.mc.schedule import temperature_grid

    T = temperature_grid(0.8, 1.21, 20)
    long, _ = load_diagnostics(chunk_file(tmp_path, 16384, n_instances=128, temperatures=T))
    checks = equilibration_checks(long, "gaussian")
    assert [c.passed for c in checks] == [True] * 4, [c.describe() for c in checks]
    short, _ = load_diagnostics(chunk_file(tmp_path, 16, n_instances=128, temperatures=T))
    identity = identity_check(short["energy"], short["link_overlap"], T)
    assert np.all(identity.z > 10.0) and identity.failed == list(T)
    checks = equilibration_checks(short, "gaussian")
    assert not checks[0].passed and not checks[3].passed


def test_certificate_of_the_multispin_path(tmp_path):
    """Bimodal samples at L = 4 (the multispin path; no identity): 128 samples pass the three log-bin tests
    after 4096 sweeps and fail them after 16, where e, q_l and q^2 are all still relaxing."""
    from spinglass_ml.mc.schedule import temperature_grid

    T = temperature_grid(1.0, 1.5, 16)
    for sweeps, passed in ((4096, True), (16, False)):
        data, _ = load_diagnostics(chunk_file(tmp_path, sweeps, "bimodal", 128, T))
        checks = equilibration_checks(data, "bimodal")
        assert [c.passed for c in checks] == [passed] * 3, [c.describe() for c in checks]


def test_gate_stops_clean_training_on_short_runs_and_records_for_therm(tmp_path):
    """From random spins, 16 sweeps fail (the energy still drifting over the last log bins, and the identity
    at T = 0.8); 16384 sweeps (the L = 5 configuration) pass."""
    from spinglass_ml.mc.equilibration import EquilibrationError, equilibration_gate

    short = chunk_file(tmp_path, 16)
    with pytest.raises(EquilibrationError, match=r"gaussian L=4 sweeps=16: .*FAILED at T = 0.800"):
        equilibration_gate(short, enforce=True)
    recorded = equilibration_gate(short, enforce=False)
    assert all("sweeps=16" in line for line in recorded)
    assert [line.split(": ")[1] for line in recorded] == [NAMES[0], NAMES[3]]
    assert equilibration_gate(chunk_file(tmp_path, 16384), enforce=True) == []


def test_data_set_report_is_strict_json_with_the_checks_and_the_identity(tmp_path):
    """The record fig_equilibration draws: the verdicts of the gate, and identity bins that round-trip."""
    import json

    from spinglass_ml.mc.equilibration import IdentityBins, data_set_report, identity_logbins

    short, long = chunk_file(tmp_path, 16), chunk_file(tmp_path, 16384)
    reports = [json.loads(json.dumps(data_set_report(p), allow_nan=False)) for p in (short, long)]
    for r, sweeps in zip(reports, (16, 16384), strict=True):
        assert (r["disorder"], r["L"], r["sweeps"], r["instances"]) == ("gaussian", 4, sweeps, 32)
        assert [c["name"] for c in r["checks"]] == NAMES
        assert all(c["detectable_drift"] > 0 for c in r["checks"])
    assert not reports[0]["certified"] and not reports[0]["checks"][0]["passed"]
    identity = reports[0]["checks"][-1]
    assert 0.8 in identity["failed_temperatures"] and identity["worst_z"] > 4.0
    assert reports[1]["certified"] and all(c["passed"] for c in reports[1]["checks"])
    assert data_set_report(short, sigmas=1e9)["certified"]  # the limit is the caller's
    stored = IdentityBins.from_json(reports[1]["identity_logbins"])
    direct = identity_logbins(load_diagnostics(long)[0], 16384)
    for name in ("temperatures", "sweeps", "energy", "energy_err", "rhs", "rhs_err"):
        np.testing.assert_array_equal(getattr(stored, name), getattr(direct, name), err_msg=name)


def test_study_report_finds_the_reduced_sweeps_and_says_where_they_pass(tmp_path):
    """Synthetic data sets laid out as results/mc: at L = 4 and 6 the configured 64 sweeps pass; their half
    (therm-0.5) drifts at L = 4 only, their quarter (therm-0.25) at both; the bimodal one stands alone."""
    import json

    from spinglass_ml.mc.chunks import write_synthetic_chunk
    from spinglass_ml.mc.equilibration import identity_panels, study_report

    drifts = {("gaussian", 4, 64): 0.0, ("gaussian", 4, 32): 0.005, ("gaussian", 4, 16): 0.005,
              ("gaussian", 6, 64): 0.0, ("gaussian", 6, 32): 0.0, ("gaussian", 6, 16): 0.005,
              ("bimodal", 4, 64): 0.0}  # fmt: skip
    paths = []
    for (disorder, L, sweeps), drift in drifts.items():
        path = tmp_path / disorder / f"L{L}" / f"sweeps{sweeps}" / "chunk0.h5"
        data = {k: v for k, v in synthetic(q2_drift=drift, seed=L).items() if k != "temperatures"}
        overlaps = np.ones((400, 3, 1, L, L, L))
        write_synthetic_chunk(path, overlaps, T, 0, disorder=disorder, sweeps=sweeps, measurements=data)
        paths.append(str(path))
    report = json.loads(json.dumps(study_report(paths), allow_nan=False))
    records = {(r["disorder"], r["L"], r["sweeps"]): r for r in report["data_sets"]}
    assert list(records) == sorted(drifts, key=lambda k: (k[0], k[1], f"sweeps{k[2]}"))  # folder order
    assert all(records[k]["certified"] == (d == 0.0) for k, d in drifts.items())
    assert [records[k]["reduced_from"] for k in drifts] == [None, 64, 64, None, 64, 64, None]
    assert report["sigmas"] == DEFAULT_SIGMAS
    assert report["therm"] == [
        {"disorder": "gaussian", "fraction": 0.25, "sweeps": {"4": 16, "6": 16}, "undetected_L": [],
         "detected_at_every_L": True},
        {"disorder": "gaussian", "fraction": 0.5, "sweeps": {"4": 32, "6": 32}, "undetected_L": [6],
         "detected_at_every_L": False},
    ]  # fmt: skip
    assert report["undetected_therm"] == [{"disorder": "gaussian", "L": 6, "sweeps": 32, "fraction": 0.5}]
    titles = [[title for title, _ in row] for row in identity_panels(report)]
    assert titles == [[f"L = {L}, {s} sweeps" for s in (64, 32, 16)] for L in (4, 6)]


def test_command_line_prints_the_verdict_and_every_check(tmp_path, capsys):
    from spinglass_ml.mc.chunks import write_synthetic_chunk
    from spinglass_ml.mc.equilibration import main

    data = {k: v for k, v in synthetic(q2_drift=0.005).items() if k != "temperatures"}
    path = write_synthetic_chunk(tmp_path / "c.h5", np.ones((400, 3, 1, 2, 2, 2)), T, 0, measurements=data)
    assert main([str(path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "gaussian L=2 sweeps=64 instances=400: NOT certified"
    assert [line.split(":")[0].strip() for line in out[1:]] == NAMES
    assert "FAILED" in out[3] and all("detectable drift" in line for line in out[1:])
    assert main([str(path), "--sigmas", "1e9"]) == 0
