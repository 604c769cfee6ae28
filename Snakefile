# Machine learning in physics: the pitfalls of poisoned training sets -- the whole study as one DAG.
# Stages are included in pipeline order; the named targets below are what users ask for.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/simulate.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/predict.smk"
include: "workflow/rules/analyze.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/robustness.smk"


# Targets, and jobs of seconds (analyses, figures, tables): on a cluster these run where snakemake runs instead
# of waiting in the queue.
localrules:
    all,
    mc,
    models,
    predictions,
    summary,
    analyze,
    analyze_ensemble,
    analyze_threshold_response,
    analyze_physics,
    analyze_summary,
    equilibration,
    table1,
    table2,
    table3,
    fig1,
    fig2,
    fig3,
    fig_equilibration,
    fig_physics_reference,
    fig_dose_response,
    fig_adversarial,
    fig_activations,
    fig_tradeoff,
    fig_uncertainty,
    fig_training,
    fig_threshold_response,


rule all:
    """Every figure and table of the study, and everything they are made from."""
    input:
        mc_chunks("gaussian"),
        mc_chunks("bimodal"),
        ml_outputs(results("predictions/{model}/L{L}.csv")),
        expand(results("analysis/ensemble/{condition}.json"), condition=config["ml"]["conditions"]),
        results("analysis/physics_reference.json"),
        results("tables/summary.csv"),
        figure_outputs(
            "fig1",
            "fig2",
            "fig3",
            "fig_equilibration",
            "fig_physics_reference",
            "fig_dose_response",
            "fig_adversarial",
            "fig_activations",
            "fig_tradeoff",
            "fig_uncertainty",
            "fig_training",
            "fig_threshold_response",
        ),
        table_outputs("table1", "table2", "table3"),


rule mc:
    """Monte Carlo data of every configured size of both disorders."""
    input:
        mc_chunks("gaussian"),
        mc_chunks("bimodal"),


rule models:
    """Every trained model: per (condition, seed, L) the CNN, or the thermometer for thermometer conditions."""
    input:
        [model_file(m, L) for m in every_model() for L in ml_sizes()],


rule predictions:
    """Bimodal and held-out Gaussian predictions of every model."""
    input:
        ml_outputs(results("predictions/{model}/L{L}.csv")),
        ml_outputs(results("predictions/{model}/gaussian/L{L}.csv")),


rule summary:
    """T_c and nu of every condition and method, and of the physics reference (results/tables/summary.csv)."""
    input:
        results("tables/summary.csv"),
