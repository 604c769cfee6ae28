"""Adapter of rule train_thermometer: gate the clean training data on equilibration, fit the thermometer
control and write it with the CNN's side files."""

from spinglass_ml.jobs import job
from spinglass_ml.mc.equilibration import equilibration_gate
from spinglass_ml.ml.thermometer import train_thermometer

with job(snakemake) as log:
    p = snakemake.params
    chunks = list(snakemake.input.chunks)
    failed = equilibration_gate(chunks, enforce=True, sigmas=p.sigmas)
    name = snakemake.wildcards.model
    train_thermometer(
        snakemake.output.model, chunks, seed=p.seed, threshold=p.threshold,
        validation_fraction=p.validation_fraction, settings=dict(p.settings), progress=log.info,
        provenance_extra={"condition": name, "equilibration_failures": failed},
    )  # fmt: skip
    log.info("wrote %s", snakemake.output.model)
