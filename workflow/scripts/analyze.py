"""Adapter of rule analyze: the finite-size-scaling JSON of one training condition."""

import json
import logging

from spinglass_ml.fss import condition_analysis

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
logger = logging.getLogger("analyze")
try:
    sizes = snakemake.params.sizes
    result = condition_analysis(
        snakemake.wildcards.condition,
        dict(zip(sizes, snakemake.input.bimodal, strict=True)),
        dict(zip(sizes, snakemake.input.gaussian, strict=True)),
        snakemake.params.analysis,
        snakemake.params.seed,
    )
    with open(snakemake.output[0], "w") as fh:
        json.dump(result, fh, indent=1)
except Exception:
    logger.exception("analyze failed")
    raise
logger.info("T_c = %s +- %s, nu = %s +- %s; reason: %s", result["Tc"], result["Tc_err"], result["nu"],
            result["nu_err"], result["reason"])  # fmt: skip
logger.info("wrote %s", snakemake.output[0])
