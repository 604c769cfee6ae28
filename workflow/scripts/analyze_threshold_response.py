"""Adapter of rule analyze_threshold_response: the slope of the bimodal T_c against the label threshold, for
the CNN and the thermometer, with total errors."""

import json
from pathlib import Path

from spinglass_ml.jobs import job

with job(snakemake) as log:
    from spinglass_ml.analysis.threshold import threshold_response
    from spinglass_ml.ml.conditions import label_threshold, parse_condition

    analyses, conditions = {}, {}
    for family in ("cnn", "thermometer"):
        by_threshold = analyses.setdefault(family, {})
        for path in snakemake.input[family]:  # every model's file, in seed order within each condition
            record = json.loads(Path(path).read_text())
            x = label_threshold(parse_condition(record["condition"]), snakemake.params.threshold)
            by_threshold.setdefault(x, []).append(record)  # the bimodal analysis is at its top level
            conditions.setdefault(family, []).append(record["condition"])
        conditions[family] = list(dict.fromkeys(conditions.get(family, [])))
    result = threshold_response(analyses, conditions, min_valid_fraction=snakemake.params.min_valid_fraction)
    Path(snakemake.output[0]).write_text(json.dumps(result, indent=1))
    for family, slopes in result["slopes"].items():
        for name, e in slopes.items():
            log.info("%s slope of %s: %s, total error %s, seed spread %s (%s)", family, name, e["value"],
                     e["total_err"], e["seed_spread"], e["reason"])  # fmt: skip
