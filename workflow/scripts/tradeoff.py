"""Adapter of rule tradeoff: a clean and an adversarially trained CNN of one L, probed after every epoch
(accuracies, attacks, packet moments); the JSON record and the per-coordinate arrays."""

from spinglass_ml.jobs import job

with job(snakemake, tensorflow=True) as log:
    from spinglass_ml.robustness.tradeoff import tradeoff_study

    p = snakemake.params
    tradeoff_study(
        snakemake.output.json, snakemake.output.npz, list(snakemake.input.chunks),
        L=int(snakemake.wildcards.L), seed=p.seed, threshold=p.threshold,
        validation_fraction=p.validation_fraction, batch_size=p.batch_size, shuffle_buffer=p.shuffle_buffer,
        cnn=p.cnn, settings=p.uncertainty, progress=log.info,
    )  # fmt: skip
    log.info("wrote %s", snakemake.output.json)
