"""Checks, after run_slurm_test.sh's Snakemake run, that the study's outputs exist and that every job reached
SLURM with the resources Snakemake gave it.

Usage: python check_slurm_run.py WORKDIR SNAKEMAKE_LOG CONFIG

Snakemake prints each job it submits (rule, jobid, threads, resources) and the plugin the SLURM job id it got;
`scontrol show job` still knows every job of the run (slurm.conf keeps finished jobs for MinJobAge = 1 h).
Each job must have completed with exit code 0, with SLURM's time limit, memory, CPUs per task and GPUs
equal to the job's runtime, mem_mb, cpus_per_task (else threads) and gpu (with gpu_model, if set).
"""

import csv
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import yaml

RULE = re.compile(r"^rule (\w+):$")  # a job for the executor; local rules print "localrule"
SUBMITTED = re.compile(r"^Job (\d+) has been submitted with SLURM jobid (\d+) ", re.MULTILINE)


def planned_jobs(log_text):
    """{snakemake jobid: (rule, threads, resources)} of every job the run handed to the executor."""
    jobs, rule, fields = {}, None, {}
    for line in log_text.splitlines() + [""]:
        match = RULE.match(line)
        if match:
            rule, fields = match.group(1), {}
        elif rule and line.startswith("    ") and ": " in line:
            key, value = line.strip().split(": ", 1)
            fields[key] = value
        elif rule:  # the job's block has ended
            resources = dict(item.split("=", 1) for item in fields.get("resources", "").split(", ") if item)
            jobs[int(fields["jobid"])] = (rule, int(fields.get("threads", 1)), resources)
            rule = None
    return jobs


def slurm_jobs():
    """{SLURM job id: {field: value}} of every job the controller remembers."""
    cmd = ["scontrol", "show", "job", "--oneliner"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return {
        fields["JobId"]: fields
        for fields in (dict(re.findall(r"(\S+?)=(\S*)", line)) for line in out.stdout.splitlines())
    }


def minutes(time_limit):
    """SLURM's [days-]hours:minutes:seconds as minutes."""
    days, _, clock = time_limit.rpartition("-")
    hours, mins, secs = (int(x) for x in clock.split(":"))
    return (int(days or 0) * 24 + hours) * 60 + mins + secs / 60


def megabytes(memory):
    """SLURM's memory with its unit suffix (M, G, T) as megabytes."""
    return float(memory[:-1]) * {"M": 1, "G": 1024, "T": 1024**2}[memory[-1]]


def resource_problems(rule, threads, resources, slurm):
    """What differs between the job Snakemake planned and the job SLURM ran; empty if nothing."""
    gpus = int(resources.get("gpu", 0))
    gpu_type = [resources["gpu_model"]] if "gpu_model" in resources else []
    gpu_request = ":".join(["gres:gpu", *gpu_type, str(gpus)])  # as scontrol shows --gpus=[type:]n
    checks = [
        ("state", slurm["JobState"], "COMPLETED"),
        ("exit code", slurm["ExitCode"], "0:0"),
        ("rule", slurm["Comment"].startswith(f"rule_{rule}"), True),
        ("time limit (min)", minutes(slurm["TimeLimit"]), float(resources["runtime"])),
        ("memory (MB)", megabytes(slurm["MinMemoryNode"]), float(resources["mem_mb"])),
        ("CPUs per task", int(slurm["CPUs/Task"]), int(resources.get("cpus_per_task", threads))),
        ("GPUs", slurm.get("TresPerJob", "none"), gpu_request if gpus else "none"),
    ]
    return [f"{what}: SLURM has {got}, expected {want}" for what, got, want in checks if got != want]


def summary(planned, submitted, slurm):
    """One line per rule and distinct request, as SLURM recorded it, with the jobs' summed run time."""
    rows, seconds = Counter(), Counter()
    for job, (rule, _, _) in planned.items():
        record = slurm.get(submitted.get(job), {})
        request = [record.get(k, "?") for k in ("TimeLimit", "MinMemoryNode", "CPUs/Task")]
        key = (rule, *request, record.get("TresPerJob", "none"))
        rows[key] += 1
        seconds[key] += minutes(record.get("RunTime", "0:0:0")) * 60
    width = max(len(rule) for rule, *_ in rows)
    lines = []
    for key, n in sorted(rows.items()):
        rule, limit, memory, cpus, gpus = key
        lines.append(
            f"  {rule:<{width}} {n:>3} jobs  time {limit}  mem {memory}  cpus/task {cpus}  gpus {gpus}"
            f"  (ran {seconds[key]:.0f} s in all)"
        )
    return "\n".join(lines)


def check_outputs(workdir, config):
    """Every configured condition has models, each with its prediction CSV of the documented columns."""
    problems = []
    for condition in config["ml"]["conditions"]:
        folder = workdir / "results" / "tiny" / "models" / condition
        models = sorted([*folder.glob("L*.keras"), *folder.glob("L*.thermometer.json")])
        if not models:
            problems.append(f"no model for condition {condition}")
        for model in models:
            size = model.name.split(".")[0]  # L<L>
            prediction = workdir / "results" / "tiny" / "predictions" / condition / f"{size}.csv"
            if model.stat().st_size == 0 or not prediction.is_file():
                problems.append(f"{model} is empty or has no prediction {prediction}")
                continue
            with prediction.open() as f:
                rows = list(csv.DictReader(f))
            if not rows or list(rows[0]) != ["instance", "T", "p"]:
                problems.append(f"{prediction}: expected rows of instance,T,p")
    return problems


def main(workdir, log_path, config_path):
    workdir = Path(workdir)
    config = yaml.safe_load(Path(config_path).read_text())
    log_text = Path(log_path).read_text()
    planned = planned_jobs(log_text)
    submitted = {int(job): slurm_id for job, slurm_id in SUBMITTED.findall(log_text)}
    slurm = slurm_jobs()

    problems = check_outputs(workdir, config)
    if not planned:
        problems.append(f"no job was submitted to SLURM according to {log_path}")
    for job, (rule, threads, resources) in sorted(planned.items()):
        if job not in submitted or submitted[job] not in slurm:
            problems.append(f"job {job} ({rule}) has no SLURM job")
            continue
        for problem in resource_problems(rule, threads, resources, slurm[submitted[job]]):
            problems.append(f"job {job} ({rule}), SLURM job {submitted[job]}: {problem}")

    print(summary(planned, submitted, slurm))
    if problems:
        print("\n".join(["FAILED:"] + problems), file=sys.stderr)
        return 1
    print(f"all {len(planned)} SLURM jobs completed with the resources Snakemake planned; outputs present")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
