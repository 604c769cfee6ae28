"""Adapter of rule fig_dose_response: the paired shift of T_c from clean of every flip-* and therm-* condition
against its dose."""

import json
from pathlib import Path

from spinglass_ml.jobs import job

with job(snakemake) as log:
    from spinglass_ml.analysis.summary import clean_tc, dose_response
    from spinglass_ml.figures import comparison, style

    by_dose = dose_response([json.loads(Path(p).read_text()) for p in snakemake.input.ensembles])
    clean = clean_tc(json.loads(Path(snakemake.input.clean).read_text()))
    log.info("shift of T_c against the dose: %s; clean: %s", by_dose, clean)
    fig = comparison.dose_response_figure(by_dose["flip"], by_dose["therm"], clean)
    style.save(fig, snakemake.output.pdf, snakemake.output.png)
