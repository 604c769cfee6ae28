"""Adapter of rule fig_physics_reference: Binder ratio and ξ_L/L of the bimodal data beside the CNN's T_c."""

import json
from pathlib import Path

from spinglass_ml.jobs import job

with job(snakemake) as log:
    from spinglass_ml.analysis.observables import disorder_analyses
    from spinglass_ml.figures import comparison, style

    binder, xi = disorder_analyses(json.loads(Path(snakemake.input.reference).read_text()), "bimodal")
    clean = json.loads(Path(snakemake.input.clean).read_text())
    literature = list(snakemake.params.literature)
    fig = comparison.physics_reference_figure(binder, xi, clean, literature)
    style.save(fig, snakemake.output.pdf, snakemake.output.png)
    for name, obj in (("Binder", binder), ("xi_L/L", xi), ("CNN", clean)):
        log.info("%s: T_c = %s ± %s (%s)", name, obj["Tc"], obj["Tc_err"], obj["reason"])
