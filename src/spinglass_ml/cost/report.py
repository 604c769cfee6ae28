"""The estimate of a planned study, per stage and per Monte Carlo data set: a dict (``--json``) or a table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from spinglass_ml.cost.plan import Plan, PlannedJob
from spinglass_ml.cost.pricing import (
    DISORDERS,
    STAGES,
    Chunk,
    Price,
    attempts,
    is_priced,
    kernel_path,
    price_job,
    stage_of,
)
from spinglass_ml.cost.rates import JOB_OVERHEAD, Rates


@dataclass(frozen=True)
class PricedJob:
    """A planned job and its price."""

    job: PlannedJob
    price: Price

    def core_s(self) -> float:
        """Core-seconds at the requested threads (what a cluster allocates)."""
        return self.job.threads * self.price.wall_s(self.job.threads)


def price_plan(plan: Plan, rates: Rates) -> list[PricedJob]:
    """Every job of the plan with its price."""
    return [PricedJob(job, price_job(job, plan.config, rates)) for job in plan.jobs]


def wall_s(jobs: Sequence[PricedJob], cores: int) -> float:
    """Wall seconds of a set of independent jobs on ``cores`` cores, each at min(its threads, cores) threads
    (Snakemake's cap): their core-seconds over the cores, or the longest job if that is longer."""
    if not jobs:
        return 0.0
    walls = [(min(j.job.threads, cores), j.price.wall_s(min(j.job.threads, cores))) for j in jobs]
    return max(sum(t * w for t, w in walls) / cores, max(w for _, w in walls))


def _summary(jobs: Sequence[PricedJob], cores: int) -> dict[str, Any]:
    return {
        "jobs": len(jobs),
        "slurm_jobs": sum(not j.job.local for j in jobs),
        "core_hours": sum(j.core_s() for j in jobs) / 3600,
        "wall_hours": wall_s(jobs, cores) / 3600,
    }


def assumptions(rates: Rates, cores: int) -> list[str]:
    """The model's assumptions, in words, for the output."""
    overhead = ", ".join(f"{path} x{factor}" for path, factor in JOB_OVERHEAD.items())
    mc = rates.mc_source or "the 2026-12-02 kernel benchmark (built in)"
    train = rates.train_source or "the 2026-11-23 training benchmark (built in)"
    return [
        f"Monte Carlo: single-thread ns per attempt of {mc} at the nearest measured L, x the whole-job "
        f"overhead ({overhead}), plus start-up; threads scale linearly",
        f"CNN jobs on CPUs at the rates of {train} (GPUs not modelled); a forward pass costs 1/3 of a "
        "training example; reading overlaps at the streaming rate's extra time over the cached one",
        "start-up per job (interpreter, TensorFlow, tracing) and analyses, figures and tables: as measured "
        "on config/tiny.yaml",
        f"wall on {cores} cores: stages one after another, each its core-seconds / {cores} or its longest "
        "job, whichever is longer (Snakemake overlaps stages; its own scheduling time is not counted)",
        "disk: chunk files uncompressed (the overlaps are gzip-compressed in the files, several-fold "
        "smaller); models, predictions, logs and checkpoints not counted",
        "SLURM jobs: one per job of a non-local rule; retries after a time limit not counted",
    ]


def estimate(plan: Plan, rates: Rates, cores: int, configfile: str = "") -> dict[str, Any]:
    """The estimate as a JSON-able dict: ``stages`` (jobs, SLURM jobs, core-hours, wall hours on ``cores``
    cores), ``monte_carlo`` (per disorder, L and sweeps: kernel path, attempts, disk bytes), ``total``,
    ``disk``, ``assumptions`` and ``unknown_rules`` (priced as an analysis each)."""
    priced = price_plan(plan, rates)
    stages = {s: [j for j in priced if stage_of(j.job.rule) == s] for s in STAGES}
    # per data set its chunks, each with the job that pays for it: a chain job pays for its full run's chunk
    # (output 0); its prefix data sets' chunks (the other outputs) cost no sweeps of their own
    data_sets: dict[tuple[str, int, int], list[tuple[PricedJob | None, Chunk]]] = {}
    for j in stages["Monte Carlo"]:
        for k, path in enumerate(j.job.outputs):
            chunk = Chunk.of_path(path, plan.config)
            data_sets.setdefault((chunk.disorder, chunk.L, chunk.sweeps), []).append(
                (j if k == 0 else None, chunk)
            )
    monte_carlo = []
    order = {d: k for k, d in enumerate(DISORDERS)}
    for (disorder, L, sweeps), members in sorted(
        data_sets.items(), key=lambda kv: (order[kv[0][0]], *kv[0][1:])
    ):
        sizes = [c.nbytes() for _, c in members]
        monte_carlo.append({
            "disorder": disorder, "L": L, "sweeps": sweeps,
            "path": kernel_path(disorder, L, plan.config["mc"]["kernel"]),
            "attempts": sum(attempts(c.n_instances, c.n_ladder, c.L, c.sweeps) for j, c in members if j),
            **_summary([j for j, _ in members if j], cores),
            "overlap_bytes": sum(s["overlaps"] for s in sizes),
            "file_bytes": sum(sum(s.values()) for s in sizes),
        })  # fmt: skip
    total = {
        **_summary(priced, cores),
        "wall_hours": sum(wall_s(jobs, cores) for jobs in stages.values()) / 3600,
    }
    return {
        "configfile": configfile,
        "run": plan.config["run"]["name"],
        "cores": cores,
        "stages": [{"stage": s, **_summary(jobs, cores)} for s, jobs in stages.items()],
        "monte_carlo": monte_carlo,
        "total": total,
        "disk": {k: sum(d[k] for d in monte_carlo) for k in ("overlap_bytes", "file_bytes")},
        "assumptions": assumptions(rates, cores),
        "unknown_rules": sorted(
            {j.job.rule for j in priced if not is_priced(j.job.rule, len(j.job.outputs))}
        ),
    }


def _hours(h: float) -> str:
    """Hours as s, min or h, to three significant figures."""
    if h < 1 / 60:
        return f"{h * 3600:.3g} s"
    return f"{h * 60:.3g} min" if h < 1 else f"{h:.3g} h"


def _number(x: float) -> str:
    """Three significant figures, whole numbers from 100 up."""
    return f"{x:,.0f}" if x >= 100 else f"{x:.3g}"


def _bytes(n: float) -> str:
    """Bytes in decimal units."""
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n:.0f} B"


def format_table(est: Mapping[str, Any]) -> str:
    """The estimate as a text table."""
    cores = est["cores"]
    wall = f"wall on {cores} cores"
    head = f"{'stage':<42} {'jobs':>6} {'SLURM':>6} {'core-hours':>11} {wall:>17} {'overlaps':>10}"
    lines = [f"Cost of {est['configfile'] or 'the config'} (run: {est['run'] or 'unnamed'})", "", head]

    def row(label: str, s: Mapping[str, Any]) -> str:
        return (f"{label:<42} {s['jobs']:>6} {s['slurm_jobs']:>6} {_number(s['core_hours']):>11} "
                f"{_hours(s['wall_hours']):>17}")  # fmt: skip

    for s in est["stages"]:
        mc = s["stage"] == "Monte Carlo"
        lines.append(row(s["stage"], s) + (f" {_bytes(est['disk']['overlap_bytes']):>10}" if mc else ""))
        if mc:
            for d in est["monte_carlo"]:
                label = f"  {d['disorder']} L={d['L']} sweeps={d['sweeps']} ({d['path']})"
                lines.append(row(label, d) + f" {_bytes(d['overlap_bytes']):>10}")
    lines.append(row("total", est["total"]))
    disk = est["disk"]
    if est["unknown_rules"]:
        lines.append(f"rules the model does not know, priced as analyses: {', '.join(est['unknown_rules'])}")
    lines += [
        "",
        f"disk: overlap snapshots {_bytes(disk['overlap_bytes'])} uncompressed, chunk files "
        f"{_bytes(disk['file_bytes'])} with the other datasets",
        f"SLURM jobs: {est['total']['slurm_jobs']} (local rules run where snakemake runs)",
        "",
        "assumptions:",
        *(f"  - {a}" for a in est["assumptions"]),
    ]
    return "\n".join(lines)
