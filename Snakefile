# Machine learning in physics: the pitfalls of poisoned training sets -- the whole study as one DAG.
# Stages are included in pipeline order; the named targets below are what users ask for.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/simulate.smk"


localrules:
    all,
    mc,


rule all:
    """Every output of the study (so far: the Monte Carlo data)."""
    input:
        mc_chunks("gaussian"),
        mc_chunks("bimodal"),


rule mc:
    """Monte Carlo data of every configured size of both disorders."""
    input:
        mc_chunks("gaussian"),
        mc_chunks("bimodal"),
