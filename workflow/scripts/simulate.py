"""Adapter of rule simulate: unpack `snakemake`, run one chunk of parallel tempering, write its HDF5 file."""

import hashlib
import json
import logging
from pathlib import Path

from spinglass_ml.mcio import write_chunk
from spinglass_ml.simulation import simulate_chunk, temperature_grid

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
logger = logging.getLogger("simulate")

disorder = snakemake.wildcards.disorder
temps, run, seed = snakemake.params.temperatures, snakemake.params.run, snakemake.params.seed
kernel = snakemake.params.kernel
checkpoint = Path(snakemake.params.checkpoint)  # resumed only if its fingerprint matches this exact run

# Hash what determines the data; threads and checkpointing do not change it.
physics = json.dumps(
    {"disorder": disorder, "temperatures": temps, "run": run, "seed": seed, "kernel": kernel}, sort_keys=True
)
config_hash = hashlib.sha256(physics.encode()).hexdigest()
logger.info("chunk %s, config_hash %s, %d threads", physics, config_hash, snakemake.threads)

try:
    data = simulate_chunk(
        disorder=disorder,
        L=run["L"],
        temperatures=temperature_grid(temps["min"], temps["max"], temps["n"], temps["spacing"]),
        sweeps=run["sweeps"],
        n_con=run["n_con"],
        seed=seed,
        first_instance=run["first_instance"],
        n_instances=run["n_instances"],
        threads=snakemake.threads,
        checkpoint_path=str(checkpoint),
        # read from the config, not params: how often we checkpoint must not rerun finished chunks
        checkpoint_interval=snakemake.config["mc"]["checkpoint_interval"],
        progress=logger.info,
        kernel=kernel,
    )
    attrs = {k: run[k] for k in ("L", "sweeps", "first_instance", "n_instances", "n_con")}
    attrs.update(disorder=disorder, seed=seed, config_hash=config_hash)
    write_chunk(snakemake.output[0], data, attrs=attrs)
except Exception:
    logger.exception("simulate failed")  # the traceback also belongs in the job's log
    raise

checkpoint.unlink(missing_ok=True)  # the chunk is complete; keep only checkpoints of unfinished work
logger.info("wrote %s", snakemake.output[0])
