rule predict:
    """p(high T) of every bimodal snapshot of size L, averaged per (instance, T); and of the held-out Gaussian
    instances (a sanity check whose curves should cross near the training threshold)."""
    input:
        model=model_input,
        flips=results("models/{model}/L{L}.flips.npz"),
        bimodal=prediction_chunks,
        gaussian=equilibrated_chunks("gaussian"),
    output:
        bimodal=results("predictions/{model}/L{L}.csv"),
        gaussian=results("predictions/{model}/gaussian/L{L}.csv"),
    log:
        results("logs/predict/{model}/L{L}.log"),
    benchmark:
        results("benchmarks/predict/{model}/L{L}.tsv")
    conda:
        "../../envs/ml.yaml"
    threads: config["ml"]["threads"]
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        code=script_code("predict"),
        batch_size=config["ml"]["training"]["batch_size"],
    script:
        "../scripts/predict.py"
