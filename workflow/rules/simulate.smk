rule simulate:
    """Parallel-tempering Monte Carlo of one chunk of disorder instances (two replicas per temperature)."""
    input:
        code=[
            package_module(m)
            for m in (
                "mc.simulation",
                "mc.state",
                "mc.schedule",
                "mc.checkpoint",
                "mc.chunks",
                "mc.lattice",
                "seeds",
            )
        ],
    output:
        "results/mc/{disorder}/L{L}/sweeps{sweeps}/chunk{chunk}.h5",
    log:
        "results/logs/mc/{disorder}/L{L}/sweeps{sweeps}/chunk{chunk}.log",
    benchmark:
        "results/benchmarks/mc/{disorder}/L{L}/sweeps{sweeps}/chunk{chunk}.tsv"
    conda:
        "../../envs/simulate.yaml"
    threads: simulate_threads
    resources:
        mem_mb=simulate_mem_mb,
        runtime=simulate_runtime,
    params:
        temperatures=simulate_temperatures,
        run=simulate_run,
        seed=config["seed"],
        kernel=config["mc"]["kernel"],
        # outside the output so that it survives a failed or killed job and the rerun resumes from it
        checkpoint="results/checkpoints/mc/{disorder}/L{L}/sweeps{sweeps}/chunk{chunk}.npz",
    script:
        "../scripts/simulate.py"
