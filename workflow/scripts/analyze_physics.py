"""Adapter of rule analyze_physics: Binder ratio and xi_L/L finite-size scaling of both disorders."""

import json
import logging

from spinglass_ml.observables import physics_reference_json

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
logger = logging.getLogger("analyze_physics")
try:
    paths = {"bimodal": list(snakemake.input.bimodal), "gaussian": list(snakemake.input.gaussian)}
    result = physics_reference_json(paths, snakemake.params.analysis, snakemake.params.seed)
    with open(snakemake.output[0], "w") as fh:
        json.dump(result, fh, indent=1)
except Exception:
    logger.exception("analyze_physics failed")
    raise
for disorder in ("bimodal", "gaussian"):
    if "reason" in result[disorder]:  # the data could not be read: no binder/xi entries
        logger.info("%s: no analysis (%s)", disorder, result[disorder]["reason"])
    for key, entry in result[disorder].items():
        if isinstance(entry, dict):
            logger.info(
                "%s %s: T_c = %s +- %s (%s)", disorder, key, entry["Tc"], entry["Tc_err"], entry["reason"]
            )
logger.info("wrote %s", snakemake.output[0])
