"""Adapter of rule equilibration: the checks of every (disorder, L, sweeps) data set, as one JSON list."""

import json
from pathlib import Path

from spinglass_ml.jobs import job
from spinglass_ml.mc.equilibration import study_report

with job(snakemake) as log:
    records = study_report([*snakemake.input.gaussian, *snakemake.input.bimodal], snakemake.params.sigmas)
    Path(snakemake.output[0]).write_text(json.dumps(records, indent=1, allow_nan=False) + "\n")
    for r in records:
        verdict = "passed" if all(c["passed"] for c in r["checks"]) else "FAILED"
        log.info("%s L=%d sweeps=%d (%d instances): %s", r["disorder"], r["L"], r["sweeps"], r["instances"],
                 verdict)  # fmt: skip
        for c in r["checks"]:
            log.info("  %s: passed=%s, worst |gap|/error %s at T = %s", c["name"], c["passed"], c["worst_z"],
                     c["worst_temperature"])  # fmt: skip
