"""The Monte Carlo HDF5 contract: round trip, atomic writes, and rejection of damaged files."""

from __future__ import annotations

import re

import h5py
import numpy as np
import pytest

from spinglass_ml.mc.chunks import (
    ATTRIBUTES,
    DATASETS,
    FORMAT_VERSION,
    LADDER_DATASETS,
    CorruptChunkError,
    FormatVersionError,
    read_chunk,
    write_chunk,
)
from spinglass_ml.mc.schedule import temperature_grid
from spinglass_ml.mc.simulation import simulate_chunk

ATTRS = dict(L=4, disorder="bimodal", sweeps=64, seed=5, first_instance=2, n_instances=3, n_con=4,
             config_hash="abc123")  # fmt: skip


@pytest.fixture(scope="module")
def data():
    return simulate_chunk(disorder="bimodal", L=4, temperatures=temperature_grid(1.05, 1.25, 6), sweeps=64,
                          n_con=4, seed=5, first_instance=2, n_instances=3, threads=1)  # fmt: skip


@pytest.fixture
def written(tmp_path, data):
    path = tmp_path / "mc" / "chunk0.h5"
    write_chunk(path, data, ATTRS)
    return path


def test_round_trip_follows_the_contract(written, data):
    got, attrs = read_chunk(written)
    assert set(got) == set(DATASETS) and set(ATTRIBUTES) <= set(attrs)
    for key in DATASETS:
        np.testing.assert_array_equal(got[key], data[key], err_msg=key)
    assert attrs["disorder"] == "bimodal" and attrs["n_instances"] == 3 and attrs["package_version"]
    assert attrs["format_version"] == FORMAT_VERSION == 2 and got["logbins/q2"].shape == (3, 6, 6)
    with h5py.File(written) as f:
        assert f["overlaps"].compression == "gzip"
        assert f["couplings"].dtype == np.float32 and f["overlaps"].dtype == np.int8
    assert [p.name for p in written.parent.iterdir()] == ["chunk0.h5"]  # no temporary file left behind


def test_selected_datasets_only(written):
    got, _ = read_chunk(written, ["energy", "q2"])
    assert set(got) == {"energy", "q2"} and got["energy"].shape == (3, 6)


def test_truncated_file_is_rejected(written):
    raw = written.read_bytes()
    written.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(CorruptChunkError, match="truncated or corrupt"):
        read_chunk(written)


def test_file_without_complete_flag_is_rejected(written):
    with h5py.File(written, "a") as f:
        del f.attrs["complete"]
    with pytest.raises(CorruptChunkError, match="incomplete"):
        read_chunk(written)


def test_off_contract_shapes_and_missing_datasets_are_rejected(written):
    with h5py.File(written, "a") as f:
        f.attrs["n_instances"] = 4
    with pytest.raises(CorruptChunkError, match="contract says"):
        read_chunk(written)
    with h5py.File(written, "a") as f:
        f.attrs["n_instances"] = 3
        del f["qk2"]
    with pytest.raises(CorruptChunkError, match="missing dataset 'qk2'"):
        read_chunk(written)


def test_file_of_another_format_is_rejected_with_what_to_do(written):
    """A chunk of format 1 (no format_version attribute, no logbins/q2) names the file, both versions and the
    remedy; so does one of a newer format."""
    with h5py.File(written, "a") as f:
        del f.attrs["format_version"]
        del f["logbins/q2"]
    remedy = r"delete it \(it is read-only\) and simulate it again"
    message = rf"^{re.escape(str(written))}: .*format version 1, but .* version 2 only .*{remedy}"
    with pytest.raises(FormatVersionError, match=message):
        read_chunk(written, ["energy"])
    with h5py.File(written, "a") as f:
        f.attrs["format_version"] = FORMAT_VERSION + 1
    with pytest.raises(CorruptChunkError, match="format version 3, .*the spinglass-ml that wrote it"):
        read_chunk(written)


def test_missing_file_and_unknown_dataset(tmp_path, written):
    with pytest.raises(CorruptChunkError, match="no such file"):
        read_chunk(tmp_path / "nope.h5")
    with pytest.raises(ValueError, match="unknown datasets"):
        read_chunk(written, ["energies"])


def test_failed_write_leaves_nothing_at_the_final_path(tmp_path, data):
    path = tmp_path / "chunk.h5"
    bad = {**data, "q4": object()}  # h5py cannot store this: the write fails half-way
    with pytest.raises((TypeError, ValueError)):
        write_chunk(path, bad, ATTRS)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match="contract"):
        write_chunk(path, {k: v for k, v in data.items() if k != "q4"}, ATTRS)


def test_a_ladder_with_a_hot_end_round_trips_and_a_broken_one_is_rejected(tmp_path):
    T = temperature_grid(1.0, 2.0, 8)
    data = simulate_chunk(disorder="bimodal", L=4, temperatures=T, sweeps=64, n_con=4, seed=5,
                          first_instance=2, n_instances=3, threads=1, measured=6)  # fmt: skip
    path = tmp_path / "chunk0.h5"
    write_chunk(path, data, ATTRS)
    got, _ = read_chunk(path, [*DATASETS, *LADDER_DATASETS])
    assert got["ladder/swap_acceptance"].shape == (3, 7) and got["swap_acceptance"].shape == (3, 5)
    np.testing.assert_array_equal(got["ladder/temperatures"], T)
    with pytest.raises(ValueError, match="ladder/swap_acceptance"):  # both ladder datasets or neither
        write_chunk(
            tmp_path / "half.h5", {k: v for k, v in data.items() if k != "ladder/swap_acceptance"}, ATTRS
        )
    with h5py.File(path, "r+") as f:
        del f["ladder/temperatures"]
        f["ladder/temperatures"] = T[:6]  # no temperature beyond the measured ones
    with pytest.raises(CorruptChunkError, match="ladder"):
        read_chunk(path)


def test_ladder_datasets_of_a_chunk_without_a_hot_end_are_named_as_absent(written):
    with pytest.raises(KeyError, match="hot end"):
        read_chunk(written, ["ladder/temperatures"])
