"""Adapter of rule equilibration: the certificate of every (disorder, L, sweeps) data set, as one JSON."""

import json
from pathlib import Path

from spinglass_ml.jobs import job
from spinglass_ml.mc.equilibration import study_report

with job(snakemake) as log:
    report = study_report([*snakemake.input.gaussian, *snakemake.input.bimodal], snakemake.params.sigmas)
    Path(snakemake.output[0]).write_text(json.dumps(report, indent=1, allow_nan=False) + "\n")
    for r in report["data_sets"]:
        verdict = "certified" if r["certified"] else "NOT certified"
        log.info("%s L=%d sweeps=%d (%d instances): %s", r["disorder"], r["L"], r["sweeps"], r["instances"],
                 verdict)  # fmt: skip
        for c in r["checks"]:
            log.info("  %s: passed=%s, worst |gap|/error %s at T = %s, detectable drift %s", c["name"],
                     c["passed"], c["worst_z"], c["worst_temperature"], c["detectable_drift"])  # fmt: skip
    for t in report["therm"]:
        found = (
            "detected at every L" if t["detected_at_every_L"] else f"NOT detected at L {t['undetected_L']}"
        )
        log.info("%s, %g of the sweeps: under-thermalisation %s", t["disorder"], t["fraction"], found)
