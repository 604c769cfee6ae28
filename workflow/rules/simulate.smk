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


# Gaussian sizes with therm-<fraction> conditions: their reduced-sweep data sets are the first sweeps of the
# full run's chains (the same instance seeds), recorded on the way by the same job (spinglass_ml.mc.prefixes)
# instead of simulated again. One rule per such size, named simulate_chain_L<L>, writes the full data set's
# chunk and the prefixes' chunks, each the file a run of its own sweeps writes; rule simulate keeps the rest.
for chain_L, chain_sweeps, chain_prefixes in therm_chains():
    chain_of = chain_wildcards(chain_L, chain_sweeps)

    rule:
        name:
            f"simulate_chain_L{chain_L}"
        input:
            unless_simulated_alone(chain_L, chain_sweeps, chain_prefixes),
        output:
            *[
                protected(results(f"mc/{{disorder}}/L{chain_L}/sweeps{s}/chunk{{chunk}}.h5"))
                for s in [chain_sweeps, *chain_prefixes]
            ],
        log:
            results(f"logs/mc/{{disorder}}/L{chain_L}/sweeps{chain_sweeps}/chunk{{chunk}}.log"),
        benchmark:
            results(f"benchmarks/mc/{{disorder}}/L{chain_L}/sweeps{chain_sweeps}/chunk{{chunk}}.tsv")
        wildcard_constraints:
            disorder="gaussian",
        conda:
            "../../envs/simulate.yaml"
        threads: lambda w, chain=chain_of: simulate_threads(chain(w))
        resources:
            mem_mb=lambda w, chain=chain_of, n=len(chain_prefixes): (1 + n) * simulate_mem_mb(chain(w)),
            runtime=lambda w, threads, attempt, chain=chain_of: simulate_runtime(chain(w), threads, attempt),
        params:
            chain=CHAIN_VERSION,
            format=FORMAT_VERSION,
            temperatures=simulate_temperatures,
            run=lambda w, chain=chain_of: simulate_run(chain(w)),
            seed=config["seed"],
            kernel=config["mc"]["kernel"],
            checkpoint=results(
                f"checkpoints/mc/{{disorder}}/L{chain_L}/sweeps{chain_sweeps}/chunk{{chunk}}.npz"
            ),
            # the sweeps of output[1:]
            prefixes=chain_prefixes,
        script:
            "../scripts/simulate.py"

    workflow.ruleorder(f"simulate_chain_L{chain_L}", "simulate")
