"""Adapter of rule fig_training: loss and accuracies per logged step of every model, from their histories."""

from spinglass_ml.jobs import job

with job(snakemake) as log:
    from spinglass_ml.figures import ml, style
    from spinglass_ml.ml.history import read_history

    p = snakemake.params
    keys = [(c, L) for c in p.conditions for L in p.sizes]  # the order of ml_outputs
    histories = {c: {} for c in p.conditions}
    for (condition, L), path in zip(keys, snakemake.input.histories, strict=True):
        histories[condition][L] = read_history(path)
        last = {k: float(v[-1]) for k, v in histories[condition][L].items()}
        log.info("%s L=%d, last logged step: %s", condition, L, last)
    style.save(ml.training_figure(histories), snakemake.output.pdf, snakemake.output.png)
