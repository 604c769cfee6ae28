"""Adapter of rule predict: p(high T) per (instance, T) on the bimodal data and the held-out Gaussian data."""

from spinglass_ml.jobs import job

with job(snakemake, tensorflow=True) as log:
    from spinglass_ml.ml.predict import predict_model

    predict_model(
        snakemake.input.model, snakemake.input.flips, list(snakemake.input.bimodal),
        list(snakemake.input.gaussian), snakemake.output.bimodal, snakemake.output.gaussian,
        batch_size=snakemake.params.batch_size,
    )  # fmt: skip
    log.info("wrote %s and %s", snakemake.output.bimodal, snakemake.output.gaussian)
