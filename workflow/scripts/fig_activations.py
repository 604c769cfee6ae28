"""Adapter of rule fig_activations: mean conv activation maps and symmetry violations of the largest L."""

import json
import logging

import numpy as np

from spinglass_ml import plotting

logging.basicConfig(filename=snakemake.log[0], level=logging.WARNING, format="%(asctime)s %(message)s")
logger = logging.getLogger(snakemake.rule)
logger.setLevel(logging.INFO)  # the rule's own lines; libraries (fontTools) only warnings

doc = max((json.loads(open(path).read()) for path in snakemake.input.json), key=lambda d: d["L"])
maps = {
    m: {g: np.array(a) for g, a in r["activation_maps"]["maps"].items()} for m, r in doc["models"].items()
}
violations = {
    m: {g: r["symmetry"][g]["mean_abs_dp"] for g in ("global_flip", "translation", "cubic")}
    for m, r in doc["models"].items()
}
logger.info("L=%d, symmetry violations (mean |dp|): %s", doc["L"], violations)
fig = plotting.activations_figure(
    maps, violations, L=doc["L"], report_epsilon=doc["models"]["clean"]["activation_maps"]["pgd_epsilon"]
)
plotting.save(fig, snakemake.output.pdf, snakemake.output.png)
logger.info("wrote %s", snakemake.output.pdf)
