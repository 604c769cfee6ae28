"""Adapter of rule analyze_summary: results/tables/summary.csv from the seed ensembles of the conditions and
the physics reference."""

import json
from pathlib import Path

from spinglass_ml.analysis.summary import rounded_rows, summary_rows, write_summary
from spinglass_ml.jobs import job

with job(snakemake) as log:
    ensembles = [json.loads(Path(path).read_text()) for path in snakemake.input.conditions]
    rows = summary_rows(ensembles, json.loads(Path(snakemake.input.physics).read_text()))
    write_summary(snakemake.output.csv, rows)
    write_summary(snakemake.output.rounded, rounded_rows(rows))
    log.info("wrote %d rows to %s", len(rows), snakemake.output.csv)
