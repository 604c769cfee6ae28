"""Adapter of rule fig_tradeoff: test and PGD robust accuracy per epoch, from the uncertainty records."""

import json
import logging

import numpy as np

from spinglass_ml import plotting

logging.basicConfig(filename=snakemake.log[0], level=logging.WARNING, format="%(asctime)s %(message)s")
logger = logging.getLogger(snakemake.rule)
logger.setLevel(logging.INFO)
keys = ("epoch", *(key for key, _ in plotting.TRADEOFF_SERIES))
curves, n_test, majority = {}, {}, {}
for path in snakemake.input.json:
    doc = json.loads(open(path).read())
    L = doc["L"]
    n_test[L], majority[L] = doc["n_test"], doc["majority_fraction"]
    curves[L] = {
        model: {key: np.array([row[key] for row in run["records"]], float) for key in keys}
        for model, run in doc["models"].items()
    }
    logger.info("L=%d: %s", L, {m: run["records"][-1] for m, run in doc["models"].items()})
plotting.save(plotting.tradeoff(curves, n_test, majority), snakemake.output.pdf, snakemake.output.png)
