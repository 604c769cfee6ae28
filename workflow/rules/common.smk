"""Config validation, wildcard constraints and path helpers. Rules live in the other .smk files."""

import math
from pathlib import Path
from types import SimpleNamespace

import jsonschema
import yaml
from snakemake.exceptions import WorkflowError
from snakemake.io import IOFile
from spinglass_ml.mc.chunks import FORMAT_VERSION
from spinglass_ml.mc.prefixes import chainable
from spinglass_ml.mc.schedule import temperature_ladder
from spinglass_ml.mc.simulation import CHAIN_VERSION
from spinglass_ml.ml.conditions import label_threshold, parse_condition, training_sweeps
from spinglass_ml.provenance import code_digest

DISORDERS = ("gaussian", "bimodal")


# ---------------------------------------------------------------- config validation
def _key_path(path):
    """Dotted key path of a config value, e.g. mc.gaussian.sizes[1].sweeps."""
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


def _messages(error):
    """One line per offending key; unknown and missing keys are named themselves, not by their parent."""
    path = list(error.absolute_path)
    if error.validator == "additionalProperties":
        allowed = list(error.schema.get("properties", {}))
        return [
            f"config key '{_key_path(path + [key])}': unknown key (allowed: {', '.join(allowed)})"
            for key in error.instance
            if key not in allowed
        ]
    if error.validator == "required":
        return [
            f"config key '{_key_path(path + [key])}': required but missing"
            for key in error.validator_value
            if key not in error.instance
        ]
    return [f"config key '{_key_path(path)}': {error.message}"]


def _fill_defaults(validator_class):
    """Validator that also writes schema defaults into the config (jsonschema FAQ recipe)."""
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for key, sub in properties.items():
                if "default" in sub:
                    instance.setdefault(key, sub["default"])
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


def ml_sizes_of(config):
    """Linear sizes with both training (Gaussian) and prediction (bimodal) data: one model per condition."""
    bimodal = {size["L"] for size in config["mc"]["bimodal"]["sizes"] if not size["physics_only"]}
    return [size["L"] for size in config["mc"]["gaussian"]["sizes"] if size["L"] in bimodal]


def validate_config(config, schema_path):
    """Check `config` against the schema and the cross-field rules; fill defaults in place.

    Raises ValueError naming every offending key path, so a bad config fails before any job is planned.
    """
    schema = yaml.safe_load(Path(schema_path).read_text())
    validator = _fill_defaults(jsonschema.Draft202012Validator)(schema)
    problems = [line for error in validator.iter_errors(config) for line in _messages(error)]
    if not problems:  # the semantic checks assume the types the schema guarantees
        for disorder in DISORDERS:
            ens = config["mc"][disorder]
            temps = ens["temperatures"]
            if temps["min"] >= temps["max"]:
                problems.append(
                    f"config key 'mc.{disorder}.temperatures.min': {temps['min']} must be below "
                    f"mc.{disorder}.temperatures.max = {temps['max']}"
                )
            if temps.get("hot") and temps["hot"]["max"] <= temps["max"]:
                problems.append(
                    f"config key 'mc.{disorder}.temperatures.hot.max': {temps['hot']['max']} must be above "
                    f"mc.{disorder}.temperatures.max = {temps['max']}"
                )
            if temps["n"] + (temps["hot"]["n"] if temps.get("hot") else 0) > 256:
                problems.append(f"config key 'mc.{disorder}.temperatures.hot.n': n + hot.n exceeds 256")
            seen = set()
            for i, size in enumerate(ens["sizes"]):
                key = f"mc.{disorder}.sizes[{i}]"
                if size["L"] in seen:
                    problems.append(f"config key '{key}.L': L = {size['L']} appears twice")
                seen.add(size["L"])
                # snapshots are taken in the measurement window, the last sweeps // 2 sweeps
                if size["n_con"] > size["sweeps"] // 2:
                    problems.append(
                        f"config key '{key}.n_con': {size['n_con']} snapshots do not fit in the measurement "
                        f"window of sweeps // 2 = {size['sweeps'] // 2} sweeps"
                    )
        training = config["ml"]["training"]
        if training["iterations"] % training["log_every"]:
            problems.append(
                f"config key 'ml.training.iterations': {training['iterations']} is not a multiple of "
                f"ml.training.log_every = {training['log_every']}"
            )
        for i, name in enumerate(config["ml"]["conditions"]):
            for size in config["mc"]["gaussian"]["sizes"]:
                n_meas = training_sweeps(parse_condition(name), size["sweeps"]) // 2
                if size["n_con"] > n_meas:
                    problems.append(
                        f"config key 'ml.conditions[{i}]': {name} trains L = {size['L']} on data whose "
                        f"measurement window ({n_meas} sweeps) cannot hold n_con = {size['n_con']} snapshots"
                    )
        for disorder, lim in config["analysis"]["window"].items():
            if lim["min"] is not None and lim["max"] is not None and lim["min"] >= lim["max"]:
                problems.append(
                    f"config key 'analysis.window.{disorder}.min': {lim['min']} must be below "
                    f"analysis.window.{disorder}.max = {lim['max']}"
                )
        gauss = config["mc"]["gaussian"]["temperatures"]
        threshold = config["ml"]["threshold"]
        if not gauss["min"] < threshold < gauss["max"]:
            problems.append(
                f"config key 'ml.threshold': {threshold} must lie inside the Gaussian temperatures "
                f"mc.gaussian.temperatures = [{gauss['min']}, {gauss['max']}], or one class has no examples"
            )
        for i, size in enumerate(config["mc"]["bimodal"]["sizes"]):
            if not size["physics_only"] and size["L"] not in {
                s["L"] for s in config["mc"]["gaussian"]["sizes"]
            }:
                problems.append(
                    f"config key 'mc.bimodal.sizes[{i}].L': L = {size['L']} has no Gaussian training data "
                    "(mc.gaussian.sizes), so no model predicts it; set physics_only: true to simulate it for "
                    "the physics reference alone"
                )
        for i, size in enumerate(config["mc"]["bimodal"]["sizes"]):
            n = size["predict_instances"]
            if n is not None and (n > size["instances"] or (n % size["chunk"] and n != size["instances"])):
                problems.append(
                    f"config key 'mc.bimodal.sizes[{i}].predict_instances': {n} must be at most instances = "
                    f"{size['instances']} and a multiple of chunk = {size['chunk']} (whole chunks are predicted)"
                )
        for i, size in enumerate(config["mc"]["gaussian"]["sizes"]):
            if size["predict_instances"] is not None:
                problems.append(
                    f"config key 'mc.gaussian.sizes[{i}].predict_instances': bimodal sizes only (every held-out "
                    "Gaussian instance is predicted)"
                )
            if size["physics_only"]:
                problems.append(
                    f"config key 'mc.gaussian.sizes[{i}].physics_only': bimodal sizes only (Gaussian sizes are "
                    "the training data)"
                )
        if len(ml_sizes_of(config)) < 2:
            problems.append(
                "config key 'mc.bimodal.sizes': finite-size scaling needs at least two sizes with both "
                f"Gaussian and bimodal data, found {ml_sizes_of(config)}"
            )
        conditions = config["ml"]["conditions"]
        for i, name in enumerate(conditions):
            condition = parse_condition(name)
            if (
                condition.kind in ("threshold", "thermometer")
                and condition.value is not None
                and not (gauss["min"] < condition.value < gauss["max"])
            ):
                problems.append(
                    f"config key 'ml.conditions[{i}]': {name} labels by a temperature outside the Gaussian "
                    f"temperatures mc.gaussian.temperatures = [{gauss['min']}, {gauss['max']}]"
                )
        seeds = config["ml"]["condition_seeds"]
        for name, count in seeds.items():
            if name in conditions and parse_condition(name).kind == "thermometer" and count != 1:
                problems.append(
                    f"config key 'ml.condition_seeds.{name}': the thermometer is a deterministic fit (no "
                    f"training randomness), so it has one model, not {count}"
                )
        clean_seeds = seeds.get("clean", config["ml"]["seeds"])
        for name in conditions:
            if (
                parse_condition(name).kind != "thermometer"
                and seeds.get(name, config["ml"]["seeds"]) > clean_seeds
            ):
                problems.append(
                    f"config key 'ml.condition_seeds.{name}': {seeds.get(name, config['ml']['seeds'])} models, "
                    f"more than clean's {clean_seeds}: model k of every condition is paired with model k of clean"
                )
        if "clean" not in conditions:
            problems.append(
                "config key 'ml.conditions': must include clean (Fig. 1 and the reference of every poisoned run)"
            )
        for key in ("fig2", "fig3"):
            if config["figures"][key] not in conditions:
                problems.append(
                    f"config key 'figures.{key}': {config['figures'][key]} is not one of ml.conditions "
                    f"({', '.join(conditions)})"
                )
        unc = config["robustness"]["uncertainty"]
        if unc["samples"] % unc["blocks"]:
            problems.append(
                f"config key 'robustness.uncertainty.samples': {unc['samples']} is not a multiple of "
                f"robustness.uncertainty.blocks = {unc['blocks']}"
            )
        adv = config["robustness"]["adversarial"]["training"]
        if adv["iterations"] % training["log_every"]:
            problems.append(
                f"config key 'robustness.adversarial.training.iterations': {adv['iterations']} is not a "
                f"multiple of ml.training.log_every = {training['log_every']}"
            )
    if problems:
        raise ValueError("invalid configuration:\n  " + "\n  ".join(problems))


validate_config(config, Path(workflow.current_basedir) / "../schemas/config.schema.yaml")

# Every output, log and benchmark of the run: results/, or results/<run.name>/ for a named run, so that runs of
# different configs in one checkout never share a file.
RESULTS = f"results/{config['run']['name']}" if config["run"]["name"] else "results"


def results(path):
    """`path` below the run's results folder: results/<path>, or results/<run.name>/<path>."""
    return f"{RESULTS}/{path}"


CNN_CONDITION = r"clean|flip-[0-9.]+|therm-[0-9.]+|adv-[0-9.]+|threshold-[0-9.]+"
THERMOMETER_CONDITION = r"thermometer(-[0-9.]+)?"
CNN_MODEL = f"({CNN_CONDITION})(/seed[1-9][0-9]*)?"  # model k >= 1 of a seed ensemble: <condition>/seed<k>


wildcard_constraints:
    disorder="|".join(DISORDERS),
    L=r"\d+",
    sweeps=r"\d+",
    chunk=r"\d+",
    condition=f"{CNN_CONDITION}|{THERMOMETER_CONDITION}",
    model=f"{CNN_MODEL}|{THERMOMETER_CONDITION}",


# ---------------------------------------------------------------- helpers
def script_code(name):
    """Params value of a rule: the digest of the code its script runs (the script and every package module it
    imports, as installed; docstrings, comments and formatting excluded). A change of that code reruns the
    rule; moving the checkout, or a change elsewhere, does not."""
    return code_digest(Path(workflow.basedir) / "workflow" / "scripts" / f"{name}.py")


def size_entry(disorder, L):
    """The config entry of linear size L for the given disorder."""
    for size in config["mc"][disorder]["sizes"]:
        if size["L"] == int(L):
            return size
    raise ValueError(f"L = {L} is not configured under mc.{disorder}.sizes")


def n_chunks(size):
    """Chunks of a size entry; the last one holds the remainder when chunk does not divide instances."""
    return math.ceil(size["instances"] / size["chunk"])


def size_chunks(disorder, size, sweeps):
    """Chunk files of one size entry simulated with the given sweeps."""
    return [f"{RESULTS}/mc/{disorder}/L{size['L']}/sweeps{sweeps}/chunk{k}.h5" for k in range(n_chunks(size))]


def mc_chunks(disorder):
    """Every chunk file of the configured sizes of `disorder`, at the configured sweeps."""
    return [
        p for size in config["mc"][disorder]["sizes"] for p in size_chunks(disorder, size, size["sweeps"])
    ]


def ml_sizes():
    """Linear sizes with both training (Gaussian) and prediction (bimodal) data: one model per condition."""
    return ml_sizes_of(config)


def n_seeds(condition):
    """Models of a condition: ml.condition_seeds, else ml.seeds; 1 for the (deterministic) thermometer."""
    if parse_condition(condition).kind == "thermometer":
        return 1
    return config["ml"]["condition_seeds"].get(condition, config["ml"]["seeds"])


def model_name(condition, k):
    """The path part of model k of a condition: <condition> for model 0 (a one-seed study's paths), else
    <condition>/seed<k>."""
    return condition if k == 0 else f"{condition}/seed{k}"


def model_names(condition):
    """Every model of a condition, in seed order."""
    return [model_name(condition, k) for k in range(n_seeds(condition))]


def split_model(model):
    """(condition, k) of a model name (the {model} wildcard)."""
    condition, _, seed = model.partition("/")
    return condition, int(seed.removeprefix("seed") or 0)


def model_file(model, L):
    """The model file of (model, L): the CNN's .keras file, or the thermometer's .thermometer.json."""
    kind = parse_condition(split_model(model)[0]).kind
    suffix = "thermometer.json" if kind == "thermometer" else "keras"
    return f"{RESULTS}/models/{model}/L{L}.{suffix}"


def model_input(wildcards):
    """Input function: the model file of the wildcards' (model, L)."""
    return model_file(wildcards.model, wildcards.L)


def every_model():
    """Every model name of the study, condition by condition in config order."""
    return [m for c in config["ml"]["conditions"] for m in model_names(c)]


def ml_outputs(pattern):
    """`pattern` filled in for every (model, L) of the study."""
    return [pattern.format(model=m, L=L) for m in every_model() for L in ml_sizes()]


def seed_analyses(condition):
    """The analysis files of every model of a condition (model 0's is analysis/<condition>.json)."""
    return [f"{RESULTS}/analysis/{m}.json" for m in model_names(condition)]


def gaussian_data_sets():
    """Every Gaussian chunk of the study: the configured sweeps and each therm-<fraction>'s reduced sweeps."""
    conditions = [parse_condition(c) for c in config["ml"]["conditions"]]
    return sorted(
        {
            path
            for size in config["mc"]["gaussian"]["sizes"]
            for sweeps in {size["sweeps"]} | {training_sweeps(c, size["sweeps"]) for c in conditions}
            for path in size_chunks("gaussian", size, sweeps)
        }
    )


def therm_chains():
    """(L, sweeps, prefixes) of every Gaussian size whose therm-<fraction> data sets its full run records on
    the way (spinglass_ml.mc.prefixes.chainable); the others are simulated on their own."""
    conditions = [parse_condition(c) for c in config["ml"]["conditions"]]
    for size in config["mc"]["gaussian"]["sizes"]:
        therm = [training_sweeps(c, size["sweeps"]) for c in conditions if c.kind == "therm"]
        prefixes = chainable(size["sweeps"], therm, size["n_con"])
        if prefixes:
            yield size["L"], size["sweeps"], prefixes


def chain_wildcards(L, sweeps):
    """The wildcards of rule simulate's job for the full data set of a chain rule's job (whose outputs name
    only disorder and chunk), for the helpers below."""
    return lambda w: SimpleNamespace(disorder=w.disorder, L=str(L), sweeps=str(sweeps), chunk=w.chunk)


def unless_simulated_alone(L, sweeps, prefixes):
    """Input function of a chain rule, with no input files. It fails (and rule simulate takes the job) if one
    of the job's chunks was made by rule simulate, in a study simulated before chain rules existed or before
    a therm condition was added: Snakemake keeps such a chunk instead of simulating it again."""

    def check(w):
        for s in [sweeps, *prefixes]:
            path = f"{RESULTS}/mc/{w.disorder}/L{L}/sweeps{s}/chunk{w.chunk}.h5"
            if workflow.persistence.rule(IOFile(path)) == "simulate":
                raise WorkflowError(f"{path} was made by rule simulate, which keeps it")
        return []

    return check


def train_chunks(wildcards):
    """Gaussian chunks a model trains on: therm-<fraction> uses round(fraction x sweeps) sweeps."""
    size = size_entry("gaussian", wildcards.L)
    condition = parse_condition(split_model(wildcards.model)[0])
    return size_chunks("gaussian", size, training_sweeps(condition, size["sweeps"]))


def equilibrated_chunks(disorder):
    """Input function: chunks of `disorder` at size L with the configured (equilibrated) sweeps."""

    def chunks(wildcards):
        size = size_entry(disorder, wildcards.L)
        return size_chunks(disorder, size, size["sweeps"])

    return chunks


def prediction_chunks(wildcards):
    """Input function: the bimodal chunks of size L that the models predict (mc.bimodal.sizes[].predict_instances:
    the first ones; all by default)."""
    size = size_entry("bimodal", wildcards.L)
    chunks = size_chunks("bimodal", size, size["sweeps"])
    n = size["predict_instances"]
    return chunks if n is None else chunks[: math.ceil(n / size["chunk"])]


def chunk_range(wildcards):
    """First instance and number of instances of the chunk named by the wildcards."""
    size = size_entry(wildcards.disorder, wildcards.L)
    k, n = int(wildcards.chunk), n_chunks(size)
    if k >= n:
        raise ValueError(f"chunk {k} does not exist: mc.{wildcards.disorder} L = {size['L']} has {n} chunks")
    first = k * size["chunk"]
    return {"first_instance": first, "n_instances": min(size["chunk"], size["instances"] - first)}


def simulate_temperatures(wildcards):
    """Temperature-grid spec of the chunk's disorder, its keys in one order (min, max, n, spacing, hot: max, n):
    how a config file orders the mapping is spelling, and must not rerun the Monte Carlo."""
    spec = config["mc"][wildcards.disorder]["temperatures"]
    ordered = {key: spec[key] for key in ("min", "max", "n", "spacing") if key in spec}
    if spec.get("hot"):
        ordered["hot"] = {key: spec["hot"][key] for key in ("max", "n")}
    return ordered


def ladder_size(disorder):
    """Temperatures the parallel tempering of a disorder simulates: the measured grid and its hot end."""
    return len(temperature_ladder(config["mc"][disorder]["temperatures"]))


def simulate_threads(wildcards):
    """mc.threads, but at most one per 64 instances on the multispin kernel (bimodal, L >= 3, mc.kernel auto),
    which gives each thread whole 64-instance words: smaller chunks then run side by side as separate jobs."""
    if wildcards.disorder == "bimodal" and int(wildcards.L) >= 3 and config["mc"]["kernel"] == "auto":
        return min(config["mc"]["threads"], -(-chunk_range(wildcards)["n_instances"] // 64))
    return config["mc"]["threads"]


def simulate_run(wildcards):
    """The per-chunk slice of the config: changing instances or another size does not rerun this chunk."""
    size = size_entry(wildcards.disorder, wildcards.L)
    sweeps = int(wildcards.sweeps)
    if size["n_con"] > sweeps // 2:  # reduced-sweep (therm-<fraction>) requests are checked here
        raise ValueError(f"mc.{wildcards.disorder} L={size['L']}: n_con exceeds sweeps // 2 = {sweeps // 2}")
    return {"L": size["L"], "sweeps": sweeps, "n_con": size["n_con"], **chunk_range(wildcards)}


def simulate_mem_mb(wildcards):
    """Memory request in MB: twice the chunk's arrays (int8 snapshots and final spins, float32 spins of both
    replicas, per-site couplings), plus 1 GiB for the interpreter and libraries."""
    run = simulate_run(wildcards)
    n_T = ladder_size(wildcards.disorder)
    nbytes = run["n_instances"] * run["L"] ** 3 * (n_T * (run["n_con"] + 2 + 8) + 24)
    return 1024 + math.ceil(2 * nbytes / 2**20)


def simulate_runtime(wildcards, threads, attempt):
    """Runtime request in minutes: instances x 2 replicas x N_T x L^3 x sweeps flips at mc.ns_per_flip.

    x1.5 for safety, x attempt so that a retry after a time-out gets longer (and resumes from its checkpoint).
    """
    run = simulate_run(wildcards)
    n_T = ladder_size(wildcards.disorder)
    flips = run["n_instances"] * 2 * n_T * run["L"] ** 3 * run["sweeps"]
    seconds = flips * config["mc"]["ns_per_flip"] * 1e-9 / min(threads, run["n_instances"])
    return attempt * (10 + math.ceil(1.5 * seconds / 60))


def figure_outputs(*names):
    """PDF and PNG of each named figure: results/figures/<name>.pdf and .png."""
    return [f"{RESULTS}/figures/{name}.{ext}" for name in names for ext in ("pdf", "png")]


def table_outputs(*names):
    """CSV and LaTeX of each named table."""
    return [f"{RESULTS}/tables/{name}.{ext}" for name in names for ext in ("csv", "tex")]


def conditions_of(*kinds):
    """The conditions of ml.conditions whose kind (clean, flip, therm, adv) is in `kinds`, in config order."""
    return [c for c in config["ml"]["conditions"] if parse_condition(c).kind in kinds]


def condition_ensembles(*kinds):
    """Seed-ensemble files of the conditions of ml.conditions whose kind (clean, flip, ...) is in `kinds`."""
    return [f"{RESULTS}/analysis/ensemble/{c}.json" for c in conditions_of(*kinds)]


def threshold_analyses(family):
    """The analysis files of every model of the conditions behind a classifier's label thresholds: "cnn"
    (clean and threshold-<T>) or "thermometer" (thermometer and thermometer-<T>)."""
    kinds = ("clean", "threshold") if family == "cnn" else ("thermometer",)
    return [path for c in conditions_of(*kinds) for path in seed_analyses(c)]


def tradeoff_outputs(ext):
    """The trade-off records (json) or their per-coordinate moment arrays (npz), every Gaussian L."""
    return [f"{RESULTS}/robustness/tradeoff/L{size['L']}.{ext}" for size in config["mc"]["gaussian"]["sizes"]]


def adversarial_conditions():
    """Models of the adversarial stage: clean and every adv-<epsilon> of ml.conditions."""
    return ["clean", *conditions_of("adv")]


def adversarial_outputs():
    """The adversarial-robustness record of every size with a model."""
    return [f"{RESULTS}/robustness/adversarial/L{L}.json" for L in ml_sizes()]


def adversarial_init(wildcards):
    """Input function: model k of adv-<epsilon> starts from clean's model k of its L; others from scratch."""
    condition, k = split_model(wildcards.model)
    if parse_condition(condition).kind == "adv":
        return [f"{RESULTS}/models/{model_name('clean', k)}/L{wildcards.L}.keras"]
    return []


def train_threshold(wildcards):
    """Params function: the label threshold of a model's condition (its own for threshold-<T>, else
    ml.threshold)."""
    condition = parse_condition(split_model(wildcards.model)[0])
    return label_threshold(condition, config["ml"]["threshold"])


def adversarial_training(wildcards):
    """Params function: robustness.adversarial.training for adv-<epsilon> models, {} for the others (so
    that they do not rerun when it changes)."""
    if parse_condition(split_model(wildcards.model)[0]).kind == "adv":
        return config["robustness"]["adversarial"]["training"]
    return {}
