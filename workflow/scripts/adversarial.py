"""Adapter of rule adversarial: attack the clean and adv-<epsilon> models of one L on held-out Gaussian
snapshots, check their symmetries, and write the record."""

from spinglass_ml.jobs import job

with job(snakemake, tensorflow=True) as log:
    from spinglass_ml.robustness.adversarial import write_robustness_record

    p = snakemake.params
    write_robustness_record(
        snakemake.output[0], dict(zip(p.conditions, snakemake.input.models, strict=True)),
        dict(zip(p.conditions, snakemake.input.flips, strict=True)), list(snakemake.input.gaussian),
        p.settings, seed=p.seed, threshold=p.threshold, progress=log.info,
    )  # fmt: skip
    log.info("wrote %s", snakemake.output[0])
