"""Adapter of rules fig2 and fig3: p(T, L) of one poisoned condition beside the clean T_c."""

import json
import logging

from spinglass_ml import plotting

logging.basicConfig(filename=snakemake.log[0], level=logging.WARNING, format="%(asctime)s %(message)s")
logger = logging.getLogger(snakemake.rule)
logger.setLevel(logging.INFO)  # the rule's own lines; libraries (fontTools) only warnings
with open(snakemake.input.analysis) as f:
    analysis = json.load(f)
with open(snakemake.input.clean) as f:
    clean = json.load(f)
condition = snakemake.params.condition
reference = (clean["Tc"], clean["Tc_err"], r"clean $T_c$")
fig = plotting.probability_figure(analysis, f"trained on {condition}", reference)
plotting.save(fig, snakemake.output.pdf, snakemake.output.png)
logger.info("%s: T_c = %s ± %s (%s)", condition, analysis["Tc"], analysis["Tc_err"], analysis["reason"])
