"""Adapter of rules fig2 and fig3: p(T, L) of one poisoned condition (its model 0) beside the clean T_c of
clean's seed ensemble."""

import json
from pathlib import Path

from spinglass_ml.jobs import job

with job(snakemake) as log:
    from spinglass_ml.analysis.summary import ensemble_tc
    from spinglass_ml.figures import scaling, style

    analysis = json.loads(Path(snakemake.input.analysis).read_text())
    clean = json.loads(Path(snakemake.input.clean).read_text())
    condition = snakemake.params.condition
    Tc, err, method = ensemble_tc(clean)  # the collapse's where the clean headline T_c does not exist
    reference = (Tc, err, r"clean $T_c$" if method == "headline" else r"clean collapse $T_c$")
    fig = scaling.probability_figure(analysis, f"trained on {condition}", reference)
    style.save(fig, snakemake.output.pdf, snakemake.output.png)
    log.info("%s: T_c = %s ± %s (%s)", condition, analysis["Tc"], analysis["Tc_err"], analysis["reason"])
