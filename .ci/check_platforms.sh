#!/usr/bin/env bash
# Does the project's dependency set resolve from wheels on every platform the project claims, at the oldest
# and the newest Python that requires-python admits? Linux x86-64 and Linux aarch64 (glibc 2.28 or newer)
# and macOS arm64 (macOS 14 or newer), each with pip's resolver in --dry-run mode for that platform: nothing
# is installed, nothing is built for the target. The project itself is built from source, so its dependency
# list is resolved instead, read from pyproject.toml: the dependencies and the test extra everywhere, and the
# gpu extra on Linux x86-64 at the newest Python (its CUDA wheels are py3-none: the same for every Python).
# What this cannot show: that those wheels import and run there, or that the kernel compiles there
# (docs/install.md says what was run where).
#
# Two limits of pip, handled here:
# * pip evaluates environment markers for the machine it runs on, not for --platform/--python-version. The
#   project's own markers are evaluated here for the target. For the resolved packages' requirements, every
#   marker is evaluated for the target as well; a requirement the target needs but pip left out is added and
#   the target resolved again.
# * With --platform pip takes wheels only. A dependency published only as an sdist (SDIST_ONLY below:
#   connection_pool, for snakemake) is built here into a wheel, which stands in for every target only if it
#   is pure Python (tagged none-any). If a target fails, the dependencies are resolved for this machine too,
#   to name any other dependency that has no wheel.
#
# Usage: bash .ci/check_platforms.sh        (PYTHON=... picks the interpreter whose pip runs; 1-2 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
exec "${PYTHON:-python3}" - <<'PYEOF'
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor

try:
    from packaging.markers import default_environment
    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet
    from packaging.utils import canonicalize_name
except ImportError:  # pip's own copy
    from pip._vendor.packaging.markers import default_environment
    from pip._vendor.packaging.requirements import Requirement
    from pip._vendor.packaging.specifiers import SpecifierSet
    from pip._vendor.packaging.utils import canonicalize_name

SDIST_ONLY = ["connection_pool"]  # pure-Python dependencies that publish no wheel
PARALLEL = 3  # pip runs at once: mostly downloads (pip fetches each wheel whole to read its metadata)


def manylinux(arch: str) -> list[str]:
    # pip does not widen an explicit manylinux tag to older glibc versions: name them all (2.28 down to 2.17)
    return [f"manylinux_2_{minor}_{arch}" for minor in range(28, 16, -1)] + [f"manylinux2014_{arch}"]


# name: (pip --platform tags, marker environment); macOS tags pip widens itself (14.0 to 11.0, universal2)
TARGETS = {
    "linux-x86_64": (manylinux("x86_64"), {"sys_platform": "linux", "platform_system": "Linux",
                                            "os_name": "posix", "platform_machine": "x86_64"}),
    "linux-aarch64": (manylinux("aarch64"), {"sys_platform": "linux", "platform_system": "Linux",
                                              "os_name": "posix", "platform_machine": "aarch64"}),
    "macos-arm64": (["macosx_14_0_arm64"], {"sys_platform": "darwin", "platform_system": "Darwin",
                                            "os_name": "posix", "platform_machine": "arm64"}),
}
SHOW = ("tensorflow", "keras", "numpy", "scipy", "h5py", "snakemake", "nvidia-cudnn-cu12")

project = tomllib.load(open("pyproject.toml", "rb"))["project"]
requires_python = SpecifierSet(project["requires-python"])
pythons = [f"3.{m}" for m in range(8, 30) if f"3.{m}" in requires_python]
if not pythons:
    sys.exit(f"requires-python {requires_python} admits no Python 3.8-3.29")
pythons = sorted({pythons[0], pythons[-1]}, key=lambda v: int(v.split(".")[1]))
optional = project.get("optional-dependencies", {})
base = [Requirement(r) for r in project["dependencies"] + optional.get("test", [])]
gpu = [Requirement(r) for r in optional.get("gpu", [])]

host = default_environment()
pip = [sys.executable, "-m", "pip"]
work = tempfile.mkdtemp(prefix="check-platforms-")
t0 = time.monotonic()


def environment(python: str, markers: dict) -> dict:
    return {**host, **markers, "python_version": python, "python_full_version": f"{python}.0",
            "implementation_name": "cpython", "platform_python_implementation": "CPython",
            "platform_release": "", "platform_version": ""}


def active(req: Requirement, env: dict, extras=("",)) -> bool:
    return req.marker is None or any(req.marker.evaluate({**env, "extra": e}) for e in extras)


def bare(req: Requirement) -> str:
    """The requirement without its marker (evaluated already)."""
    extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ""
    return f"{req.name}{extras}{req.specifier}"


def run_pip(args: list[str], log: str) -> bool:
    with open(log, "w") as out:
        return subprocess.run(pip + args, stdout=out, stderr=subprocess.STDOUT).returncode == 0


def tail(log: str, n: int = 20) -> str:
    lines = [ln for ln in open(log).read().splitlines() if "is ignored: it is neither" not in ln]
    return "\n".join("    " + ln[:400] for ln in lines[-n:])


def dry_run(args: list[str], reqs: list[str], name: str):
    """The report's packages, name -> metadata, or None and pip's log."""
    report, log = os.path.join(work, f"{name}.json"), os.path.join(work, f"{name}.log")
    target = os.path.join(work, f"target-{name}")
    ok = run_pip(["install", "--dry-run", "--ignore-installed", "--quiet", "--report", report,
                  "--target", target] + args + reqs, log)
    if not ok:
        return None, log
    return {canonicalize_name(i["metadata"]["name"]): i for i in json.load(open(report))["install"]}, log


def left_out(found: dict, reqs: list[str], env: dict) -> list[str]:
    """Requirements of the resolved packages that the target's markers ask for and pip did not resolve."""
    extras = {}  # the extras asked of each package, by the project or by an active requirement
    for r in map(Requirement, reqs):
        extras.setdefault(canonicalize_name(r.name), {""}).update(r.extras)
    requires = {key: [Requirement(s) for s in item["metadata"].get("requires_dist") or []]
                for key, item in found.items()}
    for _ in range(len(found)):
        before = sum(map(len, extras.values()))
        for key, rs in requires.items():
            for r in rs:
                if active(r, env, extras.get(key, {""})):
                    extras.setdefault(canonicalize_name(r.name), {""}).update(r.extras)
        if sum(map(len, extras.values())) == before:
            break
    return sorted({bare(r) for key, rs in requires.items() for r in rs
                   if r.marker is not None and active(r, env, extras.get(key, {""}))
                   and canonicalize_name(r.name) not in found})


# 1. The sdist-only dependencies, built here; each must give a pure-Python wheel.
wheels = os.path.join(work, "wheels")
os.makedirs(wheels)
log = os.path.join(work, "sdist-wheels.log")
if SDIST_ONLY and not run_pip(["wheel", "--quiet", "--no-deps", "-w", wheels] + SDIST_ONLY, log):
    sys.exit(f"building {SDIST_ONLY} from their sdists failed:\n{tail(log)}")
built = sorted(os.listdir(wheels))
if [w for w in built if not re.search(r"-none-any\.whl$", w)]:
    sys.exit(f"not pure Python, so no stand-in for the other platforms: {built}")
print(f"built from sdists (no wheels published), pure Python: {', '.join(built) or 'none'} "
      f"({time.monotonic() - t0:.0f} s)", flush=True)


# 2. Every target at the oldest and the newest Python (the gpu extra with Linux x86-64 at the newest).
def check(target: str, python: str, with_gpu: bool) -> tuple[bool, list[str]]:
    t1 = time.monotonic()
    platforms, markers = TARGETS[target]
    env = environment(python, markers)
    reqs = [bare(r) for r in base + (gpu if with_gpu else []) if active(r, env)]
    label = f"{target} Python {python}" + (" +gpu" if with_gpu else "")
    args = ["--only-binary=:all:", "--implementation", "cp", "--python-version", python,
            "--find-links", wheels] + [a for p in platforms for a in ("--platform", p)]
    lines = []
    for round_ in range(1, 5):
        found, log = dry_run(args, reqs, f"{target}-{python}-{round_}")
        if found is None:
            return False, lines + [f"FAIL {label}: pip found no set of wheels:", tail(log)]
        missing = left_out(found, reqs, env)
        if not missing:
            versions = "".join(f"{n} {found[n]['metadata']['version']}, " for n in SHOW if n in found)
            return True, lines + [f"ok   {label}: {len(found)} packages ({versions}"
                                  f"{time.monotonic() - t1:.0f} s)"]
        lines.append(f"     {label}: resolving again with what this target's markers add: {missing}")
        reqs += missing
    return False, lines + [f"FAIL {label}: markers still unresolved after 4 rounds"]


jobs = [(t, p, bool(gpu) and t == "linux-x86_64" and p == pythons[-1]) for p in pythons for t in TARGETS]
with ThreadPoolExecutor(PARALLEL) as pool:
    results = list(pool.map(lambda job: check(*job), jobs))
for _, lines in results:
    print("\n".join(lines))
failed = sum(not ok for ok, _ in results)

if failed:  # a dependency without wheels other than SDIST_ONLY? Resolve for this machine to name it.
    found, log = dry_run([], [bare(r) for r in base if active(r, host)], "host")
    if found is None:
        print(f"the dependencies do not resolve for this machine either:\n{tail(log)}")
    else:
        sdists = sorted(f"{i['metadata']['name']} {i['metadata']['version']}" for i in found.values()
                        if not i["download_info"]["url"].endswith(".whl"))
        print(f"dependencies that this machine installs from sdists: {', '.join(sdists) or 'none'} "
              f"(SDIST_ONLY has {SDIST_ONLY})")

print(f"check_platforms: {len(jobs) - failed} of {len(jobs)} resolve (Python {' and '.join(pythons)}; "
      f"{time.monotonic() - t0:.0f} s in all)" + (f"; pip's logs and reports in {work}" if failed else ""))
if not failed:
    shutil.rmtree(work, ignore_errors=True)
sys.exit(1 if failed else 0)
PYEOF
