#!/usr/bin/env bash
# The SLURM profile (profiles/slurm) against a real scheduler: starts a one-node SLURM cluster on this
# machine, runs the tiny study through `snakemake --profile profiles/slurm`, checks that nothing is left to
# do, that the models and predictions exist and that every job reached SLURM with the time, memory, CPUs and
# GPUs Snakemake planned for it, then stops the cluster.
#
# Needs: root on Debian/Ubuntu (installs slurm-wlm and munge with apt-get when they are missing), and an
# active Python environment with the package's dependencies and the SLURM executor plugin:
#   pip install -e ".[test]" && bash tests/slurm/run_slurm_test.sh
# It runs the repository's committed state: a git clone, whose package is built (kernel included) into the
# test's directory and put first on PYTHONPATH, which the jobs inherit; so neither uncommitted edits nor the
# environment's own install of the package take part.
# Everything lives in $STATE except /etc/slurm/slurm.conf and gres.conf: inside a job the plugin removes
# SLURM's environment (SLURM_CONF too), so its job steps find the configuration only at the default path.
# Both files are marked as the test's own and removed at exit; a slurm.conf that is not the test's stops the
# test instead. Re-running is safe: the daemons of an earlier run that was killed are stopped first.
set -euo pipefail

LIMIT=${SLURM_TEST_TIMEOUT:-1500}  # seconds for the whole test, install included; it takes 5-10 min
# Hard limit: a status check that never sees its jobs end would otherwise wait forever. timeout signals this
# script, whose EXIT trap below then cancels the jobs and stops the cluster (it has 60 s for that).
if [[ -z ${SLURM_TEST_UNDER_TIMEOUT:-} ]]; then
    exec env SLURM_TEST_UNDER_TIMEOUT=1 timeout --kill-after=60 "$LIMIT" bash "$0" "$@"
fi

REPO=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$REPO/tests/slurm
STATE=/tmp/spinglass-slurm-test   # fixed, so that a rerun finds the daemons a killed run left behind
MARK="# spinglass-ml SLURM test cluster"
CONFIG=config/tiny.yaml
started=$SECONDS

say() { echo "[slurm test $((SECONDS - started)) s] $*"; }
fail() { echo "[slurm test] FAILED: $*" >&2; exit 1; }

# Whether a process runs (a zombie does not: where PID 1 does not reap, a stopped daemon stays one).
running() {
    local stat
    stat=$(ps -o stat= -p "$1" 2>/dev/null) && [[ $stat != Z* ]]
}

# Stop one daemon from its pid file, only if that pid still runs the named program (a stale pid may have been
# reused by an unrelated process).
stop_daemon() {
    local name=$1 pidfile=$2 pid
    [[ -f $pidfile ]] || return 0
    pid=$(<"$pidfile")
    if running "$pid" && [[ $(ps -o comm= -p "$pid") == "$name" ]]; then
        kill "$pid"
        for _ in $(seq 50); do running "$pid" || break; sleep 0.2; done
        if running "$pid"; then kill -KILL "$pid"; fi
    fi
    rm -f "$pidfile"
}

# Cancel every job and wait (10 s at most) until none is left. The cluster is the test's own, so all its jobs
# are the test's; jobs left running would outlive slurmd.
cancel_jobs() {
    [[ -f $STATE/slurmctld.pid ]] && running "$(<"$STATE/slurmctld.pid")" || return 0
    squeue -h -o %i | xargs -r scancel
    for _ in $(seq 50); do [[ -z $(squeue -h) ]] && break; sleep 0.2; done
}

stop_cluster() {
    cancel_jobs
    stop_daemon slurmd "$STATE/slurmd.pid"
    stop_daemon slurmctld "$STATE/slurmctld.pid"
    stop_daemon munged "$STATE/munge/munged.pid"
    for f in /etc/slurm/slurm.conf /etc/slurm/gres.conf; do
        if [[ -f $f ]] && head -n 1 "$f" | grep -q "^$MARK"; then rm -f "$f"; fi
    done
}

snakemake_pid=""
on_exit() {
    local status=$?
    trap - EXIT
    if [[ -n $snakemake_pid ]] && running "$snakemake_pid"; then
        # Stopped mid-run: Snakemake cancels its SLURM jobs on an interrupt (on TERM it would wait for them)
        kill -INT "$snakemake_pid"
        for _ in $(seq 50); do running "$snakemake_pid" || break; sleep 0.2; done
        if running "$snakemake_pid"; then kill -KILL "$snakemake_pid"; fi
    fi
    if ((status != 0)) && [[ -f $STATE/snakemake.log ]]; then
        echo "--- last lines of $STATE/snakemake.log (kept, with the daemons' logs in $STATE) ---" >&2
        tail -n 40 "$STATE/snakemake.log" >&2
    fi
    stop_cluster
    if ((status == 0)); then rm -rf "$STATE"; fi
    say "cluster stopped; exit status $status"
    exit "$status"
}
trap on_exit EXIT
trap 'exit 143' TERM INT   # so that the EXIT trap also runs when timeout or Ctrl-C stops the test

# ------------------------------------------------------------------ prerequisites
((EUID == 0)) || fail "run as root: the test installs packages and starts SLURM's daemons"
missing=$(python -c 'import importlib.util as u
print(*[m for m in ("snakemake", "tensorflow", "snakemake_executor_plugin_slurm") if not u.find_spec(m)])')
[[ -z $missing ]] || fail "missing $missing: activate the project's environment (pip install -e \".[test]\")"
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
    say "installing slurm-wlm and munge"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
fi
if [[ -f /etc/slurm/slurm.conf ]] && ! head -n 1 /etc/slurm/slurm.conf | grep -q "^$MARK"; then
    fail "/etc/slurm/slurm.conf is not this test's: this machine has its own SLURM, not touching it"
fi

# ------------------------------------------------------------------ the cluster
stop_cluster
rm -rf "$STATE"
# munged wants its socket's directory searchable by all, its key private to its owner
mkdir -p "$STATE/munge" "$STATE/slurmctld" "$STATE/slurmd"
chmod 755 "$STATE" "$STATE/munge"
head -c 1024 /dev/urandom >"$STATE/munge/munge.key"
chmod 400 "$STATE/munge/munge.key"
munged --socket="$STATE/munge/munge.socket" --key-file="$STATE/munge/munge.key" \
    --pid-file="$STATE/munge/munged.pid" --log-file="$STATE/munge/munged.log" --seed-file="$STATE/munge/seed"

hardware=$(slurmd -C | head -n 1 | sed 's/^NodeName=[^ ]* //')   # CPUs=... RealMemory=...
sed -e "s|@STATE@|$STATE|g" -e "s|@NODE_HARDWARE@|$hardware|" "$HERE/slurm.conf.in" >/etc/slurm/slurm.conf
cp "$HERE/gres.conf" /etc/slurm/gres.conf
slurmctld -c   # -c: a clean start, ignoring any saved state
slurmd -N localhost
for _ in $(seq 60); do
    [[ $(sinfo -h -n localhost -o %t 2>/dev/null) == idle ]] && break
    sleep 1
done
[[ $(sinfo -h -n localhost -o %t) == idle ]] || fail "node not idle after 60 s: see $STATE/slurm*.log"
say "cluster up: $(sinfo -h -N -o '%N %c CPUs, %m MB, %G')"

# ------------------------------------------------------------------ the run
git clone --quiet "$REPO" "$STATE/repo"
say "building the clone's package"
python -m pip install --quiet --no-deps --target "$STATE/site" "$STATE/repo"
export PYTHONPATH=$STATE/site${PYTHONPATH:+:$PYTHONPATH}
[[ $(python -c "import spinglass_ml._ptmc as k; print(k.__file__)") == "$STATE/site/"* ]] ||
    fail "the clone's package is not the one imported"
cd "$STATE/repo"
# The train jobs ask for the placeholder GPU, typed as a user would set it in the profile (gpu_model), so the
# GPU request is checked too. squeue for status (no accounting here); checks from 5 s on rather than the
# plugin's default 40 s, since the tiny jobs take seconds. No retries: a failed job should fail the test.
printf 'ml:\n  gpus: 1\n' >"$STATE/gpu.yaml"
say "running $CONFIG through profiles/slurm (log: $STATE/snakemake.log)"
# In the background, so that a TERM from timeout interrupts the wait and the EXIT trap runs at once.
python -m snakemake --profile profiles/slurm --configfile "$CONFIG" "$STATE/gpu.yaml" \
    --set-resources train:gpu_model=testgpu \
    --slurm-status-command squeue --slurm-init-seconds-before-status-checks 5 --retries 0 \
    >"$STATE/snakemake.log" 2>&1 &
snakemake_pid=$!
wait "$snakemake_pid" || fail "the Snakemake run through SLURM failed"
say "run finished"

# ------------------------------------------------------------------ the checks
python -m snakemake --profile profiles/slurm --configfile "$CONFIG" "$STATE/gpu.yaml" --dry-run \
    >"$STATE/dry-run.log" 2>&1 || fail "dry run after the run failed: see $STATE/dry-run.log"
grep -q "Nothing to be done" "$STATE/dry-run.log" || fail "jobs left to do after the run: $STATE/dry-run.log"
python "$HERE/check_slurm_run.py" "$STATE/repo" "$STATE/snakemake.log" "$CONFIG" ||
    fail "outputs or SLURM's job records differ from the plan"
say "passed"
