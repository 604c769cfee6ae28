"""Adapter of rule predict: p(high T) per (instance, T) on the bimodal data and the held-out Gaussian data,
by the CNN or, for thermometer conditions, by the thermometer."""

from spinglass_ml.jobs import job

with job(snakemake) as log:
    model = snakemake.input.model
    if model.endswith(".thermometer.json"):
        from spinglass_ml.ml.thermometer import predict_thermometer as predict
    else:
        from spinglass_ml.jobs import set_tensorflow_threads
        from spinglass_ml.ml.predict import predict_model as predict

        set_tensorflow_threads(snakemake.threads)
    predict(
        model, snakemake.input.flips, list(snakemake.input.bimodal), list(snakemake.input.gaussian),
        snakemake.output.bimodal, snakemake.output.gaussian, batch_size=snakemake.params.batch_size,
    )  # fmt: skip
    log.info("wrote %s and %s", snakemake.output.bimodal, snakemake.output.gaussian)
