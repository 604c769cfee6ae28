"""Adapter of rule table3: the CNN's architecture and training parameters, as configured and run."""

import logging
from importlib.metadata import PackageNotFoundError, version

from spinglass_ml.tables import cnn_table, write_csv, write_latex

logging.basicConfig(filename=snakemake.log[0], level=logging.WARNING, format="%(asctime)s %(message)s")
logger = logging.getLogger(snakemake.rule)
logger.setLevel(logging.INFO)  # the rule's own lines; libraries (fontTools) only warnings


def installed(names):
    """Versions of the installed distributions among `names` (the TensorFlow build is named variously)."""
    found = {}
    for name in names:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            continue
    return found


p = snakemake.params
software = installed(("tensorflow", "tensorflow-cpu", "keras"))
table = cnn_table(p.cnn, p.training, p.gpus, software)
write_csv(table, snakemake.output.csv)
write_latex(table, snakemake.output.tex, label="tab:table3")
logger.info("table3 written; software %s", software)
