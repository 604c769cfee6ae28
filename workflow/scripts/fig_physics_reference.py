"""Adapter of rule fig_physics_reference: Binder ratio and ξ_L/L of the bimodal data beside the T_c estimates
of the clean CNN's seed ensemble."""

import json
from pathlib import Path

from spinglass_ml.jobs import job

with job(snakemake) as log:
    from spinglass_ml.analysis.observables import disorder_analyses
    from spinglass_ml.analysis.summary import ensemble_tc_rows
    from spinglass_ml.figures import comparison, style

    binder, xi = disorder_analyses(json.loads(Path(snakemake.input.reference).read_text()), "bimodal")
    cnn = ensemble_tc_rows(json.loads(Path(snakemake.input.clean).read_text()))
    literature = list(snakemake.params.literature)
    fig = comparison.physics_reference_figure(binder, xi, cnn, literature)
    style.save(fig, snakemake.output.pdf, snakemake.output.png)
    for name, obj in (("Binder", binder), ("xi_L/L", xi)):
        log.info("%s: T_c = %s ± %s (%s)", name, obj["Tc"], obj["Tc_err"], obj["reason"])
    log.info("CNN (clean ensemble): %s", cnn)
