"""Adapter of rule fig_uncertainty: Dx_i against Dp_i (last epoch, clean model) and the median product over
training, from the uncertainty records."""

import json
import logging

import numpy as np

from spinglass_ml import plotting

logging.basicConfig(filename=snakemake.log[0], level=logging.WARNING, format="%(asctime)s %(message)s")
logger = logging.getLogger(snakemake.rule)
logger.setLevel(logging.INFO)
spreads, medians = {}, {}
for json_path, npz_path in zip(snakemake.input.json, snakemake.input.npz, strict=True):
    doc = json.loads(open(json_path).read())
    L, bound, spaces = doc["L"], doc["bound"], list(doc["domains"])  # "input", "feature"
    arrays = np.load(npz_path)
    last = doc["models"]["clean"]["records"][-1]["epoch"]
    final = f"clean/epoch{last}"
    spreads[L] = {s: tuple(arrays[f"{final}/{s}/{k}"].ravel() for k in ("dx", "dp")) for s in spaces}
    medians[L] = {
        model: {
            s: (
                np.array([row["epoch"] for row in run["records"]]),
                np.array([row[f"{s}_product_median"] for row in run["records"]], float),
            )
            for s in spaces
        }
        for model, run in doc["models"].items()
    }
    logger.info("L=%d: median products at the last epoch %s", L,
                {m: {s: v[1][-1] for s, v in by.items()} for m, by in medians[L].items()})  # fmt: skip
plotting.save(plotting.uncertainty(spreads, medians, bound), snakemake.output.pdf, snakemake.output.png)
