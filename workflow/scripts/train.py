"""Adapter of rule train: gate the training data on equilibration, then train and save the CNN."""

from spinglass_ml.jobs import job
from spinglass_ml.mc.equilibration import equilibration_gate
from spinglass_ml.ml.conditions import parse_condition

with job(snakemake) as log:
    p, L = snakemake.params, int(snakemake.wildcards.L)
    condition = parse_condition(p.condition)
    chunks = list(snakemake.input.chunks)
    # clean and flip-* models need equilibrated data; therm-* is poisoned on purpose: record, go on
    failed = equilibration_gate(chunks, enforce=condition.kind != "therm", sigmas=p.sigmas)
    for line in failed:
        log.warning("equilibration check failed (recorded in the provenance): %s", line)

    from spinglass_ml.jobs import set_tensorflow_threads  # after the gate: a refused job skips TensorFlow
    from spinglass_ml.ml.train import train_condition
    from spinglass_ml.robustness.adversarial_training import fine_tuning

    set_tensorflow_threads(snakemake.threads)
    objective = {}
    if condition.kind == "adv":  # clean's model k, trained on for more steps on PGD examples of each batch
        init = snakemake.input.init[0]
        objective = fine_tuning(condition.value, p.adversarial, p.seed, L, init, p.model_index)
        log.info("adversarial training from %s", snakemake.input.init[0])
    extra = objective.pop("provenance_extra", {})
    train_condition(
        snakemake.output.model, chunks, str(condition), seed=p.seed, threshold=p.threshold,
        validation_fraction=p.validation_fraction, cnn=p.cnn, training=p.training, progress=log.info,
        provenance_extra={**extra, "equilibration_failures": failed},
        class_weight=None if p.class_weight == "none" else p.class_weight, model=p.model_index, **objective,
    )  # fmt: skip
    log.info("wrote %s", snakemake.output.model)
