"""Adapter of rule uncertainty: train a clean and an adversarially trained CNN of one L, probing each after
every epoch (accuracies, attacks, packet moments); write the JSON record and the per-coordinate arrays."""

import logging

import tensorflow as tf

from spinglass_ml.dataset import training_data, training_datasets
from spinglass_ml.tradeoff import DOMAINS, MODELS, run_tradeoff, save_tradeoff
from spinglass_ml.uncertainty import BOUND

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
logger = logging.getLogger(snakemake.rule)
p = snakemake.params
u = p.uncertainty
try:
    tf.config.threading.set_intra_op_parallelism_threads(snakemake.threads)
    tf.config.threading.set_inter_op_parallelism_threads(snakemake.threads)
    data = training_data(list(snakemake.input.chunks), "clean", p.seed, threshold=p.threshold,
                         validation_fraction=p.validation_fraction)  # fmt: skip
    # the adversarial model trains on PGD examples of every batch, from the clean example like the attack
    adversary = {"adversary": {**u["adversarial_training"], "random_start": False, "seed": p.seed}}
    probes = {}
    for k, name in enumerate(MODELS):
        train_ds, val_ds = training_datasets(data, p.seed, p.batch_size, shuffle_buffer=p.shuffle_buffer,
                                             validation_examples=u["test_examples"])  # fmt: skip
        logger.info("L=%s %s model: %d epochs of %d steps", snakemake.wildcards.L, name, u["epochs"],
                    u["steps_per_epoch"])  # fmt: skip
        _, probes[name] = run_tradeoff(
            train_ds,
            val_ds,
            model_index=k,
            epochs=u["epochs"],
            steps_per_epoch=u["steps_per_epoch"],
            lr=u["learning_rate"],
            seed=p.seed,
            attack=u["attack"],
            moments={key: u[key] for key in ("samples", "blocks", "batch_size")},
            model_options=dict(p.cnn),
            train_options=adversary if name == "adversarial" else None,
            progress=logger.info,
        )
    y_test = probes[MODELS[0]].y_test
    header = {
        "L": int(snakemake.wildcards.L),
        "seed": p.seed,
        "bound": BOUND,
        "domains": DOMAINS,
        "n_test": int(probes[MODELS[0]].y_test.size),
        "majority_fraction": float(max(y_test.mean(), 1 - y_test.mean())),  # a constant prediction's accuracy
        "n_train_examples": data.train.n_examples,
        "settings": {"uncertainty": dict(u), "cnn": dict(p.cnn), "batch_size": p.batch_size},
    }
    save_tradeoff(snakemake.output.json, snakemake.output.npz, probes, header)
except Exception:
    logger.exception("uncertainty failed")
    raise
logger.info("wrote %s", snakemake.output.json)
