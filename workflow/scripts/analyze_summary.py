"""Adapter of rule analyze_summary: results/tables/summary.csv from the analysis JSON files."""

import json
from pathlib import Path

from spinglass_ml.analysis.records import rounded_rows, summary_rows, write_summary
from spinglass_ml.jobs import job

with job(snakemake) as log:
    names, paths = snakemake.params.conditions, snakemake.input.conditions
    conditions = {name: json.loads(Path(path).read_text()) for name, path in zip(names, paths, strict=True)}
    rows = summary_rows(conditions, json.loads(Path(snakemake.input.physics).read_text()))
    write_summary(snakemake.output.csv, rows)
    write_summary(snakemake.output.rounded, rounded_rows(rows))
    log.info("wrote %d rows to %s", len(rows), snakemake.output.csv)
