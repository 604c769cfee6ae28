# The paper's figures and tables and the extension figures, each a named target (DESIGN.md "Targets by name").
# Figure rules only read stored results and draw; every output is in the report (snakemake --report).


rule table1:
    """Table I: parameters of the Gaussian training data, as configured (with each therm-* condition's sweeps)."""
    input:
        code=package_module("tables"),
    output:
        csv=report("results/tables/table1.csv", caption="../report/table1.rst", category="Tables"),
        tex="results/tables/table1.tex",
    log:
        "results/logs/tables/table1.log",
    conda:
        "../../envs/figures.yaml"
    params:
        disorder="gaussian",
        ensemble=config["mc"]["gaussian"],
        conditions=config["ml"]["conditions"],
    script:
        "../scripts/table_mc.py"


rule table2:
    """Table II: parameters of the bimodal prediction data, as configured."""
    input:
        code=package_module("tables"),
    output:
        csv=report("results/tables/table2.csv", caption="../report/table2.rst", category="Tables"),
        tex="results/tables/table2.tex",
    log:
        "results/logs/tables/table2.log",
    conda:
        "../../envs/figures.yaml"
    params:
        disorder="bimodal",
        ensemble=config["mc"]["bimodal"],
        conditions=[],
    script:
        "../scripts/table_mc.py"


rule table3:
    """Table III: the CNN and its training, as configured; software versions of the training environment."""
    input:
        code=package_module("tables"),
    output:
        csv=report("results/tables/table3.csv", caption="../report/table3.rst", category="Tables"),
        tex="results/tables/table3.tex",
    log:
        "results/logs/tables/table3.log",
    conda:
        "../../envs/ml.yaml"
    params:
        cnn=config["ml"]["cnn"],
        training=config["ml"]["training"],
        gpus=config["ml"]["gpus"],
    script:
        "../scripts/table3.py"


rule fig_equilibration:
    """Both sides of the Gaussian identity against log-binned sweeps, for every Gaussian data set."""
    input:
        chunks=gaussian_data_sets(),
        code=[package_module(m) for m in ("plotting", "diagnostics", "mcio")],
    output:
        pdf="results/figures/fig_equilibration.pdf",
        png=report("results/figures/fig_equilibration.png", caption="../report/fig_equilibration.rst",
                   category="Monte Carlo"),
    log:
        "results/logs/figures/fig_equilibration.log",
    benchmark:
        "results/benchmarks/figures/fig_equilibration.tsv"
    conda:
        "../../envs/figures.yaml"
    script:
        "../scripts/fig_equilibration.py"
