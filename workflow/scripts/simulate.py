"""Adapter of rules simulate and simulate_chain_L<L>: one chunk of parallel tempering, written as its HDF5
file, and (chain rules) the chunks of its prefix data sets, output[1:]."""

from spinglass_ml.jobs import job
from spinglass_ml.mc.simulation import simulate_to_file

with job(snakemake) as log:
    p = snakemake.params
    simulate_to_file(
        snakemake.output[0],
        disorder=snakemake.wildcards.disorder,
        temperatures=p.temperatures,
        run=p.run,
        seed=p.seed,
        kernel=p.kernel,
        threads=snakemake.threads,
        checkpoint_path=p.checkpoint,  # resumed only if it holds this exact run
        # read from the config, not params: how often we checkpoint must not rerun finished chunks
        checkpoint_interval=snakemake.config["mc"]["checkpoint_interval"],
        progress=log.info,
        prefix_paths=dict(zip(p.get("prefixes", []), snakemake.output[1:], strict=True)),
    )
    log.info("wrote %s", snakemake.output[0])
