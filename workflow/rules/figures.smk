# The paper's figures and tables and the extension figures, each a named target (README, "Targets").
# Figure rules only read stored results and draw; every output is in the report (snakemake --report).


rule table1:
    """Table I: parameters of the Gaussian training data, as configured (with each therm-* condition's sweeps)."""
    output:
        csv=report(
            results("tables/table1.csv"),
            caption="../report/table1.rst",
            category="6 Tables",
            labels={"name": "table1"},
        ),
        tex=results("tables/table1.tex"),
    log:
        results("logs/tables/table1.log"),
    conda:
        "../../envs/figures.yaml"
    params:
        code=script_code("table_mc"),
        disorder="gaussian",
        ensemble=config["mc"]["gaussian"],
        conditions=conditions_of("therm"),
    script:
        "../scripts/table_mc.py"


rule table2:
    """Table II: parameters of the bimodal prediction data, as configured."""
    output:
        csv=report(
            results("tables/table2.csv"),
            caption="../report/table2.rst",
            category="6 Tables",
            labels={"name": "table2"},
        ),
        tex=results("tables/table2.tex"),
    log:
        results("logs/tables/table2.log"),
    conda:
        "../../envs/figures.yaml"
    params:
        code=script_code("table_mc"),
        disorder="bimodal",
        ensemble=config["mc"]["bimodal"],
        conditions=[],
    script:
        "../scripts/table_mc.py"


rule table3:
    """Table III: the CNN and its training, as configured; software versions of the training environment."""
    output:
        csv=report(
            results("tables/table3.csv"),
            caption="../report/table3.rst",
            category="6 Tables",
            labels={"name": "table3"},
        ),
        tex=results("tables/table3.tex"),
    log:
        results("logs/tables/table3.log"),
    conda:
        "../../envs/ml.yaml"
    params:
        code=script_code("table3"),
        cnn=config["ml"]["cnn"],
        training=config["ml"]["training"],
        gpus=config["ml"]["gpus"],
    script:
        "../scripts/table3.py"


rule fig_equilibration:
    """Both sides of the Gaussian identity against log-binned sweeps, for every Gaussian data set."""
    input:
        equilibration=results("analysis/equilibration.json"),
    output:
        pdf=results("figures/fig_equilibration.pdf"),
        png=report(
            results("figures/fig_equilibration.png"),
            caption="../report/fig_equilibration.rst",
            category="1 Monte Carlo",
            labels={"name": "fig_equilibration"},
        ),
    log:
        results("logs/figures/fig_equilibration.log"),
    benchmark:
        results("benchmarks/figures/fig_equilibration.tsv")
    conda:
        "../../envs/figures.yaml"
    params:
        code=script_code("fig_equilibration"),
    script:
        "../scripts/fig_equilibration.py"


rule fig1:
    """Fig. 1 for the clean condition: p(T, L), the ν_ml fit, the linear coefficient with T_c, the collapse."""
    input:
        analysis=results("analysis/clean.json"),
    output:
        pdf=results("figures/fig1.pdf"),
        png=report(
            results("figures/fig1.png"),
            caption="../report/fig1.rst",
            category="3 Paper figures",
            labels={"name": "fig1"},
        ),
    log:
        results("logs/figures/fig1.log"),
    conda:
        "../../envs/figures.yaml"
    params:
        code=script_code("fig1"),
    script:
        "../scripts/fig1.py"


rule fig2:
    """Fig. 2: p(T, L) of the label-flip condition figures.fig2, beside the clean T_c."""
    input:
        analysis=f"{RESULTS}/analysis/{config['figures']['fig2']}.json",
        clean=results("analysis/ensemble/clean.json"),
    output:
        pdf=results("figures/fig2.pdf"),
        png=report(
            results("figures/fig2.png"),
            caption="../report/fig2.rst",
            category="3 Paper figures",
            labels={"name": "fig2"},
        ),
    log:
        results("logs/figures/fig2.log"),
    conda:
        "../../envs/figures.yaml"
    params:
        code=script_code("fig_condition"),
        condition=config["figures"]["fig2"],
    script:
        "../scripts/fig_condition.py"


rule fig3:
    """Fig. 3: p(T, L) of the under-thermalised condition figures.fig3, beside the clean T_c."""
    input:
        analysis=f"{RESULTS}/analysis/{config['figures']['fig3']}.json",
        clean=results("analysis/ensemble/clean.json"),
    output:
        pdf=results("figures/fig3.pdf"),
        png=report(
            results("figures/fig3.png"),
            caption="../report/fig3.rst",
            category="3 Paper figures",
            labels={"name": "fig3"},
        ),
    log:
        results("logs/figures/fig3.log"),
    conda:
        "../../envs/figures.yaml"
    params:
        code=script_code("fig_condition"),
        condition=config["figures"]["fig3"],
    script:
        "../scripts/fig_condition.py"


rule fig_physics_reference:
    """Binder-ratio and ξ_L/L crossings of the bimodal data, with the CNN's T_c and published values beside."""
    input:
        reference=results("analysis/physics_reference.json"),
        clean=results("analysis/ensemble/clean.json"),
    output:
        pdf=results("figures/fig_physics_reference.pdf"),
        png=report(
            results("figures/fig_physics_reference.png"),
            caption="../report/fig_physics_reference.rst",
            category="4 Analysis",
            labels={"name": "fig_physics_reference"},
        ),
    log:
        results("logs/figures/fig_physics_reference.log"),
    conda:
        "../../envs/figures.yaml"
    params:
        code=script_code("fig_physics_reference"),
        literature=config["figures"]["literature"],
    script:
        "../scripts/fig_physics_reference.py"


rule fig_dose_response:
    """The paired shift of T_c from clean against the flip rate and the thermalisation fraction, over every
    such condition of ml.conditions, with total errors."""
    input:
        ensembles=condition_ensembles("flip", "therm"),
        clean=results("analysis/ensemble/clean.json"),
    output:
        pdf=results("figures/fig_dose_response.pdf"),
        png=report(
            results("figures/fig_dose_response.png"),
            caption="../report/fig_dose_response.rst",
            category="4 Analysis",
            labels={"name": "fig_dose_response"},
        ),
    log:
        results("logs/figures/fig_dose_response.log"),
    conda:
        "../../envs/figures.yaml"
    params:
        code=script_code("fig_dose_response"),
    script:
        "../scripts/fig_dose_response.py"


rule fig_training:
    """Loss and accuracies per logged step of every (condition, L) model."""
    input:
        histories=expand(
            results("models/{condition}/L{L}.history.csv"),
            condition=config["ml"]["conditions"],
            L=ml_sizes(),
        ),
    output:
        pdf=results("figures/fig_training.pdf"),
        png=report(
            results("figures/fig_training.png"),
            caption="../report/fig_training.rst",
            category="2 Machine learning",
            labels={"name": "fig_training"},
        ),
    log:
        results("logs/figures/fig_training.log"),
    conda:
        "../../envs/figures.yaml"
    params:
        conditions=config["ml"]["conditions"],
        sizes=ml_sizes(),
        code=script_code("fig_training"),
    script:
        "../scripts/fig_training.py"


rule fig_threshold_response:
    """Bimodal T_c against the training label threshold, CNN and thermometer, beside the physical T_c."""
    input:
        ensembles=condition_ensembles("clean", "threshold", "thermometer"),
        reference=results("analysis/physics_reference.json"),
        slopes=results("analysis/threshold_response.json"),
    output:
        pdf=results("figures/fig_threshold_response.pdf"),
        png=report(
            results("figures/fig_threshold_response.png"),
            caption="../report/fig_threshold_response.rst",
            category="4 Analysis",
            labels={"name": "fig_threshold_response"},
        ),
    log:
        results("logs/figures/fig_threshold_response.log"),
    conda:
        "../../envs/figures.yaml"
    params:
        threshold=config["ml"]["threshold"],
        code=script_code("fig_threshold_response"),
    script:
        "../scripts/fig_threshold_response.py"
