"""Adapter of rule analyze_physics: Binder ratio and xi_L/L finite-size scaling of both disorders."""

import json
from pathlib import Path

from spinglass_ml.analysis.observables import physics_reference_json
from spinglass_ml.jobs import job

with job(snakemake) as log:
    paths = {"bimodal": list(snakemake.input.bimodal), "gaussian": list(snakemake.input.gaussian)}
    result = physics_reference_json(paths, snakemake.params.analysis, snakemake.params.seed)
    Path(snakemake.output[0]).write_text(json.dumps(result, indent=1))
    for disorder in ("bimodal", "gaussian"):
        entry = result[disorder]
        if "reason" in entry:  # the data could not be read: no binder/xi entries
            log.info("%s: no analysis (%s)", disorder, entry["reason"])
        for key, obj in ((k, v) for k, v in entry.items() if isinstance(v, dict)):
            log.info("%s %s: T_c = %s +- %s (%s)", disorder, key, obj["Tc"], obj["Tc_err"], obj["reason"])
