"""The command line: ``python -m spinglass_ml.cost --configfile FILE [FILE ...] [--cores N] [--json]``."""

from __future__ import annotations

import argparse
import json

from spinglass_ml.cost import __doc__ as package_doc
from spinglass_ml.cost.plan import plan_study
from spinglass_ml.cost.rates import load_rates
from spinglass_ml.cost.report import estimate, format_table
from spinglass_ml.mc.simulation import available_cpus


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m spinglass_ml.cost", description=package_doc.split("\n\n")[0])
    p.add_argument(
        "--configfile",
        required=True,
        nargs="+",
        help="the config to price (several: merged in order), as given to snakemake",
    )
    p.add_argument(
        "--snakefile", default="Snakefile", help="the workflow (default: Snakefile, from the root)"
    )
    p.add_argument(
        "--cores", type=int, default=None, help="cores for the wall times (default: this machine's)"
    )
    p.add_argument("--json", action="store_true", help="print the estimate as JSON")
    p.add_argument(
        "--benchmark", help="JSON of python -m spinglass_ml.mc.benchmark --json (default: built in)"
    )
    p.add_argument(
        "--train-benchmark",
        help="JSON of python -m spinglass_ml.ml.train_benchmark --json (default: built in)",
    )
    a = p.parse_args(argv)
    cores = a.cores or available_cpus()
    if cores < 1:
        p.error("--cores: need at least 1")
    from snakemake_interface_common.exceptions import ApiError, WorkflowError

    try:  # an invalid config (its message names every offending key) or a missing Snakefile: no traceback
        plan = plan_study(a.configfile, a.snakefile)
    except (ValueError, ApiError, WorkflowError) as err:
        p.exit(1, f"{p.prog}: {err}\n")
    est = estimate(plan, load_rates(a.benchmark, a.train_benchmark), cores, " ".join(a.configfile))
    print(json.dumps(est, indent=1) if a.json else format_table(est))


if __name__ == "__main__":
    main()
