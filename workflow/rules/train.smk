rule train:
    """The Table III CNN for one (model, L): model k of its condition's seed ensemble, trained on Gaussian
    overlaps labelled by T > threshold."""
    input:
        chunks=train_chunks,
        init=adversarial_init,
    output:
        model=results("models/{model}/L{L}.keras"),
        history=results("models/{model}/L{L}.history.csv"),
        provenance=results("models/{model}/L{L}.provenance.json"),
        flips=results("models/{model}/L{L}.flips.npz"),
    log:
        results("logs/train/{model}/L{L}.log"),
    benchmark:
        results("benchmarks/train/{model}/L{L}.tsv")
    wildcard_constraints:
        model=CNN_MODEL,
    conda:
        "../../envs/ml.yaml"
    threads: config["ml"]["threads"]
    resources:
        mem_mb=4000,
        runtime=120,
        gpu=config["ml"]["gpus"],
    params:
        code=script_code("train"),
        condition=lambda w: split_model(w.model)[0],
        model_index=lambda w: split_model(w.model)[1],
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
    """The thermometer control for one L: a logistic regression on per-snapshot physical features, trained on
    the CNN's clean training split with its labels (by ml.threshold, or <T> for thermometer-<T>)."""
    input:
        chunks=equilibrated_chunks("gaussian"),
    output:
        model=results("models/{model}/L{L}.thermometer.json"),
        history=results("models/{model}/L{L}.history.csv"),
        provenance=results("models/{model}/L{L}.provenance.json"),
        flips=results("models/{model}/L{L}.flips.npz"),
    log:
        results("logs/train/{model}/L{L}.log"),
    benchmark:
        results("benchmarks/train/{model}/L{L}.tsv")
    wildcard_constraints:
        model=THERMOMETER_CONDITION,
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
