"""Adapter of rule predict: p(high T) per (instance, T) on the bimodal data and the held-out Gaussian data."""

import logging

import numpy as np
import tensorflow as tf

from spinglass_ml.model import load_model
from spinglass_ml.predict import predict_files

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
logger = logging.getLogger("predict")
tf.config.threading.set_intra_op_parallelism_threads(snakemake.threads)
tf.config.threading.set_inter_op_parallelism_threads(snakemake.threads)
try:
    model = load_model(snakemake.input.model)
    batch = snakemake.params.batch_size
    predict_files(model, list(snakemake.input.bimodal), snakemake.output.bimodal, batch_size=batch)
    held_out = np.load(snakemake.input.flips)["validation_instances"]
    predict_files(model, list(snakemake.input.gaussian), snakemake.output.gaussian, batch_size=batch,
                  instances=held_out)  # fmt: skip
except Exception:
    logger.exception("predict failed")
    raise
logger.info("wrote %s and %s", snakemake.output.bimodal, snakemake.output.gaussian)
