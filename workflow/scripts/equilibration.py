"""Adapter of rule equilibration: the checks of every (disorder, L, sweeps) data set, as one JSON list."""

import json
import logging
from collections import defaultdict
from pathlib import Path

from spinglass_ml.diagnostics import data_set_report

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
logger = logging.getLogger(snakemake.rule)
sets = defaultdict(list)  # results/mc/<disorder>/L<L>/sweeps<S>/chunk*.h5, grouped by data set
for path in [*snakemake.input.gaussian, *snakemake.input.bimodal]:
    sets[Path(path).parent].append(path)
try:
    records = [data_set_report(sorted(paths), snakemake.params.sigmas) for _, paths in sorted(sets.items())]
    Path(snakemake.output[0]).write_text(json.dumps(records, indent=1, allow_nan=False) + "\n")
except Exception:
    logger.exception("equilibration failed")
    raise
for r in records:
    verdict = "passed" if all(c["passed"] for c in r["checks"]) else "FAILED"
    logger.info(
        "%s L=%d sweeps=%d (%d instances): %s", r["disorder"], r["L"], r["sweeps"], r["instances"], verdict
    )
    for c in r["checks"]:
        logger.info("  %s: passed=%s, worst |gap|/error %s at T = %s", c["name"], c["passed"], c["worst_z"],
                    c["worst_temperature"])  # fmt: skip
logger.info("wrote %s", snakemake.output[0])
