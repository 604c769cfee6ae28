"""Adapter of rule train: gate the training data on equilibration, train the CNN, save model and records."""

import logging

from spinglass_ml.diagnostics import equilibration_gate
from spinglass_ml.poison import parse_condition

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
logger = logging.getLogger("train")
p = snakemake.params
condition = parse_condition(snakemake.wildcards.condition)
chunks = list(snakemake.input.chunks)
try:
    # clean and flip-* models need equilibrated data; therm-* is poisoned on purpose: record, go on
    failed = equilibration_gate(chunks, enforce=condition.kind != "therm", sigmas=p.sigmas)
    for line in failed:
        logger.warning("equilibration check failed (recorded in the provenance): %s", line)

    import tensorflow as tf  # after the gate: a refused job should not pay for importing TensorFlow

    tf.config.threading.set_intra_op_parallelism_threads(snakemake.threads)
    tf.config.threading.set_inter_op_parallelism_threads(snakemake.threads)
    from spinglass_ml.dataset import training_data, training_datasets
    from spinglass_ml.model import load_model
    from spinglass_ml.train import adversary_settings, save_training, train_model, training_provenance

    t = p.training
    data = training_data(
        chunks, condition, p.seed, threshold=p.threshold, validation_fraction=p.validation_fraction
    )
    logger.info(
        "%s L=%s: %d training and %d validation examples, %d labels flipped",
        condition,
        snakemake.wildcards.L,
        data.train.n_examples,
        data.validation.n_examples,
        data.train.flipped.size,
    )
    train_ds, val_ds = training_datasets(
        data,
        p.seed,
        t["batch_size"],
        shuffle_buffer=t["shuffle_buffer"],
        validation_examples=t["validation_examples"],
        cache_bytes=int(t["cache_mb"] * 2**20),
    )
    settings = {"training": dict(t), "cnn": dict(p.cnn)}
    adversary, initial, iterations = None, None, t["iterations"]
    if condition.kind == "adv":  # the clean model, trained on for more steps on PGD examples of each batch
        adversary = adversary_settings(condition.value, p.adversarial, p.seed, int(snakemake.wildcards.L))
        initial = load_model(snakemake.input.init[0]).get_weights()
        iterations = p.adversarial["iterations"]
        settings["adversarial"] = {**adversary, "iterations": iterations, "initial": snakemake.input.init[0]}
        logger.info("adversarial training from %s: %s", snakemake.input.init[0], settings["adversarial"])
    model, history = train_model(
        train_ds,
        val_ds,
        iterations=iterations,
        lr=t["learning_rate"],
        log_every=t["log_every"],
        seed=p.seed,
        model_options=dict(p.cnn),
        progress=logger.info,
        adversary=adversary,
        initial_weights=initial,
    )
    provenance = training_provenance(data, p.seed, settings)
    provenance["equilibration_failures"] = failed
    save_training(snakemake.output.model, model, history, provenance, data.arrays())
except Exception:
    logger.exception("train failed")
    raise
logger.info("wrote %s", snakemake.output.model)
