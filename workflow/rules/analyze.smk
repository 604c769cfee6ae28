rule analyze:
    """Finite-size scaling of one model's p(T, L): bootstrap curves, crossings, nu_ml from the maxima of
    dp/dT, T_c from the linear coefficient, the cubic collapse, each with its bootstrap replicas (for the seed
    ensemble); and the crossings of its held-out Gaussian predictions (a sanity check)."""
    input:
        bimodal=expand(results("predictions/{{model}}/L{L}.csv"), L=ml_sizes()),
        gaussian=expand(results("predictions/{{model}}/gaussian/L{L}.csv"), L=ml_sizes()),
    output:
        results("analysis/{model}.json"),
    log:
        results("logs/analyze/{model}.log"),
    benchmark:
        results("benchmarks/analyze/{model}.tsv")
    conda:
        "../../envs/analyze.yaml"
    params:
        code=script_code("analyze"),
        condition=lambda w: split_model(w.model)[0],
        analysis=config["analysis"],
        seed=config["seed"],
        sizes=ml_sizes(),
    script:
        "../scripts/analyze.py"


rule analyze_ensemble:
    """One condition's seed ensemble: every estimate's per-seed values, seed spread and total error
    (disorder and training randomness), and its paired shift from clean (model k against clean's model k)."""
    input:
        analyses=lambda w: seed_analyses(w.condition),
        clean=seed_analyses("clean"),
    output:
        results("analysis/ensemble/{condition}.json"),
    log:
        results("logs/analyze/ensemble/{condition}.log"),
    conda:
        "../../envs/analyze.yaml"
    params:
        code=script_code("analyze_ensemble"),
        min_valid_fraction=config["analysis"]["min_valid_fraction"],
    script:
        "../scripts/analyze_ensemble.py"


rule analyze_threshold_response:
    """The threshold control's verdict: the slope of the bimodal T_c against the label threshold, per seed and
    resample, for the CNN (clean and threshold-<T>) and the thermometers, with total errors."""
    input:
        cnn=threshold_analyses("cnn"),
        thermometer=threshold_analyses("thermometer"),
    output:
        results("analysis/threshold_response.json"),
    log:
        results("logs/analyze/threshold_response.log"),
    conda:
        "../../envs/analyze.yaml"
    params:
        code=script_code("analyze_threshold_response"),
        threshold=config["ml"]["threshold"],
        min_valid_fraction=config["analysis"]["min_valid_fraction"],
    script:
        "../scripts/analyze_threshold_response.py"


rule analyze_physics:
    """The physics reference from the same Monte Carlo data: Binder ratio and xi_L/L of both disorders, their
    crossings, derivative maxima, linear coefficient and collapse, with bootstrap errors."""
    input:
        bimodal=mc_chunks("bimodal"),
        gaussian=mc_chunks("gaussian"),
    output:
        results("analysis/physics_reference.json"),
    log:
        results("logs/analyze/physics_reference.log"),
    benchmark:
        results("benchmarks/analyze/physics_reference.tsv")
    conda:
        "../../envs/analyze.yaml"
    params:
        code=script_code("analyze_physics"),
        analysis=config["analysis"],
        seed=config["seed"],
    script:
        "../scripts/analyze_physics.py"


rule analyze_summary:
    """One row per (condition, method) and per physics-reference method: T_c, nu with total errors, the seed
    spread, the paired shift from clean, or the reason there is none."""
    input:
        conditions=expand(results("analysis/ensemble/{condition}.json"), condition=config["ml"]["conditions"]),
        physics=results("analysis/physics_reference.json"),
    output:
        csv=results("tables/summary.csv"),
        rounded=report(
            results("tables/summary_rounded.csv"),
            caption="../report/summary.rst",
            category="6 Tables",
            labels={"name": "summary"},
        ),
    log:
        results("logs/analyze/summary.log"),
    conda:
        "../../envs/analyze.yaml"
    params:
        code=script_code("analyze_summary"),
    script:
        "../scripts/analyze_summary.py"


rule equilibration:
    """The equilibration checks of every Monte Carlo data set of the study (log bins; the Gaussian identity),
    and both sides of the identity per log bin for fig_equilibration."""
    input:
        gaussian=gaussian_data_sets(),
        bimodal=mc_chunks("bimodal"),
    output:
        results("analysis/equilibration.json"),
    log:
        results("logs/analyze/equilibration.log"),
    benchmark:
        results("benchmarks/analyze/equilibration.tsv")
    conda:
        "../../envs/analyze.yaml"
    params:
        code=script_code("equilibration"),
        sigmas=config["ml"]["equilibration_sigmas"],
    script:
        "../scripts/equilibration.py"
