"""Adapter of rule fig_equilibration: both sides of the Gaussian identity per log bin, per data set."""

import json
import logging
from collections import defaultdict

from spinglass_ml import plotting
from spinglass_ml.diagnostics import IdentityBins

logging.basicConfig(filename=snakemake.log[0], level=logging.WARNING, format="%(asctime)s %(message)s")
logger = logging.getLogger(snakemake.rule)
logger.setLevel(logging.INFO)  # the rule's own lines; libraries (fontTools) only warnings
with open(snakemake.input.equilibration) as fh:
    records = [r for r in json.load(fh) if r["disorder"] == "gaussian"]
rows = defaultdict(list)
for r in records:
    rows[r["L"]].append((r["sweeps"], IdentityBins.from_json(r["identity_logbins"])))
    logger.info("L=%d sweeps=%d: %d instances", r["L"], r["sweeps"], r["instances"])
grid = [
    [(f"L = {L}, {sweeps} sweeps", bins) for sweeps, bins in sorted(rows[L], key=lambda r: -r[0])]
    for L in sorted(rows)
]
plotting.save(plotting.equilibration(grid, t_index=0), snakemake.output.pdf, snakemake.output.png)
