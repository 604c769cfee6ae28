"""Adapter of rule fig1: the four panels of the paper's Fig. 1 from the clean condition's analysis."""

import json
from pathlib import Path

from spinglass_ml.jobs import job

with job(snakemake) as log:
    from spinglass_ml.figures import scaling, style

    analysis = json.loads(Path(snakemake.input.analysis).read_text())
    style.save(scaling.scaling_figure(analysis), snakemake.output.pdf, snakemake.output.png)
    log.info("clean: T_c = %s ± %s, nu = %s (%s)", analysis["Tc"], analysis["Tc_err"], analysis["nu"],
             analysis["reason"])  # fmt: skip
