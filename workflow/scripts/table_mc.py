"""Adapter of rules table1 and table2: the Monte Carlo parameters of one disorder, as configured and run."""

from spinglass_ml.figures.tables import mc_table, write_csv, write_latex
from spinglass_ml.jobs import job

with job(snakemake) as log:
    p = snakemake.params
    table = mc_table(p.ensemble, p.disorder, p.conditions)
    write_csv(table, snakemake.output.csv)
    write_latex(table, snakemake.output.tex, label=f"tab:{snakemake.rule}")
    log.info("%s: %d sizes of mc.%s", snakemake.rule, len(table.rows), p.disorder)
