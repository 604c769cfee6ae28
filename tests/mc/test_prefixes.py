"""Prefix data sets: the first S' sweeps of a run, recorded on the way, are bit for bit a run of S' sweeps,
on every kernel path, through a checkpoint and into the chunk files; and the full run is unchanged."""

from __future__ import annotations

import numpy as np
import pytest
import test_kernel  # its chunk and assert_same (tests/mc is on the path: pytest's default import mode)
from test_kernel import GAUSS_T, assert_same

from spinglass_ml.mc.chunks import DATASETS, LADDER_DATASETS, read_chunk
from spinglass_ml.mc.prefixes import chainable, prefix_stages
from spinglass_ml.mc.schedule import temperature_grid
from spinglass_ml.mc.simulation import STREAM_MC, instance_couplings, instance_seed, run_pt, simulate_to_file

BIMODAL_T = temperature_grid(1.05, 1.25, 6)


def chunk(**kw):
    """test_kernel's chunk, run for 256 sweeps on 3 instances unless told otherwise."""
    return test_kernel.chunk(**{"sweeps": 256, "n_instances": 3, **kw})


@pytest.mark.parametrize(
    "kw",
    [
        {},  # simd
        {"kernel": "plain"},
        {"disorder": "bimodal", "L": 4, "temperatures": BIMODAL_T},  # multispin
        {"n_instances": 5, "threads": 2},  # an odd group and two threads
    ],
)
def test_prefix_is_bit_identical_to_a_separate_run_and_the_full_run_unchanged(kw):
    recorded = chunk(prefixes=[64, 128], **kw)
    prefixes = recorded.pop("prefixes")
    assert sorted(prefixes) == [64, 128]
    assert_same(recorded, chunk(**kw))
    for sweeps, data in prefixes.items():
        assert_same(data, chunk(sweeps=sweeps, **kw))


def test_a_prefix_that_is_not_a_power_of_two_keeps_its_partial_log_bin():
    """S' = 96 ends inside log bin [64, 128): the prefix normalises its part, the full run goes on adding."""
    recorded = chunk(sweeps=512, prefixes=[96])
    assert_same(recorded.pop("prefixes")[96], chunk(sweeps=96))
    assert_same(recorded, chunk(sweeps=512))


def test_checkpointed_run_resumes_past_a_finished_prefix(tmp_path):
    """A run stopped after its prefix resumes with the prefix's results from the checkpoint, bit-identical."""
    ckpt = tmp_path / "state.npz"
    stopped = []

    def stop_after_prefix(msg):
        if "prefix data set" in msg:
            stopped.append(msg)
        elif stopped and "sweep" in msg:
            raise KeyboardInterrupt  # the job is killed after its next checkpoint

    ids = range(3)
    J = np.stack([instance_couplings(7, "gaussian", 4, i) for i in ids])
    seeds = [instance_seed(7, "gaussian", 4, i, STREAM_MC) for i in ids]
    args = (J, GAUSS_T[::4], 4096, 4, seeds)
    with pytest.raises(KeyboardInterrupt):
        run_pt(*args, prefixes=[1024], threads=1, checkpoint_path=ckpt, checkpoint_interval=0.0,
               progress=stop_after_prefix, progress_interval=0.0)  # fmt: skip
    with np.load(ckpt) as z:
        assert 1024 < int(z["sweeps_done"]) < 4096
        assert "finished/1024/overlaps" in z.files
    messages = []
    resumed = run_pt(*args, prefixes=[1024], threads=1, checkpoint_path=ckpt, progress=messages.append)
    assert any("resuming" in m for m in messages)
    assert not any("prefix data set" in m for m in messages)  # not reached again
    assert_same(resumed.pop("prefixes")[1024], run_pt(J, GAUSS_T[::4], 1024, 4, seeds, threads=1))
    assert_same(resumed, run_pt(*args, threads=1))


@pytest.mark.parametrize("hot", [None, {"max": 2.0, "n": 2}])
def test_prefix_files_are_the_files_of_separate_runs(tmp_path, hot):
    spec = {"min": 0.8, "max": 1.21, "n": 4, "spacing": "geometric", **({"hot": hot} if hot else {})}
    run = {"L": 4, "sweeps": 256, "n_con": 4, "first_instance": 2, "n_instances": 3}
    kw = dict(disorder="gaussian", temperatures=spec, seed=5, threads=1)
    simulate_to_file(tmp_path / "full.h5", run=run, prefix_paths={64: tmp_path / "prefix.h5"}, **kw)
    simulate_to_file(tmp_path / "alone.h5", run={**run, "sweeps": 64}, **kw)
    simulate_to_file(tmp_path / "full_alone.h5", run=run, **kw)
    names = [*DATASETS, *(LADDER_DATASETS if hot else ())]
    for recorded, alone in [("prefix.h5", "alone.h5"), ("full.h5", "full_alone.h5")]:
        (a, a_attrs), (b, b_attrs) = (
            read_chunk(tmp_path / recorded, names),
            read_chunk(tmp_path / alone, names),
        )
        assert_same(a, b)
        assert dict(a_attrs) == dict(b_attrs)
    assert read_chunk(tmp_path / "prefix.h5")[1]["sweeps"] == 64


@pytest.mark.parametrize(
    "sweeps, prefixes, n_con, word",
    [
        (256, [130], 4, "multiples"),  # not a multiple of MEASURE_EVERY
        (256, [192], 4, "window"),  # reaches into the full run's window (its last 128 sweeps)
        (256, [64, 96], 4, "window"),  # 64 reaches into the window of the 96-sweep data set
        (256, [8], 8, "n_con"),  # its window holds 4 sweeps, not 8 snapshots
    ],
)
def test_impossible_prefixes_are_rejected(sweeps, prefixes, n_con, word):
    with pytest.raises(ValueError, match=word):
        prefix_stages(sweeps, prefixes, n_con)


def test_stages_are_the_prefixes_ascending_then_the_run():
    assert prefix_stages(1024, [512, 256, 512], 4) == [256, 512, 1024]
    assert prefix_stages(1024, [], 4) == [1024]


def test_chainable_keeps_what_fits_from_the_longest_down():
    # therm-0.5 and therm-0.25 of 4096 sweeps both fit; 0.75 reaches into the window; 3 is no multiple of 4
    assert chainable(4096, [2048, 1024, 3072, 3, 4096], 4) == [1024, 2048]
    # 0.5 and 0.4: 1638 reaches into the 2048-sweep data set's window, so only 2048 is chained
    assert chainable(4096, [2048, 1640], 4) == [2048]
    assert chainable(4096, [], 4) == []
