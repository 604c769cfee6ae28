"""Every job of a config, as Snakemake plans it: a dry run of the whole study in a checkout without results.

The workflow decides which jobs exist (chunks, conditions, seeds, sizes, robustness stages); this module only
records what the dry run reports of each: rule, wildcards, threads, files and whether it is a local rule (run
where snakemake runs, never submitted to SLURM).
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# far more cores than any job asks for, so that the dry run reports each job's own threads uncapped
_UNCAPPED_CORES = 1 << 16
# what a scratch working directory leaves out of the checkout: what has been computed, and its metadata
_COMPUTED = ("results", ".snakemake")


@dataclass(frozen=True)
class PlannedJob:
    """One job of the dry run: its rule, wildcards (strings, as Snakemake gives them), threads as
    requested, input and output paths (relative to the working directory), benchmark file, and ``local``:
    a local rule, which never reaches a cluster queue."""

    rule: str
    wildcards: Mapping[str, str]
    threads: int
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    benchmark: str | None
    local: bool


@dataclass(frozen=True)
class Plan:
    """The jobs of a whole study, and the config they were planned from (merged with the Snakefile's
    default config file, validated and with the schema's defaults filled in, as the rules see it)."""

    jobs: tuple[PlannedJob, ...]
    config: Mapping[str, Any]


class _JobInfo(logging.Handler):
    """Collects the job records Snakemake logs during a dry run."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        from snakemake_interface_logger_plugins.common import LogEvent

        if getattr(record, "event", None) == LogEvent.JOB_INFO:
            self.records.append(record)


def _is_local(workflow: Any, rule_name: str) -> bool:
    """Snakemake's Workflow.is_local without its shortcut for local executors (a dry run is one): a rule
    listed under ``localrules`` (or flagged ``localrule: True``), or one without anything to run."""
    rule = workflow.get_rule(rule_name)
    return rule.group is None and (rule.name in workflow._localrules or rule.norun or rule.is_template_engine)


def _scratch_checkout(root: Path, folder: Path) -> None:
    """Links in ``folder`` to every top-level entry of the checkout ``root`` but :data:`_COMPUTED`: files the
    workflow reads relative to its working directory (the Snakefile's default config file) resolve as in
    the checkout, and nothing is computed yet."""
    for entry in root.iterdir():
        if entry.name not in _COMPUTED:
            (folder / entry.name).symlink_to(entry)


def plan_study(configfile: str | Path | Sequence[str | Path], snakefile: str | Path = "Snakefile") -> Plan:
    """Dry-run ``snakefile`` with ``configfile`` (one file, or several merged in order as ``--configfile A B``
    merges them) as if from the root of its checkout, but in a scratch working directory without results
    (:func:`_scratch_checkout`), so that every job of the study is planned whatever has been computed already;
    Snakemake's own output is suppressed.

    Raises what Snakemake raises for an invalid config or workflow (the config checks of the workflow name
    every offending key).
    """
    from snakemake.api import SnakemakeApi
    from snakemake.logging import logger
    from snakemake.settings.types import ConfigSettings, DAGSettings, OutputSettings, ResourceSettings

    files = [configfile] if isinstance(configfile, str | Path) else list(configfile)
    configfiles, snakefile = [Path(f).absolute() for f in files], Path(snakefile).absolute()
    collector = _JobInfo()
    cwd = Path.cwd()
    try:
        with tempfile.TemporaryDirectory(prefix="spinglass-cost-") as tmp, SnakemakeApi(
            OutputSettings(dryrun=True, enable_file_logging=False)
        ) as api:  # fmt: skip
            _scratch_checkout(snakefile.parent, Path(tmp))
            workflow_api = api.workflow(
                resource_settings=ResourceSettings(cores=_UNCAPPED_CORES),
                config_settings=ConfigSettings(configfiles=configfiles),
                snakefile=snakefile,
                workdir=Path(tmp),
            )
            for handler in list(logger.handlers):
                logger.removeHandler(handler)
            logger.addHandler(collector)
            workflow_api.dag(DAGSettings()).execute_workflow(executor="dryrun")
            workflow = workflow_api._workflow  # the planned workflow: its local rules and final config
            jobs = tuple(
                PlannedJob(
                    rule=r.rule_name,
                    wildcards=dict(r.wildcards or {}),
                    threads=int(r.threads),
                    inputs=tuple(r.input),
                    outputs=tuple(r.output),
                    benchmark=r.benchmark,
                    local=_is_local(workflow, r.rule_name),
                )
                for r in collector.records
            )
            return Plan(jobs=jobs, config=workflow.config)
    finally:
        logger.removeHandler(collector)
        os.chdir(cwd)
