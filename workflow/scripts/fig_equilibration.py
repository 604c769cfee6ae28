"""Adapter of rule fig_equilibration: both sides of the Gaussian identity per log bin, per data set."""

import logging
from collections import defaultdict
from pathlib import Path

from spinglass_ml import plotting
from spinglass_ml.diagnostics import identity_logbins, load_diagnostics

logging.basicConfig(filename=snakemake.log[0], level=logging.WARNING, format="%(asctime)s %(message)s")
logger = logging.getLogger(snakemake.rule)
logger.setLevel(logging.INFO)  # the rule's own lines; libraries (fontTools) only warnings
sets = defaultdict(list)  # results/mc/gaussian/L{L}/sweeps{S}/chunk*.h5, grouped by (L, sweeps)
for path in snakemake.input.chunks:
    sets[Path(path).parent].append(path)
rows = defaultdict(list)
for paths in sets.values():
    data, attrs = load_diagnostics(sorted(paths))
    L, sweeps = int(attrs["L"]), int(attrs["sweeps"])
    rows[L].append((sweeps, identity_logbins(data, sweeps)))
    logger.info("L=%d sweeps=%d: %d instances", L, sweeps, data["energy"].shape[0])
grid = [
    [(f"L = {L}, {sweeps} sweeps", bins) for sweeps, bins in sorted(rows[L], key=lambda r: -r[0])]
    for L in sorted(rows)
]
plotting.save(plotting.equilibration(grid, t_index=0), snakemake.output.pdf, snakemake.output.png)
