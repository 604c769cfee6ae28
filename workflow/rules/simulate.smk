rule simulate:
    """Parallel-tempering Monte Carlo of one chunk of disorder instances (two replicas per temperature)."""
    output:
        # read-only once written: a rerun must be asked for by deleting the file (docs/workflow.md)
        protected(results("mc/{disorder}/L{L}/sweeps{sweeps}/chunk{chunk}.h5")),
    log:
        results("logs/mc/{disorder}/L{L}/sweeps{sweeps}/chunk{chunk}.log"),
    benchmark:
        results("benchmarks/mc/{disorder}/L{L}/sweeps{sweeps}/chunk{chunk}.tsv")
    conda:
        "../../envs/simulate.yaml"
    threads: simulate_threads
    resources:
        mem_mb=simulate_mem_mb,
        runtime=simulate_runtime,
    params:
        # the version of the sampled chains, not a digest of the code: a refactor reruns no Monte Carlo
        chain=CHAIN_VERSION,
        # the version of the chunk contract: chunks of an older format (without logbins/q2) are simulated again
        format=FORMAT_VERSION,
        temperatures=simulate_temperatures,
        run=simulate_run,
        seed=config["seed"],
        kernel=config["mc"]["kernel"],
        # outside the output so that it survives a failed or killed job and the rerun resumes from it
        checkpoint=results("checkpoints/mc/{disorder}/L{L}/sweeps{sweeps}/chunk{chunk}.npz"),
    script:
        "../scripts/simulate.py"
