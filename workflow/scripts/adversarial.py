"""Adapter of rule adversarial: attack the clean and adv-<epsilon> models of one L on held-out Gaussian
snapshots, check their symmetries, and write the record."""

import json
import logging

import numpy as np
import tensorflow as tf

from spinglass_ml.adversarial import robustness_record

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
logger = logging.getLogger("adversarial")
tf.config.threading.set_intra_op_parallelism_threads(snakemake.threads)
tf.config.threading.set_inter_op_parallelism_threads(snakemake.threads)
try:
    p = snakemake.params
    models = dict(zip(p.conditions, snakemake.input.models, strict=True))
    held_out = {c: np.load(f)["validation_instances"] for c, f in zip(p.conditions, snakemake.input.flips,
                                                                        strict=True)}  # fmt: skip
    record = robustness_record(models, held_out, list(snakemake.input.gaussian), p.settings, seed=p.seed,
                               threshold=p.threshold, progress=logger.info)  # fmt: skip
    with open(snakemake.output[0], "w") as fh:
        json.dump(record, fh, indent=1)
except Exception:
    logger.exception("adversarial failed")
    raise
logger.info("wrote %s", snakemake.output[0])
