"""Adapter of rule fig_dose_response: T_c of every flip-* and therm-* condition against its dose."""

import json
import logging

from spinglass_ml import plotting
from spinglass_ml.poison import parse_condition

logging.basicConfig(filename=snakemake.log[0], level=logging.WARNING, format="%(asctime)s %(message)s")
logger = logging.getLogger(snakemake.rule)
logger.setLevel(logging.INFO)  # the rule's own lines; libraries (fontTools) only warnings
# two estimates of each analysis: the headline (T_c from the linear coefficient) and the data collapse's
METHODS = {"linear coefficient": lambda a: (a["Tc"], a["Tc_err"]),
           "collapse": lambda a: (a["collapse"]["Tc"], a["collapse"]["Tc_err"])}  # fmt: skip


def estimates(analysis):
    """Estimate name -> (T_c, error) of one analysis object; a failed analysis has no collapse section."""
    return {name: get(analysis) if "collapse" in analysis else (None, None) for name, get in METHODS.items()}


points = {"flip": {m: [] for m in METHODS}, "therm": {m: [] for m in METHODS}}
for path in snakemake.input.analyses:
    with open(path) as f:
        analysis = json.load(f)
    condition = parse_condition(analysis["condition"])
    for method, (Tc, err) in estimates(analysis).items():
        points[condition.kind][method].append((condition.value, Tc, err))
        logger.info("%s, %s: T_c = %s ± %s", condition, method, Tc, err)
with open(snakemake.input.clean) as f:
    clean = estimates(json.load(f))
by_dose = {
    kind: {m: sorted(p, key=lambda point: point[0]) for m, p in s.items()} for kind, s in points.items()
}
fig = plotting.dose_response_figure(by_dose["flip"], by_dose["therm"], clean)
plotting.save(fig, snakemake.output.pdf, snakemake.output.png)
