rule train:
    input:
        chunks=train_chunks,
        init=adversarial_init,
    output:
        model=results("models/{condition}/L{L}.keras"),
        history=results("models/{condition}/L{L}.history.csv"),
        provenance=results("models/{condition}/L{L}.provenance.json"),
        flips=results("models/{condition}/L{L}.flips.npz"),
    log:
        results("logs/train/{condition}/L{L}.log"),
    benchmark:
        results("benchmarks/train/{condition}/L{L}.tsv")
    """The Table III CNN for one (condition, L), trained on Gaussian overlaps labelled by T > threshold."""
    wildcard_constraints:
        condition=CNN_CONDITION,
    conda:
        "../../envs/ml.yaml"
    threads: config["ml"]["threads"]
    resources:
        mem_mb=4000,
        runtime=120,
        gpu=config["ml"]["gpus"],
    params:
        code=script_code("train"),
        seed=config["seed"],
        threshold=train_threshold,
        validation_fraction=config["ml"]["validation_fraction"],
        sigmas=config["ml"]["equilibration_sigmas"],
        cnn=config["ml"]["cnn"],
        training=config["ml"]["training"],
        class_weight=config["ml"]["class_weight"],
        adversarial=adversarial_training,
    script:
        "../scripts/train.py"


rule train_thermometer:
    input:
        chunks=equilibrated_chunks("gaussian"),
    output:
        model=results("models/{condition}/L{L}.thermometer.json"),
        history=results("models/{condition}/L{L}.history.csv"),
        provenance=results("models/{condition}/L{L}.provenance.json"),
        flips=results("models/{condition}/L{L}.flips.npz"),
    log:
        results("logs/train/{condition}/L{L}.log"),
    benchmark:
        results("benchmarks/train/{condition}/L{L}.tsv")
    """The thermometer control for one L: a logistic regression on per-snapshot physical features, trained on
    the CNN's clean training split with its labels (by ml.threshold, or <T> for thermometer-<T>)."""
    wildcard_constraints:
        condition=THERMOMETER_CONDITION,
    conda:
        "../../envs/analyze.yaml"
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        code=script_code("train_thermometer"),
        seed=config["seed"],
        threshold=train_threshold,
        validation_fraction=config["ml"]["validation_fraction"],
        sigmas=config["ml"]["equilibration_sigmas"],
        settings=config["ml"]["thermometer"],
    script:
        "../scripts/train_thermometer.py"
