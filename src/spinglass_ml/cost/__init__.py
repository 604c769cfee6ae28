"""What a config costs before it runs: jobs, core-hours, wall time, disk and SLURM jobs, per stage.

``python -m spinglass_ml.cost --configfile config/paper.yaml [--cores N] [--json]``

Snakemake plans the jobs (:mod:`.plan`, a dry run of the whole study); each is priced from its rule, its
wildcards and the config at measured rates (:mod:`.pricing`, :mod:`.rates`); :mod:`.report` sums them per
stage and formats the result. The model, its assumptions and its accuracy: docs/performance.md.
"""
