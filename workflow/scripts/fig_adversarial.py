"""Adapter of rule fig_adversarial: robust accuracy against epsilon and flipped sites, from the records."""

from spinglass_ml.jobs import job

with job(snakemake) as log:
    from spinglass_ml.figures import robustness, style
    from spinglass_ml.robustness.records import accuracy_series, read_records

    series = accuracy_series(read_records(snakemake.input.json), snakemake.params.attack)
    log.info("robust accuracy per L and model: %s", {L: {m: list(c[1]) for m, c in by.items()}
                                                     for L, by in series["by_epsilon"].items()})  # fmt: skip
    fig = robustness.adversarial_figure(attack=snakemake.params.attack, **series)
    style.save(fig, snakemake.output.pdf, snakemake.output.png)
