"""Adapter of rule fig_threshold_response: bimodal T_c against the label threshold, CNN and thermometer,
beside the physical T_c of the same data (the most precise xi_L/L pair crossing, else its collapse), each
classifier labelled with its slope (rule analyze_threshold_response)."""

import json
from pathlib import Path

from spinglass_ml.jobs import job

with job(snakemake) as log:
    from spinglass_ml.analysis.observables import disorder_analyses
    from spinglass_ml.analysis.summary import best_crossing, threshold_response
    from spinglass_ml.analysis.threshold import headline_slope
    from spinglass_ml.figures import comparison, style

    threshold = snakemake.params.threshold
    points = threshold_response(
        [json.loads(Path(p).read_text()) for p in snakemake.input.ensembles], threshold
    )
    _, xi = disorder_analyses(json.loads(Path(snakemake.input.reference).read_text()), "bimodal")
    Tc, err, label = best_crossing(xi)
    physical = (Tc, err, rf"$\xi_L/L$ {label}")
    record = json.loads(Path(snakemake.input.slopes).read_text())
    slopes = {family: headline_slope(record, family)[:2] for family in points}
    log.info("T_c against the label threshold: %s; slopes %s; physical: %s", points, slopes, physical)
    fig = comparison.threshold_response_figure(points, physical, threshold, slopes)
    style.save(fig, snakemake.output.pdf, snakemake.output.png)
