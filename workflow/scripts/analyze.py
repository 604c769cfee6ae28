"""Adapter of rule analyze: the finite-size-scaling JSON of one model, with its bootstrap replicas."""

import json
from pathlib import Path

from spinglass_ml.analysis.records import condition_analysis
from spinglass_ml.jobs import job

with job(snakemake) as log:
    p = snakemake.params
    result = condition_analysis(
        p.condition, dict(zip(p.sizes, snakemake.input.bimodal, strict=True)),
        dict(zip(p.sizes, snakemake.input.gaussian, strict=True)), p.analysis, p.seed, keep_replicas=True,
    )  # fmt: skip
    Path(snakemake.output[0]).write_text(json.dumps(result, indent=1))
    log.info("T_c = %s +- %s, nu = %s +- %s; reason: %s", result["Tc"], result["Tc_err"], result["nu"],
             result["nu_err"], result["reason"])  # fmt: skip
