"""Adapter of rule fig_equilibration: both sides of the Gaussian identity per log bin, per data set."""

import json
from pathlib import Path

from spinglass_ml.jobs import job

with job(snakemake) as log:
    from spinglass_ml.figures import mc, style
    from spinglass_ml.mc.equilibration import identity_panels

    panels = identity_panels(json.loads(Path(snakemake.input.equilibration).read_text()))
    log.info("panels: %s", [[title for title, _ in row] for row in panels])
    style.save(mc.equilibration(panels, t_index=0), snakemake.output.pdf, snakemake.output.png)
