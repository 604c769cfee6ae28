"""Adapter of rule fig_adversarial: robust accuracy against epsilon and flipped sites, from the records."""

import json
import logging

import numpy as np

from spinglass_ml import plotting

logging.basicConfig(filename=snakemake.log[0], level=logging.WARNING, format="%(asctime)s %(message)s")
logger = logging.getLogger(snakemake.rule)
logger.setLevel(logging.INFO)  # the rule's own lines; libraries (fontTools) only warnings

docs = sorted((json.loads(open(path).read()) for path in snakemake.input.json), key=lambda d: d["L"])
attack = snakemake.params.attack
by_epsilon = {
    d["L"]: {m: (np.array(r["attacks"][attack]["epsilon"]), np.array(r["attacks"][attack]["robust_accuracy"]))
             for m, r in d["models"].items()}
    for d in docs
}  # fmt: skip
by_flips = {
    d["L"]: {
        m: (np.array(r["flips"]["k"]), np.array(r["flips"]["robust_accuracy"]))
        for m, r in d["models"].items()
    }
    for d in docs
}
logger.info("%s robust accuracy per L and model: %s", attack, {L: {m: list(c[1]) for m, c in by.items()}
                                                              for L, by in by_epsilon.items()})  # fmt: skip
largest = docs[-1]
by_temperature = {
    m: (np.array(r["by_temperature"]["T"]), np.array(r["by_temperature"]["pgd_fooled"], dtype=float))
    for m, r in largest["models"].items()
}  # None (no correct example at that T) becomes NaN: a gap
fig = plotting.adversarial_figure(
    by_epsilon,
    by_flips,
    by_temperature,
    threshold=largest["test_set"]["threshold"],
    report_epsilon=largest["settings"]["report_epsilon"],
    L_temperature=largest["L"],
    majority=max(max(f, 1 - f) for f in (d["test_set"]["label_1_fraction"] for d in docs)),
    attack=attack,
    n_test={d["L"]: d["test_set"]["examples"] for d in docs},
)
plotting.save(fig, snakemake.output.pdf, snakemake.output.png)
logger.info("wrote %s", snakemake.output.pdf)
