"""Adapter of rules table1 and table2: the Monte Carlo parameters of one disorder, as configured and run."""

import logging

from spinglass_ml.tables import mc_table, write_csv, write_latex

logging.basicConfig(filename=snakemake.log[0], level=logging.WARNING, format="%(asctime)s %(message)s")
logger = logging.getLogger(snakemake.rule)
logger.setLevel(logging.INFO)  # the rule's own lines; libraries (fontTools) only warnings
p = snakemake.params
table = mc_table(p.ensemble, p.disorder, p.conditions)
write_csv(table, snakemake.output.csv)
write_latex(table, snakemake.output.tex, label=f"tab:{snakemake.rule}")
logger.info("%s: %d sizes of mc.%s", snakemake.rule, len(table.rows), p.disorder)
