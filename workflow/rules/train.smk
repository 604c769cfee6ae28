rule train:
    """The Table III CNN for one (condition, L), trained on Gaussian overlaps labelled by T > threshold."""
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
        adversarial=adversarial_training,
    script:
        "../scripts/train.py"
