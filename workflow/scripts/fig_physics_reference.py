"""Adapter of rule fig_physics_reference: Binder ratio and ξ_L/L of the bimodal data beside the CNN's T_c."""

import json
import logging

from spinglass_ml import fss, plotting

logging.basicConfig(filename=snakemake.log[0], level=logging.WARNING, format="%(asctime)s %(message)s")
logger = logging.getLogger(snakemake.rule)
logger.setLevel(logging.INFO)  # the rule's own lines; libraries (fontTools) only warnings
with open(snakemake.input.reference) as f:
    bimodal = json.load(f)["bimodal"]
with open(snakemake.input.clean) as f:
    clean = json.load(f)
# a data set that could not be analysed at all is {"reason": ...}: draw it as failed analysis objects
binder = bimodal.get("binder") or fss.failed("g", "crossing", bimodal.get("reason", "missing"))
xi = bimodal.get("xi") or fss.failed("xi_over_L", "crossing", bimodal.get("reason", "missing"))
literature = list(snakemake.params.literature)
logger.info("%d published values drawn", len(literature))
fig = plotting.physics_reference_figure(binder, xi, clean, literature)
plotting.save(fig, snakemake.output.pdf, snakemake.output.png)
for name, obj in (("Binder", binder), ("xi_L/L", xi), ("CNN", clean)):
    logger.info("%s: T_c = %s ± %s (%s)", name, obj["Tc"], obj["Tc_err"], obj["reason"])
