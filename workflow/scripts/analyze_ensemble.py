"""Adapter of rule analyze_ensemble: one condition's seed ensemble and its paired shift from clean."""

import json
from pathlib import Path

from spinglass_ml.analysis.ensemble import condition_ensemble
from spinglass_ml.jobs import job
from spinglass_ml.ml.conditions import parse_condition

with job(snakemake) as log:
    name = snakemake.wildcards.condition
    read = lambda paths: [json.loads(Path(p).read_text()) for p in paths]  # noqa: E731
    record = condition_ensemble(
        name, read(snakemake.input.analyses), read(snakemake.input.clean),
        deterministic=parse_condition(name).kind == "thermometer",
        min_valid_fraction=snakemake.params.min_valid_fraction,
    )  # fmt: skip
    Path(snakemake.output[0]).write_text(json.dumps(record, indent=1))
    for key in ("Tc", "collapse.Tc"):
        e = record["bimodal"]["estimates"][key]
        log.info("%s %s: %s, seed spread %s, total error %s (%s)", name, key, e["value"], e["seed_spread"],
                 e["total_err"], e["reason"])  # fmt: skip
