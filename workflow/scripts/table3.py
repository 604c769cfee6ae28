"""Adapter of rule table3: the CNN's architecture and training parameters, as configured and run."""

from spinglass_ml.figures.tables import cnn_table, write_csv, write_latex
from spinglass_ml.jobs import job
from spinglass_ml.provenance import installed_versions

with job(snakemake) as log:
    p = snakemake.params
    software = installed_versions(
        ("tensorflow", "tensorflow-cpu", "keras")
    )  # the TF build is named variously
    table = cnn_table(p.cnn, p.training, p.gpus, software)
    write_csv(table, snakemake.output.csv)
    write_latex(table, snakemake.output.tex, label="tab:table3")
    log.info("table3 written; software %s", software)
