"""What one job costs: a start-up time plus work that divides over its threads, from the config and the rates.

Work is counted in the units the benchmarks measure: attempted spin flips (Monte Carlo), CNN examples
(training steps x batch; attack and validation passes), bytes of overlaps read. Jobs are identified by their
rule and wildcards only (``model`` and ``L`` of the ML and robustness rules), or, for the Monte Carlo, by the
contract path of the chunk they write (a chain rule's first output: the full run; the others, its prefix data
sets, cost no sweeps of their own), so the pricing holds for any number of jobs per rule.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from spinglass_ml.cost.plan import PlannedJob
from spinglass_ml.cost.rates import FORWARD_FRACTION, JOB_OVERHEAD, STARTUP_S, Rates
from spinglass_ml.mc.chunks import _shapes as chunk_shapes  # the contract: every dataset's dtype and shape
from spinglass_ml.mc.schedule import n_log_bins, temperature_ladder
from spinglass_ml.mc.state import LANES
from spinglass_ml.ml.conditions import parse_condition

DISORDERS = ("gaussian", "bimodal")
STAGES = ("Monte Carlo", "training", "prediction", "robustness", "analysis and figures")
RULE_STAGE = {
    "simulate": "Monte Carlo",
    "train": "training",
    "train_thermometer": "training",
    "predict": "prediction",
    "adversarial": "robustness",
    "tradeoff": "robustness",
}


# rules of the Gaussian sizes whose therm-<fraction> data sets are recorded on the way (rules/simulate.smk)
CHAIN_RULE = re.compile(r"simulate_chain_L\d+")
# the HDF5 contract's path of a chunk (spinglass_ml.mc.chunks)
CHUNK_PATH = re.compile(r"mc/(?P<disorder>\w+)/L(?P<L>\d+)/sweeps(?P<sweeps>\d+)/chunk(?P<chunk>\d+)\.h5$")


def is_simulate(rule: str) -> bool:
    """Whether a rule runs the Monte Carlo: simulate, or a chain rule."""
    return rule == "simulate" or CHAIN_RULE.fullmatch(rule) is not None


def stage_of(rule: str) -> str:
    """The stage a rule's jobs are reported under; analyses, figures, tables and targets share the last."""
    return "Monte Carlo" if is_simulate(rule) else RULE_STAGE.get(rule, STAGES[-1])


@dataclass(frozen=True)
class Price:
    """Cost of one job: ``serial_s`` seconds on one core (start-up), plus ``work_s`` core-seconds that divide
    over at most ``parallel`` threads."""

    serial_s: float
    work_s: float = 0.0
    parallel: int = 1 << 30

    def wall_s(self, threads: int) -> float:
        """Wall seconds on ``threads`` threads."""
        return self.serial_s + self.work_s / max(1, min(threads, self.parallel))


def attempts(n_instances: int, n_T: int, L: int, sweeps: int) -> int:
    """Attempted spin flips of a chunk: instances x 2 replicas x n_T temperatures x L^3 sites x sweeps."""
    return n_instances * 2 * n_T * L**3 * sweeps


def kernel_path(disorder: str, L: int, kernel: str) -> str:
    """The kernel path ``mc.kernel`` takes: multispin for bimodal couplings at L >= 3 under auto, plain when
    forced, simd otherwise."""
    if kernel == "auto" and disorder == "bimodal" and L >= 3:
        return "multispin"
    return "plain" if kernel == "plain" else "simd"


def size_entry(config: Mapping[str, Any], disorder: str, L: int) -> Mapping[str, Any]:
    """The ``mc.<disorder>.sizes`` entry of size L."""
    for size in config["mc"][disorder]["sizes"]:
        if size["L"] == L:
            return size
    raise ValueError(f"L = {L} is not configured under mc.{disorder}.sizes")


@dataclass(frozen=True)
class Chunk:
    """One simulate job's chunk: ``n_instances`` instances of size L at ``n_T`` temperatures, ``sweeps``
    sweeps, ``n_con`` snapshots per (instance, temperature); the parallel tempering simulates ``n_hot`` more
    temperatures above them (the hot end of the ladder)."""

    disorder: str
    L: int
    sweeps: int
    n_instances: int
    n_T: int
    n_con: int
    n_hot: int = 0

    @classmethod
    def of(cls, wildcards: Mapping[str, str], config: Mapping[str, Any]) -> Chunk:
        """The chunk a simulate job's wildcards (disorder, L, sweeps, chunk) name."""
        disorder, L = wildcards["disorder"], int(wildcards["L"])
        size = size_entry(config, disorder, L)
        first = int(wildcards["chunk"]) * size["chunk"]
        n = min(size["chunk"], size["instances"] - first)
        temps = config["mc"][disorder]["temperatures"]
        hot = temperature_ladder(temps).size - temps["n"]
        return cls(disorder, L, int(wildcards["sweeps"]), n, temps["n"], size["n_con"], hot)

    @property
    def n_ladder(self) -> int:
        """Temperatures the parallel tempering simulates."""
        return self.n_T + self.n_hot

    @classmethod
    def of_path(cls, path: str, config: Mapping[str, Any]) -> Chunk:
        """The chunk a Monte Carlo job writes to ``path`` (``mc/{disorder}/L{L}/sweeps{S}/chunk{k}.h5``)."""
        match = CHUNK_PATH.search(path)
        if match is None:
            raise ValueError(f"{path}: not a chunk path of the Monte Carlo contract")
        return cls.of(match.groupdict(), config)

    def nbytes(self) -> dict[str, int]:
        """Uncompressed bytes of each dataset of the chunk file (``overlaps``: n_i x n_T x n_con x L^3 int8);
        in the file ``overlaps`` is gzip-compressed, and HDF5 adds its metadata."""
        shapes = chunk_shapes(self.n_instances, self.n_T, self.n_con, self.L, n_log_bins(self.sweeps),
                              self.n_ladder)  # fmt: skip
        return {
            name: np.dtype(dtype).itemsize * int(np.prod(shape, dtype=np.int64))
            for name, (dtype, shape) in shapes.items()
        }


def price_simulate(chunk: Chunk, kernel: str, rates: Rates) -> Price:
    """Attempts at the path's ns per attempt x :data:`JOB_OVERHEAD`. The multispin path updates whole
    64-instance words (a partial word costs a full one) and threads share out words; the others share out
    instances."""
    path = kernel_path(chunk.disorder, chunk.L, kernel)
    words = math.ceil(chunk.n_instances / LANES)
    lanes = words * LANES if path == "multispin" else chunk.n_instances
    ns = rates.ns_per_attempt(path, chunk.disorder, chunk.L) * JOB_OVERHEAD[path]
    work = attempts(lanes, chunk.n_ladder, chunk.L, chunk.sweeps) * ns * 1e-9
    return Price(STARTUP_S["simulate"], work, words if path == "multispin" else chunk.n_instances)


@dataclass(frozen=True)
class Snapshots:
    """Snapshot counts of size L: ``gaussian`` all of them, ``bimodal`` the predicted ones (the first
    ``predict_instances``, all by default), ``held_out`` the Gaussian validation instances'
    (ml.validation_fraction of the instances), and the bytes of one."""

    L: int
    gaussian: int
    bimodal: int
    held_out: int

    @classmethod
    def of(cls, config: Mapping[str, Any], L: int) -> Snapshots:
        """The snapshot counts of size L of the config."""
        count = {}
        for disorder in DISORDERS:  # a Gaussian-only size (trade-off stage) has no bimodal snapshots
            sizes, n_T = config["mc"][disorder]["sizes"], config["mc"][disorder]["temperatures"]["n"]
            size = next((s for s in sizes if s["L"] == L), {"instances": 0, "n_con": 0})
            instances = size.get("predict_instances") or size["instances"]  # the predicted ones
            count[disorder] = (instances, n_T * size["n_con"])
        held = round(config["ml"]["validation_fraction"] * count["gaussian"][0]) * count["gaussian"][1]
        return cls(L, math.prod(count["gaussian"]), math.prod(count["bimodal"]), held)

    @property
    def example_bytes(self) -> int:
        """Bytes of one int8 snapshot."""
        return self.L**3


def _training_work(
    steps: int, batch: int, passes: int, validations: int, data: Snapshots, cache_mb: float, rates: Rates
) -> float:
    """Core-seconds of ``steps`` training steps of ``batch`` examples, each example ``passes`` forward and
    backward passes (1 + the attack's steps for adversarial training), and ``validations`` forward passes;
    the Gaussian data are read once if they fit in ``cache_mb`` MiB, else at every step."""
    examples = steps * batch
    data_bytes = data.gaussian * data.example_bytes
    read = data_bytes if data_bytes <= cache_mb * 2**20 else (examples + validations) * data.example_bytes
    forward = FORWARD_FRACTION * validations
    return (examples * passes + forward) * rates.example_s(data.L) + read * rates.byte_s()


def price_train(condition: str, L: int, config: Mapping[str, Any], rates: Rates) -> Price:
    """A CNN: ml.training's iterations x batch_size (an adv-<epsilon> model: robustness.adversarial.training's
    iterations, each example also attacked with its steps), validated every log_every steps."""
    training, data = config["ml"]["training"], Snapshots.of(config, L)
    steps, passes = training["iterations"], 1
    if parse_condition(condition).kind == "adv":
        adversarial = config["robustness"]["adversarial"]["training"]
        steps, passes = adversarial["iterations"], adversarial["steps"] + 1
    per_log = min(training["validation_examples"] or data.held_out, data.held_out)
    validations = (steps // training["log_every"]) * per_log
    work = _training_work(
        steps, training["batch_size"], passes, validations, data, training["cache_mb"], rates
    )
    return Price(STARTUP_S["cnn"], work)


def price_train_thermometer(L: int, config: Mapping[str, Any], rates: Rates) -> Price:
    """The thermometer: reads the Gaussian snapshots once; the logistic regression on their features is not
    priced."""
    data = Snapshots.of(config, L)
    return Price(STARTUP_S["thermometer"], data.gaussian * data.example_bytes * rates.byte_s())


def price_predict(condition: str, L: int, config: Mapping[str, Any], rates: Rates) -> Price:
    """Every bimodal snapshot and the held-out Gaussian ones, read once and (a CNN) passed forward."""
    data = Snapshots.of(config, L)
    n = data.bimodal + data.held_out
    read = n * data.example_bytes * rates.byte_s()
    if parse_condition(condition).kind == "thermometer":
        return Price(STARTUP_S["thermometer"], read)
    return Price(STARTUP_S["cnn_predict"], read + n * FORWARD_FRACTION * rates.example_s(L))


def price_adversarial(L: int, n_models: int, config: Mapping[str, Any], rates: Rates) -> Price:
    """Per model, on min(test_examples, held-out) examples: FGSM (1 gradient) and PGD with and without random
    start and MI-FGSM (``steps`` each) at every epsilon, up to ``max_flips`` greedy flips (1 gradient each);
    symmetry_examples forward passes under each of the L^3 + 48 symmetry images."""
    settings, data = config["robustness"]["adversarial"]["evaluation"], Snapshots.of(config, L)
    test = min(settings["test_examples"], data.held_out)
    gradients = test * (len(settings["epsilons"]) * (1 + 3 * settings["steps"]) + settings["max_flips"])
    forward = FORWARD_FRACTION * min(settings["symmetry_examples"], test) * (L**3 + 48)
    read = data.held_out * data.example_bytes * rates.byte_s()
    return Price(STARTUP_S["cnn"], n_models * (gradients + forward) * rates.example_s(L) + read)


def price_tradeoff(L: int, config: Mapping[str, Any], rates: Rates) -> Price:
    """A clean and an adversarially trained model (each step also attacked with adversarial_training's
    steps) of epochs x steps_per_epoch steps; after every epoch PGD in input and feature space on
    test_examples and the packet moments of ``samples`` gradients per space."""
    unc, training = config["robustness"]["uncertainty"], config["ml"]["training"]
    data, steps = Snapshots.of(config, L), unc["epochs"] * unc["steps_per_epoch"]
    work = sum(
        _training_work(steps, training["batch_size"], passes, 0, data, training["cache_mb"], rates)
        for passes in (1, unc["adversarial_training"]["steps"] + 1)  # the clean and the adversarial model
    )
    per_epoch = unc["test_examples"] * (2 * unc["attack"]["steps"] + 3) + 2 * unc["samples"]
    probes = unc["epochs"] * 2 * per_epoch
    return Price(STARTUP_S["tradeoff"], work + probes * rates.example_s(L))


# rules of seconds, priced as a constant each by the prefix of their name
SMALL_RULES = {"fig": "figure", "table": "table", "analyze": "analysis", "equilibration": "analysis"}


def is_priced(rule: str, outputs: int) -> bool:
    """Whether the model knows the rule: one of :data:`RULE_STAGE` or :data:`SMALL_RULES`, or a target (no
    outputs). Others are priced as an analysis, and the estimate names them."""
    return is_simulate(rule) or rule in RULE_STAGE or rule.startswith(tuple(SMALL_RULES)) or not outputs


def price_small(rule: str, outputs: int) -> Price:
    """Analyses, figures, tables (and rules the model does not know): a constant each; targets: nothing."""
    if not outputs:
        return Price(0.0)
    kind = next((k for prefix, k in SMALL_RULES.items() if rule.startswith(prefix)), "analysis")
    return Price(STARTUP_S[kind])


def price_job(job: PlannedJob, config: Mapping[str, Any], rates: Rates) -> Price:
    """The price of one planned job (rules other than those of :data:`RULE_STAGE` by :func:`price_small`)."""
    wc = job.wildcards
    condition = wc.get("model", "").partition("/")[0]  # model k of a seed ensemble: <condition>/seed<k>
    if is_simulate(job.rule):
        return price_simulate(Chunk.of_path(job.outputs[0], config), config["mc"]["kernel"], rates)
    if job.rule == "train":
        return price_train(condition, int(wc["L"]), config, rates)
    if job.rule == "train_thermometer":
        return price_train_thermometer(int(wc["L"]), config, rates)
    if job.rule == "predict":
        return price_predict(condition, int(wc["L"]), config, rates)
    if job.rule == "adversarial":
        models = sum(path.endswith(".keras") for path in job.inputs)
        return price_adversarial(int(wc["L"]), models, config, rates)
    if job.rule == "tradeoff":
        return price_tradeoff(int(wc["L"]), config, rates)
    return price_small(job.rule, len(job.outputs))
