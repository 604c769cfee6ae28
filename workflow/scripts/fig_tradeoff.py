"""Adapter of rule fig_tradeoff: test and PGD robust accuracy per epoch, from the trade-off records."""

from spinglass_ml.jobs import job

with job(snakemake) as log:
    from spinglass_ml.figures import robustness, style
    from spinglass_ml.robustness.records import read_accuracy_curves

    series = read_accuracy_curves(snakemake.input.json)
    for L, by_model in series["curves"].items():
        log.info(
            "L=%d, last epoch: %s", L, {m: {k: v[-1] for k, v in c.items()} for m, c in by_model.items()}
        )
    style.save(robustness.tradeoff(**series), snakemake.output.pdf, snakemake.output.png)
