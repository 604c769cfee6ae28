"""Adapter of rule fig_uncertainty: Dx_i against Dp_i (last epoch, clean model) and the median product over
training, from the trade-off records."""

from spinglass_ml.jobs import job

with job(snakemake) as log:
    from spinglass_ml.figures import robustness, style
    from spinglass_ml.robustness.records import read_packet_spreads

    series = read_packet_spreads(snakemake.input.json, snakemake.input.npz)
    for L, by_model in series["medians"].items():
        log.info("L=%d: median products at the last epoch %s", L,
                 {m: {s: v[1][-1] for s, v in by.items()} for m, by in by_model.items()})  # fmt: skip
    style.save(robustness.uncertainty(**series), snakemake.output.pdf, snakemake.output.png)
