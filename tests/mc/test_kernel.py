"""The parallel-tempering kernel: physics against exact enumeration and equilibrium identities,
invariants of its output, determinism, checkpoint/resume, and argument validation."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from spinglass_ml import _ptmc
from spinglass_ml.mc import numpy_baseline
from spinglass_ml.mc.exact import pair_correlation_averages, thermal_averages
from spinglass_ml.mc.lattice import energy, link_overlap, overlap_k2
from spinglass_ml.mc.schedule import (
    log_bin_counts,
    measured_sweeps,
    n_log_bins,
    temperature_grid,
    temperature_ladder,
    window_count,
)
from spinglass_ml.mc.simulation import (
    MEASURE_EVERY,
    STREAM_MC,
    instance_couplings,
    instance_seed,
    kernel_path,
    run_pt,
    simulate_chunk,
)

GAUSS_T = temperature_grid(0.8, 1.21, 20)


def chunk(**kw):
    args = dict(disorder="gaussian", L=4, temperatures=GAUSS_T[::4], sweeps=64, n_con=4, seed=7,
                first_instance=0, n_instances=4, threads=1)  # fmt: skip
    args.update(kw)
    return simulate_chunk(**args)


def assert_same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


# --- physics -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kernel", ["simd", "plain"])
@pytest.mark.parametrize("disorder", ["gaussian", "bimodal", "ring"])
def test_kernel_matches_exact_enumeration_on_L2(disorder, kernel, ring_couplings):
    """64 independent runs of one L = 2 sample (2 x 2 x 2, double bonds) against exact thermal averages.

    "ring" is a ±J sample with zero-field spins on which always flipping them is not ergodic (conftest).
    Tolerance 4.5 standard errors of the mean over runs plus 1e-4 (for excitations too rare to show up in
    any run, where the standard error is 0): per comparison a false failure has probability about 7e-6;
    over the 2 x 3 x 5 x 6 = 180 comparisons of this test about 1.3e-3. Seeds are fixed, so the outcome is
    deterministic; the rate is what a different seed would give.
    """
    T = temperature_grid(0.4, 2.0, 6)
    rng = np.random.default_rng(11)
    samples = {
        "gaussian": rng.standard_normal((3, 2, 2, 2)),
        "bimodal": rng.choice([-1.0, 1.0], size=(3, 2, 2, 2)),
        "ring": ring_couplings,
    }
    J = samples[disorder].astype(np.float32)
    n = 64
    seeds = [instance_seed(3, "bimodal", 2, i, STREAM_MC) for i in range(n)]
    res = run_pt(np.repeat(J[None], n, axis=0), T, 4096, 4, seeds, threads=2, kernel=kernel)
    exact = thermal_averages(J, T)
    for key in ("energy", "link_overlap", "q2", "q4", "qk2"):
        mean = res[key].mean(axis=0)
        sem = res[key].std(axis=0, ddof=1) / np.sqrt(n)
        assert np.all(np.abs(mean - exact[key]) <= 4.5 * sem + 1e-4), (key, mean, exact[key], sem)


PATHS_L3 = [("auto", "bimodal"), ("simd", "gaussian"), ("plain", "gaussian"), ("simd", "bimodal")]


@pytest.mark.parametrize("kernel, disorder", PATHS_L3)
def test_kernel_matches_exact_correlations_on_L3(kernel, disorder):
    """128 independent runs of one L = 3 sample against the transfer-matrix averages (energy, q_l, q^2, qk2);
    ("auto", "bimodal") is the multispin path, two full words. Tolerance as in the L = 2 test: 4.5 standard
    errors plus 1e-4; over the 4 x 4 x 6 = 96 comparisons a false failure has probability about 7e-4."""
    T = temperature_grid(0.5, 2.0, 6)
    J = np.random.default_rng(17).standard_normal((3, 3, 3, 3))
    J = (np.sign(J) if disorder == "bimodal" else J).astype(np.float32)
    n = 128
    seeds = [instance_seed(4, disorder, 3, i, STREAM_MC) for i in range(n)]
    path, _, _ = kernel_path(J[None], T, 8, 1, seeds[:1], 1, kernel)
    assert path == ("multispin" if kernel == "auto" else kernel)
    res = run_pt(np.repeat(J[None], n, axis=0), T, 4096, 4, seeds, threads=2, kernel=kernel)
    exact = pair_correlation_averages(J, T)
    for key in exact:
        mean = res[key].mean(axis=0)
        sem = res[key].std(axis=0, ddof=1) / np.sqrt(n)
        assert np.all(np.abs(mean - exact[key]) <= 4.5 * sem + 1e-4), (key, (mean - exact[key]) / sem)


@pytest.mark.parametrize("kernel, disorder", PATHS_L3)
def test_kernel_agrees_with_numpy_reference_at_L4(kernel, disorder):
    """Every kernel path vs the checkerboard NumPy reference on the same 32 samples of L = 4 (zero-field spins
    flip with probability 1 here, unlike at L = 2; ("auto", "bimodal") is the multispin path): the per-sample
    differences of the window averages and of the log bins of e, q_l and q^2 have mean zero within 4.5
    standard errors at each of the 6 temperatures (false failure about 1e-3 for a new seed). Log bins from
    sweep 8 on: in the first sweeps from random spins the sequential and the checkerboard sweep differ."""
    T = temperature_grid(1.0, 2.0, 6)
    n = 32
    J = np.stack([instance_couplings(5, disorder, 4, i) for i in range(n)])
    seeds = [instance_seed(5, disorder, 4, i, STREAM_MC) for i in range(n)]
    fast = run_pt(J, T, 1024, 1, seeds, threads=2, kernel=kernel)
    slow = numpy_baseline.simulate(J, T, 1024, np.random.default_rng(5))
    for key in ("energy", "link_overlap", "q2", "logbins/energy", "logbins/link_overlap", "logbins/q2"):
        assert fast[key].shape == slow[key].shape, key
        diff = (fast[key] - slow[key])[..., 3:] if key.startswith("logbins/") else fast[key] - slow[key]
        sem = diff.std(axis=0, ddof=1) / np.sqrt(n)
        assert np.all(np.abs(diff.mean(axis=0)) <= 4.5 * sem), (key, diff.mean(axis=0) / sem)


@pytest.mark.parametrize("disorder", ["gaussian", "bimodal"])
def test_simd_path_runs_the_chain_of_the_scalar_reference(disorder):
    """The vectorised sweep and the scalar reference (one spin of one configuration at a time, exp in double
    precision) draw the same random numbers and compute dE alike, so their chains differ only where a uniform
    falls between the two acceptance probabilities p, which differ by at most 4e-7 p + 2e-8 (the polynomial
    exp's relative error, test_fast_exp_accuracy, and the float32 rounding of -beta dE). Over these 6.6e5
    attempts the expected number of such events is below 0.3 (in practice far less), so the data agree bit
    for bit; a difference means the vectorised update is not the Metropolis update of the reference."""
    kw = dict(disorder=disorder, temperatures=GAUSS_T[::2], sweeps=256, n_instances=2)
    assert_same(chunk(kernel="simd", **kw), chunk(kernel="plain", **kw))


def test_simd_path_runs_the_chain_of_the_scalar_reference_at_L2(ring_couplings):
    """The same on the L = 2 ring sample (conftest), whose zero-field spins flip with probability 1/2: the
    p0 branch of both sweeps, 2e5 attempts."""
    T = temperature_grid(0.4, 2.0, 6)
    J = np.repeat(ring_couplings[None].astype(np.float32), 4, axis=0)
    seeds = [instance_seed(2, "bimodal", 2, i, STREAM_MC) for i in range(4)]
    simd, plain = (run_pt(J, T, 512, 2, seeds, threads=1, kernel=k) for k in ("simd", "plain"))
    assert_same(simd, plain)


@pytest.mark.parametrize("kernel, disorder", PATHS_L3)
def test_log_bins_converge_and_last_bin_is_the_window(kernel, disorder):
    sweeps = 1024
    d = chunk(sweeps=sweeps, n_instances=16, threads=2, kernel=kernel, disorder=disorder)
    # every sweep up to 2 x MEASURE_EVERY = 8, then every 4th
    assert np.array_equal(log_bin_counts(sweeps), [2, 2, 4, 2, 4, 8, 16, 32, 64, 128])
    # for sweeps a power of two, the last log bin is exactly the measurement window
    for key in ("energy", "link_overlap", "q2"):
        np.testing.assert_allclose(d[f"logbins/{key}"][..., -1], d[key], rtol=1e-12, err_msg=key)
    e = d["logbins/energy"].mean(axis=0)
    assert np.all(e[:, 0] > e[:, -1] + 0.3)  # relaxation from the random start is visible
    assert np.all(np.abs(e[:, -1] - e[:, -2]) < 0.02)  # and over by the last two bins
    q2 = d["logbins/q2"]
    assert np.all((q2 > 0) & (q2 <= 1)) and np.all(q2[..., 0].mean(axis=0) < q2[..., -1].mean(axis=0))


def test_measured_sweeps():
    """The thinning rule: the first 8 sweeps, every 4th (u % 4 == 3) and the last; no log bin or window is
    empty, even when the last bin is short (66 sweeps: bin [64, 66) holds only the last sweep)."""
    assert MEASURE_EVERY == 4
    np.testing.assert_array_equal(
        np.flatnonzero(measured_sweeps(24)), [0, 1, 2, 3, 4, 5, 6, 7, 11, 15, 19, 23]
    )
    for sweeps in (2, 3, 9, 66, 1000, 1025):
        assert np.all(log_bin_counts(sweeps) > 0) and window_count(sweeps) > 0
    assert log_bin_counts(66)[-1] == 1 and window_count(1024) == 512 // 4


@pytest.mark.parametrize("kernel", ["plain", "simd", "auto"])
@pytest.mark.parametrize("sweeps", [9, 66, 101])
def test_kernels_measure_the_sweeps_measured_sweeps_counts(kernel, sweeps):
    """The C rule (ptmc_measured, ptmc_log_bin, the window start) and the Python counts that divide the sums
    must pick the same sweeps, or every average is off by a factor. A ferromagnet started aligned at T <= 0.02
    never flips (exp(-4 / 0.02) rounds to 0), so each measured sweep adds exactly e = -3 per spin: the sums
    divided by -3 are the kernel's own counts, per log bin and in the window, on every path; q_l and q^2 are 1
    at every measurement, so their sums are the counts too."""
    L, T = 3, np.array([0.01, 0.02])
    J = np.ones((2, 3, L, L, L))
    seeds = [instance_seed(1, "bimodal", L, i, STREAM_MC) for i in range(2)]
    path, start, advance = kernel_path(J, T, sweeps, 1, seeds, 1, kernel)
    multispin = path == "multispin"
    assert path == ("multispin" if kernel == "auto" else kernel)
    state = start()
    state.spins[...] = 0 if multispin else 1  # multispin bit 0 is spin +1
    state.energy[...] = -3 * L**3
    advance(state, sweeps)
    counts = np.broadcast_to(log_bin_counts(sweeps), (len(seeds), T.size, n_log_bins(sweeps)))
    np.testing.assert_array_equal(state.bins[: len(seeds), 0] / -3.0, counts)
    np.testing.assert_array_equal(state.bins[: len(seeds), 1], counts)  # link overlap 1 at every measurement
    np.testing.assert_array_equal(state.bins[: len(seeds), 2], counts)  # and q^2
    np.testing.assert_array_equal(state.acc[: len(seeds), 2], window_count(sweeps))
    np.testing.assert_array_equal(state.acc[: len(seeds), 0] / -3.0, window_count(sweeps))


def test_output_invariants():
    d = chunk(sweeps=256, n_instances=3)
    L, n_T = 4, GAUSS_T[::4].size
    assert d["overlaps"].shape == (3, n_T, 4, L, L, L) and d["overlaps"].dtype == np.int8
    assert set(np.unique(d["overlaps"])) <= {-1, 1}
    assert set(np.unique(d["final_spins"])) <= {-1, 1}
    assert np.all((d["swap_acceptance"] > 0) & (d["swap_acceptance"] < 1))
    assert np.all((d["q2"] > 0) & (d["q2"] <= 1) & (d["q4"] <= d["q2"]) & (d["q4"] >= d["q2"] ** 2 - 1e-12))
    assert np.all(np.abs(d["link_overlap"]) <= 1) and np.all(d["qk2"] >= 0)
    # the last snapshot is the final state: its overlap and q(k) agree with final_spins
    q_last = d["final_spins"][:, :, 0] * d["final_spins"][:, :, 1]
    np.testing.assert_array_equal(d["overlaps"][:, :, -1], q_last)
    for i in range(3):
        np.testing.assert_array_equal(
            d["couplings"][i], chunk(first_instance=i, n_instances=1)["couplings"][0]
        )
    assert overlap_k2(q_last).shape == (3, n_T)
    assert link_overlap(d["final_spins"][:, :, 0], d["final_spins"][:, :, 1]).shape == (3, n_T)


def test_final_spins_reproduce_tracked_energies():
    T = GAUSS_T
    seeds = [instance_seed(1, "gaussian", 6, i, STREAM_MC) for i in range(2)]
    J = np.stack(
        [np.random.default_rng(i).standard_normal((3, 6, 6, 6)).astype(np.float32) for i in range(2)]
    )
    res = run_pt(J, T, 512, 2, seeds, threads=1)
    recomputed = np.stack([energy(res["final_spins"][i], J[i]) for i in range(2)])
    # the kernel accumulates float32 energy changes: agreement to float32 rounding, far below one flip
    np.testing.assert_allclose(res["final_energy"], recomputed, atol=1e-3)


def test_fast_exp_accuracy():
    """The kernel's float32 exp: relative error below 4e-7 (about 3 float32 ulp) on [-87, 0]."""
    x = -np.linspace(0.0, 87.0, 200_001).astype(np.float32)
    got = np.array([_ptmc.expf_fast(v) for v in x], dtype=np.float64)
    rel = np.abs(got / np.exp(x.astype(np.float64)) - 1.0)
    assert rel.max() < 4e-7
    assert _ptmc.expf_fast(0.0) == 1.0


# --- determinism and checkpoints ---------------------------------------------------------------------------


def test_same_seed_same_data_and_other_seed_differs():
    assert_same(chunk(), chunk())
    assert not np.array_equal(chunk()["overlaps"], chunk(seed=8)["overlaps"])


def test_thread_count_does_not_change_results():
    assert_same(chunk(n_instances=5, threads=1), chunk(n_instances=5, threads=2))


def test_instruction_set_paths_are_bit_identical(monkeypatch):
    """Every path this CPU has (AVX-512, AVX2, baseline) gives the same bits, for both disorders (the
    bimodal chunk takes the multispin kernel)."""
    if _ptmc.simd_path() == "baseline":
        pytest.skip("this CPU has no AVX2: only the baseline path exists here")
    paths = {"": _ptmc.simd_path(), "SPINGLASS_KERNEL_AVX2": "avx2", "SPINGLASS_KERNEL_BASELINE": "baseline"}
    results = {}
    for var, name in paths.items():
        if var:
            monkeypatch.setenv(var, "1")
        assert _ptmc.simd_path() == name
        results[name] = [chunk(n_instances=3), chunk(n_instances=3, disorder="bimodal")]
    for gauss, bimodal in results.values():
        assert_same(gauss, results["baseline"][0])
        assert_same(bimodal, results["baseline"][1])


def test_chunking_does_not_change_results():
    whole = chunk(n_instances=3, first_instance=5)
    parts = [chunk(n_instances=1, first_instance=5 + i) for i in range(3)]
    for key in whole:
        joined = whole[key] if key == "temperatures" else np.concatenate([p[key] for p in parts])
        np.testing.assert_array_equal(whole[key], joined, err_msg=key)


def test_therm_runs_share_couplings_with_full_runs():
    np.testing.assert_array_equal(chunk(sweeps=64)["couplings"], chunk(sweeps=32)["couplings"])


def test_killed_and_resumed_run_is_bit_identical(tmp_path):
    ckpt = tmp_path / "state.npz"
    script = textwrap.dedent(f"""
        from spinglass_ml.mc.schedule import temperature_grid
        from spinglass_ml.mc.simulation import simulate_chunk
        simulate_chunk(disorder="bimodal", L=6, temperatures=temperature_grid(1.05, 1.25, 12), sweeps=20000,
                       n_con=5, seed=3, first_instance=0, n_instances=4, threads=1,
                       checkpoint_path={str(ckpt)!r}, checkpoint_interval=0.0)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 60
    while not ckpt.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert ckpt.exists(), "the child never wrote a checkpoint"
    with np.load(ckpt) as z:
        resumed_from = int(z["sweeps_done"])
    assert 0 < resumed_from < 20000

    kw = dict(disorder="bimodal", L=6, temperatures=temperature_grid(1.05, 1.25, 12), sweeps=20000, n_con=5,
              seed=3, first_instance=0, n_instances=4, threads=1)  # fmt: skip
    messages = []
    resumed = simulate_chunk(**kw, checkpoint_path=ckpt, checkpoint_interval=3600.0, progress=messages.append)
    assert any("resuming" in m for m in messages)
    assert_same(resumed, simulate_chunk(**kw))


def test_checkpoint_of_another_run_is_ignored(tmp_path):
    ckpt = tmp_path / "state.npz"
    chunk(sweeps=64, checkpoint_path=ckpt, checkpoint_interval=0.0)
    messages = []
    chunk(sweeps=64, kernel="plain", checkpoint_path=ckpt, progress=messages.append)
    assert not any("resuming" in m for m in messages)  # the simd path wrote it: another chain
    other = chunk(sweeps=128, checkpoint_path=ckpt, progress=messages.append)
    assert not any("resuming" in m for m in messages)
    assert_same(other, chunk(sweeps=128))


def test_progress_reports_sweeps_and_time_left():
    messages = []
    chunk(progress=messages.append)
    assert messages and "64/64" in messages[-1] and "left" in messages[-1]


# --- validation -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kw, word",
    [
        (dict(L=1), "L"),
        (dict(temperatures=[]), "temperatures"),
        (dict(temperatures=[1.0, 0.9]), "temperatures"),
        (dict(temperatures=[0.0, 0.9]), "temperatures"),
        (dict(temperatures=[-1.0, 0.9]), "temperatures"),
        (dict(disorder="uniform"), "disorder"),
        (dict(n_con=33), "n_con"),
        (dict(n_con=0), "n_con"),
        (dict(seed=-1), "seed"),
        (dict(sweeps=1), "sweeps"),
        (dict(n_instances=0), "n_instances"),
        (dict(first_instance=-3), "first_instance"),
        (dict(threads=0), "threads"),
    ],
)
def test_invalid_arguments_name_the_argument(kw, word):
    with pytest.raises(ValueError, match=rf"^{word}"):
        chunk(**kw)


def test_temperature_grid():
    T = temperature_grid(0.8, 1.21, 20)
    assert T[0] == pytest.approx(0.8) and T[-1] == pytest.approx(1.21)
    np.testing.assert_allclose(T[1:] / T[:-1], (1.21 / 0.8) ** (1 / 19))
    np.testing.assert_allclose(np.diff(temperature_grid(1, 2, 5, "linear")), 0.25)
    with pytest.raises(ValueError, match="temperatures"):
        temperature_grid(1.2, 1.0, 5)


def test_temperature_ladder_appends_a_geometric_hot_end():
    spec = {"min": 0.8, "max": 1.21, "n": 20, "spacing": "geometric"}
    np.testing.assert_array_equal(temperature_ladder(spec), temperature_grid(0.8, 1.21, 20))
    T = temperature_ladder({**spec, "hot": {"max": 2.0, "n": 8}})
    assert T.size == 28 and T[-1] == pytest.approx(2.0)
    np.testing.assert_array_equal(T[:20], temperature_grid(0.8, 1.21, 20))
    np.testing.assert_allclose(T[20:] / T[19:-1], (2.0 / 1.21) ** (1 / 8))
    with pytest.raises(ValueError, match="temperatures.hot"):
        temperature_ladder({**spec, "hot": {"max": 1.1, "n": 4}})


def test_a_hot_end_is_simulated_but_not_stored():
    """The measured temperatures of a run on a ladder with a hot end are its first n, as run_pt returns them;
    the ladder group keeps every temperature and every swap rate; without a hot end there is no group."""
    T = temperature_grid(0.8, 2.0, 8)
    whole, kept = chunk(temperatures=T), chunk(temperatures=T, measured=5)
    for key in ("energy", "link_overlap", "q2", "q4", "qk2", "logbins/q2", "overlaps", "final_spins"):
        np.testing.assert_array_equal(kept[key], whole[key][:, :5], err_msg=key)
    np.testing.assert_array_equal(kept["swap_acceptance"], whole["swap_acceptance"][:, :4])
    np.testing.assert_array_equal(kept["ladder/swap_acceptance"], whole["swap_acceptance"])
    np.testing.assert_array_equal(kept["ladder/temperatures"], T)
    np.testing.assert_array_equal(kept["temperatures"], T[:5])
    assert not any(key.startswith("ladder/") for key in whole)
    assert set(kept) - set(whole) == {"ladder/temperatures", "ladder/swap_acceptance"}
    with pytest.raises(ValueError, match="^measured"):
        chunk(temperatures=T, measured=9)


def test_benchmark_reports_every_path_against_numpy_and_plain():
    """The benchmark's rows: numpy, plain and simd for both disorders, multispin for bimodal, at 1 and 2
    threads, each ratio the quotient of the measured times (no speed is asserted: the benchmark's job)."""
    from spinglass_ml.mc.benchmark import benchmark

    rows = benchmark(sizes=(4,), n_T=4, instances=2, seconds=0.01, repeats=1, max_threads=2)
    got = {(r["path"], r["disorder"], r["threads"]) for r in rows}
    kernels = [("plain", d) for d in ("gaussian", "bimodal")] + [("simd", d) for d in ("gaussian", "bimodal")]
    want = {(p, d, t) for p, d in kernels + [("multispin", "bimodal")] for t in (1, 2)}
    assert got == want | {("numpy", d, 1) for d in ("gaussian", "bimodal")}
    ns = {(r["path"], r["disorder"], r["threads"]): r["ns_per_attempt"] for r in rows}
    for r in rows:
        assert r["ns_per_attempt"] > 0
        assert r["speedup_vs_numpy"] == pytest.approx(ns["numpy", r["disorder"], 1] / r["ns_per_attempt"])
        if r["path"] != "numpy":
            plain = ns["plain", r["disorder"], r["threads"]]
            assert r["speedup_vs_plain"] == pytest.approx(plain / r["ns_per_attempt"])


def test_benchmark_c_loop_comparator_samples_the_same_model():
    """The benchmark's C-loop comparator (ext/ptmc_cloop.c, built with the C compiler at hand): its rows and
    ratios, and its averages of e, q_l and q^2 on 32 L = 4 samples agree with the kernel's within 4.5
    standard errors of the per-sample differences at each of 4 temperatures (it compares speed for the same
    work, so it must do the same physics; false failure about 1e-4 for a new seed). No speed is asserted."""
    from spinglass_ml.mc.benchmark import benchmark, build_cloop
    from spinglass_ml.mc.lattice import neighbour_couplings, neighbour_table

    fn, note = build_cloop()
    if fn is None:
        pytest.skip(note)
    rows = benchmark(sizes=(4,), n_T=4, instances=2, seconds=0.01, repeats=1, max_threads=2, cloop=fn)
    ns = {(r["path"], r["disorder"], r["threads"]): r["ns_per_attempt"] for r in rows}
    assert {k for k in ns if k[0] == "cloop"} == {("cloop", "gaussian", 1), ("cloop", "gaussian", 2)}
    for r in rows:
        if r["disorder"] == "gaussian" and r["path"] in ("plain", "simd"):
            expected = ns["cloop", "gaussian", r["threads"]] / r["ns_per_attempt"]
            assert r["speedup_vs_cloop"] == pytest.approx(expected)
        else:
            assert r["speedup_vs_cloop"] is None
    L, n, sweeps, T = 4, 32, 2048, temperature_grid(0.8, 1.6, 4)
    J = np.stack([instance_couplings(9, "gaussian", L, i) for i in range(n)])
    seeds = [instance_seed(9, "gaussian", L, i, STREAM_MC) for i in range(n)]
    kernel = run_pt(J, T, sweeps, 1, seeds, threads=2)
    J6 = np.ascontiguousarray([neighbour_couplings(c) for c in J], np.float32)
    nbr, betas, out = neighbour_table(L), np.ascontiguousarray(1.0 / T), np.zeros((n, 3, T.size))
    fn(n, L, T.size, sweeps, J6.ctypes.data, nbr.ctypes.data, betas.ctypes.data, 2, out.ctypes.data)
    for k, key in enumerate(("energy", "link_overlap", "q2")):
        diff = out[:, k] - kernel[key]
        assert np.all(np.abs(diff.mean(axis=0)) <= 4.5 * diff.std(axis=0, ddof=1) / np.sqrt(n)), key
