"""The cost estimator: its formulas against hand-computed numbers, the jobs Snakemake plans for a hand-made
config, and the estimate for config/tiny.yaml against a real run of it (tiny_benchmarks.tsv)."""

import csv
import json
from pathlib import Path

import h5py
import numpy as np
import pytest
import yaml

from spinglass_ml.cost.__main__ import main
from spinglass_ml.cost.plan import PlannedJob, plan_study
from spinglass_ml.cost.pricing import (
    STAGES,
    Chunk,
    Price,
    attempts,
    is_priced,
    is_simulate,
    kernel_path,
    price_simulate,
    price_small,
    price_train,
    stage_of,
)
from spinglass_ml.cost.rates import Rates, load_rates
from spinglass_ml.cost.report import PricedJob, estimate, price_plan, wall_s
from spinglass_ml.mc.chunks import write_synthetic_chunk

REPO = Path(__file__).resolve().parents[2]
TINY = REPO / "config" / "tiny.yaml"
# per stage, estimated core-seconds / measured job seconds of the tiny run must lie within [1/F, F]; measured
# 0.91 (training) to 1.02 (Monte Carlo, analyses). The start-up constants are taken from that run, so this
# checks the job accounting, not the per-flip and per-example rates (docs/performance.md)
TINY_FACTOR = 1.5
# the Monte Carlo of the workstation study on the AVX2 machine of docs/benchmarks/, priced with that machine's
# benchmark files, per data set within [1/F, F] of the jobs' wall seconds x threads: measured 0.68 (bimodal
# L = 4) to 1.19 (Gaussian L = 6)
WORKSTATION = REPO / "config" / "workstation.yaml"
AVX2_RATES = (
    REPO / "docs/benchmarks/2026-12-07-epyc-avx2-mc.json",
    REPO / "docs/benchmarks/2026-12-07-epyc-avx2-train.json",
)
WORKSTATION_FACTOR = 1.5
# data sets whose jobs take under 10 core-seconds each: start-up and writing the gzip-compressed chunk, which
# the whole-job factors do not scale with, are a large part of them (bimodal L = 4: 0.63 of the measured time)
SHORT_JOB_S, SHORT_JOB_FACTOR = 10.0, 2.0


@pytest.fixture(scope="module")
def tiny_plan():
    return plan_study(TINY, REPO / "Snakefile")


def test_attempts_formula():
    # 50 instances x 2 replicas x 20 temperatures x 6^3 sites x 32768 sweeps
    assert attempts(50, 20, 6, 32768) == 14_155_776_000


def test_kernel_path_follows_mc_kernel():
    assert kernel_path("bimodal", 4, "auto") == "multispin"
    assert kernel_path("bimodal", 2, "auto") == "simd"  # multispin needs L >= 3
    assert kernel_path("gaussian", 8, "auto") == "simd"
    assert kernel_path("bimodal", 8, "simd") == "simd"
    assert kernel_path("gaussian", 8, "plain") == "plain"


def test_simulate_price_by_hand():
    rates = Rates()
    gauss = price_simulate(Chunk("gaussian", 6, 32768, 50, 20, 20), "auto", rates)
    work = 14_155_776_000 * 0.843e-9 * 1.04  # simd at L = 6, x the whole-job overhead
    assert gauss.work_s == pytest.approx(work) and gauss.serial_s == 0.17
    assert gauss.wall_s(2) == pytest.approx(0.17 + work / 2)
    # 100 bimodal instances fill two 64-lane words: 128 lanes x 2 x 16 x 216 x 8192 attempts, <= 2 threads
    bim = price_simulate(Chunk("bimodal", 6, 8192, 100, 16, 20), "auto", rates)
    assert bim.work_s == pytest.approx(7_247_757_312 * 0.330e-9 * 1.19)
    assert bim.wall_s(8) == pytest.approx(0.17 + bim.work_s / 2)
    # a hot end of 10 more temperatures: the attempts of 30, the stored data of 20
    hot = Chunk("gaussian", 6, 32768, 50, 20, 20, n_hot=10)
    assert price_simulate(hot, "auto", rates).work_s == pytest.approx(1.5 * work)
    assert hot.nbytes()["overlaps"] == Chunk("gaussian", 6, 32768, 50, 20, 20).nbytes()["overlaps"]
    assert hot.nbytes()["ladder/swap_acceptance"] == 50 * 29 * 8
    # L = 12 is as far from 8 as from 16: the larger one's figure
    assert rates.ns_per_attempt("multispin", "bimodal", 12) == 0.242


def test_train_price_by_hand(tiny_plan):
    rates, config = Rates(), tiny_plan.config
    # tiny, Gaussian L = 4: 4 instances x 4 temperatures x 4 snapshots = 64 examples of 64 bytes, all cached;
    # round(0.4 x 4) = 2 held-out instances = 32 validation examples at each of 4 // 2 = 2 log steps
    clean = price_train("clean", 4, config, rates)
    expected = (4 * 16 + 2 * 32 / 3) * rates.example_s(4) + 64 * 64 * rates.byte_s()
    assert clean.serial_s == 5.0 and clean.work_s == pytest.approx(expected)
    # adv-0.5: robustness.adversarial.training's 2 steps, each example attacked with 1 PGD step, 1 log step
    adv = price_train("adv-0.5", 4, config, rates)
    expected = (2 * 16 * 2 + 32 / 3) * rates.example_s(4) + 64 * 64 * rates.byte_s()
    assert adv.work_s == pytest.approx(expected)


def test_rules_the_model_does_not_know_are_named():
    assert is_priced("fig1", 2) and is_priced("analyze_physics", 1) and is_priced("all", 0)
    assert not is_priced("train_ensemble", 3)
    assert price_small("train_ensemble", 3).serial_s == price_small("analyze", 1).serial_s


def test_chunk_bytes_by_hand_and_against_a_written_file(tmp_path):
    # 3 instances, 4 temperatures, 5 snapshots, L = 2, 64 sweeps (6 log bins): overlaps 3*4*5*8 = 480 int8,
    # final spins 3*4*2*8 = 192, couplings 3*3*8 float32 = 288, five (n_i, n_T) float64 = 480, three log-bin
    # arrays (e, q_l, q^2) 3*3*4*6*8 = 1728, swap acceptance 3*3*8 = 72, temperatures 4*8 = 32
    sizes = Chunk("gaussian", 2, 64, 3, 4, 5).nbytes()
    assert sizes["overlaps"] == 480 and sum(sizes.values()) == 3272
    q = np.ones((3, 4, 5, 2, 2, 2), np.int8)
    path = write_synthetic_chunk(tmp_path / "c.h5", q, np.linspace(1, 2, 4), 0)  # one log bin
    stored = {}

    def record(name, obj):
        if isinstance(obj, h5py.Dataset):
            stored[name] = obj.nbytes

    with h5py.File(path) as f:
        f.visititems(record)
    assert stored == Chunk("gaussian", 2, 2, 3, 4, 5).nbytes()  # 2 sweeps: one log bin


def test_wall_time_packs_jobs_on_the_cores():
    def job(threads, price):
        return PricedJob(PlannedJob("train", {}, threads, (), ("out",), None, False), price)

    jobs = [job(1, Price(10.0)), job(1, Price(10.0)), job(2, Price(0.0, 8.0))]
    assert wall_s(jobs, 2) == pytest.approx(14.0)  # (10 + 10 + 2 x 4) / 2
    assert wall_s(jobs, 1) == pytest.approx(28.0)  # the 2-thread job capped at 1 thread: 8 s
    assert wall_s(jobs[:1], 4) == pytest.approx(10.0)  # one job: its own wall time


def test_rates_from_benchmark_files(tmp_path):
    mc = tmp_path / "mc.json"
    mc.write_text(
        json.dumps([{"path": "simd", "disorder": "gaussian", "L": 8, "threads": 1, "ns_per_attempt": 2.0}])
    )
    train = tmp_path / "train.json"
    train.write_text(json.dumps([{"L": 8, "streaming": 1000.0, "cached": 2000.0, "cpus": 4}]))
    rates = load_rates(mc, train)
    assert rates.ns_per_attempt("simd", "gaussian", 16) == 2.0
    with pytest.raises(ValueError, match="multispin"):
        rates.ns_per_attempt("multispin", "bimodal", 8)
    assert rates.example_s(16) == pytest.approx(4 / 2000 * 8)  # one size: proportional to L^3
    assert rates.byte_s() == pytest.approx(4 * (1 / 1000 - 1 / 2000) / 512)
    default = Rates()  # two sizes: a + b L^3 through both
    assert default.example_s(8) == pytest.approx(2 / 93722) and default.example_s(16) == pytest.approx(
        2 / 13235
    )


def test_jobs_of_a_hand_made_config(tmp_path):
    config = yaml.safe_load(TINY.read_text())
    config["run"] = {"name": "costtest"}
    config["mc"]["threads"] = 4
    config["mc"]["gaussian"]["sizes"] = [
        {"L": 2, "instances": 5, "sweeps": 64, "n_con": 4, "chunk": 2},  # 3 chunks
        {"L": 3, "instances": 4, "sweeps": 64, "n_con": 4, "chunk": 4},  # 1 chunk
        {"L": 4, "instances": 2, "sweeps": 64, "n_con": 4, "chunk": 2},  # 1 chunk, no bimodal data: no model
    ]
    config["mc"]["bimodal"]["sizes"] = [
        {"L": 2, "instances": 3, "sweeps": 64, "n_con": 4, "chunk": 3},  # 1 chunk
        {"L": 3, "instances": 6, "sweeps": 64, "n_con": 4, "chunk": 4},  # 2 chunks, multispin
    ]
    config["ml"]["conditions"] = ["clean", "flip-0.1", "therm-0.5", "thermometer"]
    config["ml"]["seeds"], config["ml"]["condition_seeds"] = 1, {"clean": 2}  # clean's model 1 too
    config["figures"] = {"fig2": "flip-0.1", "fig3": "therm-0.5"}
    path = tmp_path / "hand.yaml"
    path.write_text(yaml.safe_dump(config))
    plan = plan_study(path, REPO / "Snakefile")
    count = {}
    for job in plan.jobs:
        count[job.rule] = count.get(job.rule, 0) + 1
    # one chain job per Gaussian chunk (3 + 1 + 1), each writing the chunk at 64 sweeps and therm-0.5's at 32;
    # simulate: the 1 + 2 bimodal chunks
    assert (count["simulate_chain_L2"], count["simulate_chain_L3"], count["simulate_chain_L4"]) == (3, 1, 1)
    assert count["simulate"] == 3
    chain = next(j for j in plan.jobs if j.rule == "simulate_chain_L3")
    assert [Path(p).parent.name for p in chain.outputs] == ["sweeps64", "sweeps32"]
    # 4 CNN models (clean's two, flip-0.1, therm-0.5) and the thermometer at the 2 sizes with both disorders;
    # one analysis per model, one ensemble per condition; adversarial per such size, tradeoff per Gaussian
    # size
    assert (count["train"], count["train_thermometer"], count["predict"]) == (8, 2, 10)
    assert (count["analyze"], count["analyze_ensemble"]) == (5, 4)
    assert (count["adversarial"], count["tradeoff"]) == (2, 3)
    assert sum(not job.local for job in plan.jobs) == 8 + 8 + 2 + 10 + 2 + 3
    simulate = [
        (Chunk.of_path(j.outputs[0], plan.config), j.threads) for j in plan.jobs if is_simulate(j.rule)
    ]
    threads = {(c.disorder, str(c.L)): t for c, t in simulate}
    assert threads == {("gaussian", "2"): 4, ("gaussian", "3"): 4, ("gaussian", "4"): 4, ("bimodal", "2"): 4,
                       ("bimodal", "3"): 1}  # fmt: skip
    est = estimate(plan, Rates(), cores=2)
    assert est["unknown_rules"] == [] and est["total"]["jobs"] == len(plan.jobs)
    assert est["total"]["core_hours"] > 0
    # the therm-0.5 data sets cost no sweeps of their own, but their disk counts
    rows = {(d["disorder"], d["L"], d["sweeps"]): d for d in est["monte_carlo"]}
    for L in (2, 3, 4):
        therm, full = rows[("gaussian", L, 32)], rows[("gaussian", L, 64)]
        assert therm["jobs"] == 0 and therm["attempts"] == 0 and therm["core_hours"] == 0
        assert full["jobs"] > 0 and therm["overlap_bytes"] == full["overlap_bytes"] > 0


def _tiny_measured() -> dict[str, float]:
    with open(Path(__file__).with_name("tiny_benchmarks.tsv")) as fh:
        rows = csv.DictReader((line for line in fh if not line.startswith("#")), delimiter="\t")
        return {row["benchmark"]: float(row["s"]) for row in rows}


def test_tiny_estimate_against_the_measured_run(tiny_plan):
    measured = _tiny_measured()
    prefix = "results/tiny/benchmarks/"
    benchmarked = [j for j in price_plan(tiny_plan, Rates()) if j.job.benchmark]
    assert {j.job.benchmark.removeprefix(prefix) for j in benchmarked} == set(measured)
    for stage in STAGES:
        jobs = [j for j in benchmarked if stage_of(j.job.rule) == stage]
        assert all(j.job.threads == 1 for j in jobs)  # so job seconds are core-seconds
        estimated = sum(j.core_s() for j in jobs)
        observed = sum(measured[j.job.benchmark.removeprefix(prefix)] for j in jobs)
        assert 1 / TINY_FACTOR < estimated / observed < TINY_FACTOR, (stage, estimated, observed)


def test_workstation_monte_carlo_at_the_rates_of_the_machine_it_ran_on():
    with open(Path(__file__).with_name("workstation_mc_benchmarks.tsv")) as fh:
        rows = csv.DictReader((line for line in fh if not line.startswith("#")), delimiter="\t")
        measured = {row["benchmark"]: float(row["s"]) for row in rows}
    prefix = "results/workstation/benchmarks/"
    priced = {
        j.job.benchmark.removeprefix(prefix): j
        for j in price_plan(plan_study(WORKSTATION, REPO / "Snakefile"), load_rates(*AVX2_RATES))
        if j.job.benchmark and j.job.benchmark.removeprefix(prefix) in measured
    }
    assert set(priced) == set(measured)  # every full-run chunk of the study, as planned today
    for data_set in {path.rsplit("/", 1)[0] for path in measured}:
        jobs = [path for path in measured if path.startswith(data_set + "/")]
        estimated = sum(priced[path].core_s() for path in jobs)
        observed = sum(measured[path] * priced[path].job.threads for path in jobs)
        factor = SHORT_JOB_FACTOR if estimated / len(jobs) < SHORT_JOB_S else WORKSTATION_FACTOR
        assert 1 / factor < estimated / observed < factor, (
            data_set,
            estimated,
            observed,
        )


def test_an_overlay_is_priced_merged_over_its_config(tiny_plan, tmp_path):
    """--configfile A B as snakemake merges them: tiny with a third clean model trains it at both sizes."""
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text("ml:\n  condition_seeds: {clean: 3}\n")
    merged = plan_study([TINY, overlay], REPO / "Snakefile")
    assert merged.config["ml"]["condition_seeds"] == {"adv-0.1": 1, "clean": 3, "flip-0.1": 2}  # merged

    def trained(plan):
        return sorted(j.wildcards["model"] for j in plan.jobs if j.rule == "train")

    added = trained(merged)
    for model in trained(tiny_plan):
        added.remove(model)
    assert added == ["clean/seed2", "clean/seed2"]  # L = 2 and 4


def test_cli_json_for_tiny(tiny_plan, capsys):
    main(["--configfile", str(TINY), "--snakefile", str(REPO / "Snakefile"), "--cores", "2", "--json"])
    est = json.loads(capsys.readouterr().out)
    assert [s["stage"] for s in est["stages"]] == list(STAGES)
    assert est["total"]["jobs"] == sum(s["jobs"] for s in est["stages"]) == len(tiny_plan.jobs)
    assert est["total"]["slurm_jobs"] == sum(not j.local for j in tiny_plan.jobs)
    assert next(s for s in est["stages"] if s["stage"] == "analysis and figures")["slurm_jobs"] == 0
    # overlaps: Gaussian 5 x 4 x 4 x 2^3 (L = 2) + 4 x 4 x 4 x 4^3 (L = 4) at 64 sweeps and again at
    # therm-0.5's 32, bimodal the same once
    assert est["disk"]["overlap_bytes"] == 3 * (640 + 4096)
    assert est["total"]["wall_hours"] >= est["total"]["core_hours"] / 2 * (
        1 - 1e-12
    )  # at best all cores busy
