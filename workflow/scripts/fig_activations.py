"""Adapter of rule fig_activations: mean conv activation maps and symmetry violations of the largest L."""

from spinglass_ml.jobs import job

with job(snakemake) as log:
    from spinglass_ml.figures import robustness, style
    from spinglass_ml.robustness.records import activation_series, read_records

    series = activation_series(read_records(snakemake.input.json)[-1])
    log.info("L=%d, symmetry violations (mean |dp|): %s", series["L"], series["violations"])
    style.save(robustness.activations_figure(**series), snakemake.output.pdf, snakemake.output.png)
