"""Adapter of rule fig_dose_response: T_c of every flip-* and therm-* condition against its dose."""

import json
import logging

from spinglass_ml import plotting
from spinglass_ml.poison import parse_condition

logging.basicConfig(filename=snakemake.log[0], level=logging.WARNING, format="%(asctime)s %(message)s")
logger = logging.getLogger(snakemake.rule)
logger.setLevel(logging.INFO)  # the rule's own lines; libraries (fontTools) only warnings
points = {"flip": [], "therm": []}
for path in snakemake.input.analyses:
    with open(path) as f:
        analysis = json.load(f)
    condition = parse_condition(analysis["condition"])
    points[condition.kind].append((condition.value, analysis["Tc"], analysis["Tc_err"]))
    logger.info("%s: T_c = %s ± %s (%s)", condition, analysis["Tc"], analysis["Tc_err"], analysis["reason"])
with open(snakemake.input.clean) as f:
    clean = json.load(f)
by_dose = {kind: sorted(p, key=lambda point: point[0]) for kind, p in points.items()}
fig = plotting.dose_response_figure(by_dose["flip"], by_dose["therm"], (clean["Tc"], clean["Tc_err"]))
plotting.save(fig, snakemake.output.pdf, snakemake.output.png)
