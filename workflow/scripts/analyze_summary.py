"""Adapter of rule analyze_summary: results/tables/summary.csv from the analysis JSON files."""

import json
import logging

from spinglass_ml.fss import summary_rows, write_summary

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
logger = logging.getLogger("analyze_summary")
try:
    conditions = {}
    for name, path in zip(snakemake.params.conditions, snakemake.input.conditions, strict=True):
        with open(path) as fh:
            conditions[name] = json.load(fh)
    with open(snakemake.input.physics) as fh:
        physics = json.load(fh)
    rows = summary_rows(conditions, physics)
    write_summary(snakemake.output[0], rows)
except Exception:
    logger.exception("analyze_summary failed")
    raise
logger.info("wrote %d rows to %s", len(rows), snakemake.output[0])
