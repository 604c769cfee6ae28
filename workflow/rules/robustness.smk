# Robustness extensions of the CNN: adversarial attacks, and the accuracy-robustness trade-off with the
# neural-packet uncertainty relation. Each section belongs to one stage; rules only call the package.


# ---------------------------------------------------------------- adversarial
rule adversarial:
    """FGSM, PGD (with and without random start), MI-FGSM and greedy site flips against the clean and every
    adv-<epsilon> model of size L, on held-out Gaussian snapshots; symmetry violations and activation maps."""
    input:
        models=expand(results("models/{condition}/L{{L}}.keras"), condition=adversarial_conditions()),
        flips=expand(results("models/{condition}/L{{L}}.flips.npz"), condition=adversarial_conditions()),
        gaussian=equilibrated_chunks("gaussian"),
    output:
        results("robustness/adversarial/L{L}.json"),
    log:
        results("logs/robustness/adversarial/L{L}.log"),
    benchmark:
        results("benchmarks/robustness/adversarial/L{L}.tsv")
    conda:
        "../../envs/ml.yaml"
    threads: config["ml"]["threads"]
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        code=script_code("adversarial"),
        conditions=adversarial_conditions(),
        seed=config["seed"],
        threshold=config["ml"]["threshold"],
        settings=config["robustness"]["adversarial"]["evaluation"],
    script:
        "../scripts/adversarial.py"


rule fig_adversarial:
    """Robust accuracy against the PGD radius and against flipped sites, clean and adversarially trained,
    every L; the fooled fraction per temperature at the largest L."""
    input:
        json=adversarial_outputs(),
    output:
        pdf=results("figures/fig_adversarial.pdf"),
        png=report(
            results("figures/fig_adversarial.png"),
            caption="../report/fig_adversarial.rst",
            category="5 Robustness",
            labels={"name": "fig_adversarial"},
        ),
    log:
        results("logs/figures/fig_adversarial.log"),
    conda:
        "../../envs/figures.yaml"
    params:
        code=script_code("fig_adversarial"),
        attack="pgd",
    script:
        "../scripts/fig_adversarial.py"


rule fig_activations:
    """Mean convolution activations of ordered, disordered and adversarial snapshots, and the symmetry
    violations, clean and adversarially trained, at the largest L."""
    input:
        json=adversarial_outputs(),
    output:
        pdf=results("figures/fig_activations.pdf"),
        png=report(
            results("figures/fig_activations.png"),
            caption="../report/fig_activations.rst",
            category="5 Robustness",
            labels={"name": "fig_activations"},
        ),
    log:
        results("logs/figures/fig_activations.log"),
    conda:
        "../../envs/figures.yaml"
    params:
        code=script_code("fig_activations"),
    script:
        "../scripts/fig_activations.py"


# ---------------------------------------------------------------- trade-off and uncertainty relation
rule tradeoff:
    """A clean and an adversarially trained CNN of size L, probed after every epoch: test and PGD robust
    accuracy (input and feature space) and the neural packets' position and momentum spreads."""
    input:
        chunks=equilibrated_chunks("gaussian"),
    output:
        json=results("robustness/tradeoff/L{L}.json"),
        npz=results("robustness/tradeoff/L{L}.npz"),
    log:
        results("logs/robustness/tradeoff/L{L}.log"),
    benchmark:
        results("benchmarks/robustness/tradeoff/L{L}.tsv")
    conda:
        "../../envs/ml.yaml"
    threads: config["ml"]["threads"]
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        code=script_code("tradeoff"),
        seed=config["seed"],
        threshold=config["ml"]["threshold"],
        validation_fraction=config["ml"]["validation_fraction"],
        cnn=config["ml"]["cnn"],
        batch_size=config["ml"]["training"]["batch_size"],
        shuffle_buffer=config["ml"]["training"]["shuffle_buffer"],
        uncertainty=config["robustness"]["uncertainty"],
    script:
        "../scripts/tradeoff.py"


rule fig_tradeoff:
    """Test and PGD robust accuracy after every epoch, clean and adversarially trained models, every L."""
    input:
        json=tradeoff_outputs("json"),
    output:
        pdf=results("figures/fig_tradeoff.pdf"),
        png=report(
            results("figures/fig_tradeoff.png"),
            caption="../report/fig_tradeoff.rst",
            category="5 Robustness",
            labels={"name": "fig_tradeoff"},
        ),
    log:
        results("logs/figures/fig_tradeoff.log"),
    conda:
        "../../envs/figures.yaml"
    params:
        code=script_code("fig_tradeoff"),
    script:
        "../scripts/fig_tradeoff.py"


rule fig_uncertainty:
    """Dx_i against Dp_i of every site (input) and feature, with the claimed bound Dx Dp = 1/2."""
    input:
        json=tradeoff_outputs("json"),
        npz=tradeoff_outputs("npz"),
    output:
        pdf=results("figures/fig_uncertainty.pdf"),
        png=report(
            results("figures/fig_uncertainty.png"),
            caption="../report/fig_uncertainty.rst",
            category="5 Robustness",
            labels={"name": "fig_uncertainty"},
        ),
    log:
        results("logs/figures/fig_uncertainty.log"),
    conda:
        "../../envs/figures.yaml"
    params:
        code=script_code("fig_uncertainty"),
    script:
        "../scripts/fig_uncertainty.py"
