"""Adapter of rule fig1: the four panels of the paper's Fig. 1 from the clean condition's analysis."""

import json
import logging

from spinglass_ml import plotting

logging.basicConfig(filename=snakemake.log[0], level=logging.WARNING, format="%(asctime)s %(message)s")
logger = logging.getLogger(snakemake.rule)
logger.setLevel(logging.INFO)  # the rule's own lines; libraries (fontTools) only warnings
with open(snakemake.input.analysis) as f:
    analysis = json.load(f)
plotting.save(plotting.scaling_figure(analysis), snakemake.output.pdf, snakemake.output.png)
logger.info(
    "clean: T_c = %s ± %s, nu = %s (%s)",
    analysis["Tc"],
    analysis["Tc_err"],
    analysis["nu"],
    analysis["reason"],
)
