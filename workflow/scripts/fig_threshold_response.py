"""Adapter of rule fig_threshold_response: bimodal T_c against the label threshold, CNN and thermometer,
beside the physical T_c (the xi_L/L crossing of the largest pair of sizes) of the same data."""

import json
from pathlib import Path

from spinglass_ml.jobs import job

with job(snakemake) as log:
    from spinglass_ml.analysis.observables import disorder_analyses
    from spinglass_ml.analysis.summary import reference_tc, threshold_response
    from spinglass_ml.figures import comparison, style

    threshold = snakemake.params.threshold
    points = threshold_response(
        [json.loads(Path(p).read_text()) for p in snakemake.input.ensembles], threshold
    )
    _, xi = disorder_analyses(json.loads(Path(snakemake.input.reference).read_text()), "bimodal")
    Tc, err, method = reference_tc(xi)  # the crossing of the largest sizes, else the collapse
    physical = (
        Tc,
        err,
        r"$\xi_L/L$ crossing (largest sizes)" if method == "headline" else r"$\xi_L/L$ collapse",
    )
    log.info("T_c against the label threshold: %s; physical: %s", points, physical)
    fig = comparison.threshold_response_figure(points, physical, threshold)
    style.save(fig, snakemake.output.pdf, snakemake.output.png)
