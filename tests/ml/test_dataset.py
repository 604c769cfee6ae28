"""Example index, instance split, label flipping on the training split, and the streaming reader."""

import shutil
import tracemalloc

import h5py
import numpy as np
import pytest
import tensorflow as tf

from spinglass_ml.mc.chunks import CorruptChunkError, read_chunk
from spinglass_ml.ml.blocks import BlockCache, iter_batches
from spinglass_ml.ml.conditions import flip_labels
from spinglass_ml.ml.dataset import (
    STREAM_FLIP,
    balanced_class_weight,
    build_index,
    split_by_instance,
    stream_seed,
    training_data,
)
from spinglass_ml.ml.pipeline import make_dataset, training_datasets


def all_overlaps(paths):
    """{(global instance, t): overlaps (n_con, L, L, L)} read in full with mcio, for comparison."""
    out = {}
    for path in paths:
        data, attrs = read_chunk(path, ["overlaps"])
        for i, per_t in enumerate(data["overlaps"]):
            for t, snaps in enumerate(per_t):
                out[attrs["first_instance"] + i, t] = snaps
    return out


def test_index_table_follows_the_files(gaussian_chunks):
    index = build_index(gaussian_chunks[::-1])  # any order in, ordered by first_instance out
    assert index.files == tuple(gaussian_chunks)
    assert (index.L, index.n_con, index.disorder, index.sweeps) == (4, 4, "gaussian", 64)
    T = read_chunk(gaussian_chunks[0], ["temperatures"])[0]["temperatures"]
    np.testing.assert_array_equal(index.temperatures, T)
    assert index.n_examples == 6 * 4 * 4
    np.testing.assert_array_equal(index.instances, np.arange(6))
    table = index.table()
    assert set(table) == {"instance", "t", "snapshot", "label", "file"}
    assert all(col.size == index.n_examples for col in table.values())
    rows = set(zip(table["instance"], table["t"], table["snapshot"], strict=True))
    assert rows == {(i, t, c) for i in range(6) for t in range(4) for c in range(4)}
    np.testing.assert_array_equal(table["label"], (T[table["t"]] > 0.95).astype(np.int8))
    np.testing.assert_array_equal(table["file"], (table["instance"] >= 3).astype(int))
    assert 0 < table["label"].mean() < 1  # the grid straddles the threshold
    relabelled = build_index(gaussian_chunks, threshold=1.1).table()["label"]
    np.testing.assert_array_equal(relabelled, (T[table["t"]] > 1.1).astype(np.int8))


def test_corrupt_and_inconsistent_files_are_rejected(gaussian_chunks, simulated_chunks, tmp_path):
    bad = tmp_path / "chunk9.h5"
    raw = gaussian_chunks[1].read_bytes()
    bad.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(CorruptChunkError):
        build_index([gaussian_chunks[0], bad])
    twin = tmp_path / "twin.h5"
    shutil.copy(gaussian_chunks[0], twin)
    with pytest.raises(ValueError, match="also in another file"):
        build_index([gaussian_chunks[0], twin])
    other = simulated_chunks(tmp_path, "gaussian", [(6, 1)], n_T=3)
    with pytest.raises(ValueError, match="temperatures differ"):
        build_index([gaussian_chunks[0], *other])
    with pytest.raises(ValueError, match="no chunk files"):
        build_index([])


def test_corrupt_block_is_reported_while_streaming(gaussian_chunks, tmp_path):
    path = tmp_path / "chunk0.h5"
    shutil.copy(gaussian_chunks[0], path)
    with h5py.File(path, "r") as f:
        offset = f["overlaps"].id.get_chunk_info(5).byte_offset
    raw = bytearray(path.read_bytes())
    raw[offset : offset + 16] = b"\xff" * 16  # damage one compressed block, leave the metadata intact
    path.write_bytes(bytes(raw))
    index = build_index([path])
    with pytest.raises(CorruptChunkError, match="cannot be read"):
        list(iter_batches(index, 8))


def test_split_is_by_instance_and_seeded(gaussian_chunks):
    index = build_index(gaussian_chunks)
    train, val = split_by_instance(index, 0.34, np.random.SeedSequence(1))
    assert val.instances.size == 2 and train.instances.size == 4
    assert not set(train.instances) & set(val.instances)
    assert set(train.instances) | set(val.instances) == set(range(6))
    assert train.n_examples + val.n_examples == index.n_examples
    np.testing.assert_array_equal(np.unique(val.table()["instance"]), val.instances)
    again = split_by_instance(index, 0.34, np.random.SeedSequence(1))[1]
    np.testing.assert_array_equal(again.instances, val.instances)
    others = {tuple(split_by_instance(index, 0.34, np.random.SeedSequence(s))[1].instances) for s in range(8)}
    assert len(others) > 1
    for frac in (0.0, 0.05, 0.95, 1.0):
        with pytest.raises(ValueError, match="at least one on each side"):
            split_by_instance(index, frac, np.random.SeedSequence(1))


def test_flips_apply_to_training_positions_only(gaussian_chunks):
    data = training_data(gaussian_chunks, "flip-0.25", seed=5, validation_fraction=0.34)
    train, val = data.train, data.validation
    assert val.flipped.size == 0 and train.flipped.size > 0
    # the stored indices are positions in the training table, exactly where its labels differ from measured
    measured = train.block_labels[np.arange(train.n_examples) // train.n_con]
    np.testing.assert_array_equal(np.flatnonzero(train.table()["label"] != measured), train.flipped)
    # ... and they are what poison.flip_labels does to the training labels with the flip stream
    expected = flip_labels(measured, 0.25, stream_seed(5, STREAM_FLIP, 4))
    np.testing.assert_array_equal(train.table()["label"], expected[0])
    np.testing.assert_array_equal(train.flipped, expected[1])
    assert data.achieved_flip_fraction == train.flipped.size / train.n_examples
    arrays = data.arrays()
    np.testing.assert_array_equal(arrays["flipped_indices"], train.flipped)
    np.testing.assert_array_equal(arrays["flipped_measured_label"], measured[train.flipped])
    np.testing.assert_array_equal(arrays["validation_instances"], val.instances)
    # the condition changes neither the split nor anything but the flips
    clean = training_data(gaussian_chunks, "clean", seed=5, validation_fraction=0.34)
    np.testing.assert_array_equal(clean.train.instances, train.instances)
    assert clean.train.flipped.size == 0 and clean.achieved_flip_fraction == 0.0
    with pytest.raises(ValueError, match="split before flipping"):
        train.select_instances([0])


def test_class_counts_and_balanced_weights_follow_the_labels_as_trained_on(gaussian_chunks):
    for condition in ("clean", "flip-0.25", "flip-1.0"):
        train = training_data(gaussian_chunks, condition, seed=5, validation_fraction=0.34).train
        counts = np.bincount(train.labels(np.arange(train.n_examples)), minlength=2)
        assert train.class_counts() == tuple(counts)
    assert balanced_class_weight(30, 10) == {0: 40 / 60, 1: 40 / 20}  # n / (2 n_c): each class sums to n / 2
    with pytest.raises(ValueError, match="both classes"):
        balanced_class_weight(0, 5)


def test_therm_condition_checks_the_sweeps(gaussian_chunks):
    assert training_data(gaussian_chunks, "therm-0.5", seed=1, validation_fraction=0.34, sweeps=128)
    with pytest.raises(ValueError, match="needs data with 32 sweeps"):
        training_data(gaussian_chunks, "therm-0.5", seed=1, validation_fraction=0.34, sweeps=64)


def test_stream_yields_every_example_once_per_epoch(gaussian_chunks):
    data = training_data(gaussian_chunks, "flip-0.25", seed=5, validation_fraction=0.34)
    index, n = data.train, data.train.n_examples
    truth = all_overlaps(gaussian_chunks)
    table = index.table()
    batches = list(iter_batches(index, 7, np.random.SeedSequence(2), shuffle_buffer=9))
    assert [b[2].size for b in batches] == [7] * (n // 7) + ([n % 7] if n % 7 else [])
    pos = np.concatenate([b[2] for b in batches])
    np.testing.assert_array_equal(np.sort(pos), np.arange(n))
    assert not np.array_equal(pos, np.arange(n))  # shuffled
    for x, y, p in batches:
        assert x.dtype == np.int8 and y.dtype == np.int32
        np.testing.assert_array_equal(y, table["label"][p])  # flipped labels included
        for xk, k in zip(x, p, strict=True):
            np.testing.assert_array_equal(
                xk, truth[table["instance"][k], table["t"][k]][table["snapshot"][k]]
            )
    # repeating: full batches across epoch boundaries, each epoch a new permutation of all examples
    stream = iter_batches(index, 7, np.random.SeedSequence(2), repeat=True, shuffle_buffer=9)
    pos = np.concatenate([next(stream)[2] for _ in range(3 * n // 7 + 1)])[: 3 * n]
    epochs = pos.reshape(3, n)
    for e in epochs:
        np.testing.assert_array_equal(np.sort(e), np.arange(n))
    np.testing.assert_array_equal(epochs[0], np.concatenate([b[2] for b in batches]))
    assert not np.array_equal(epochs[0], epochs[1])


def test_stream_order_and_subsets(gaussian_chunks):
    index = build_index(gaussian_chunks)
    plain = np.concatenate([p for _, _, p in iter_batches(index, 10)])
    np.testing.assert_array_equal(plain, np.arange(index.n_examples))  # no seed: index order
    a = [p for _, _, p in iter_batches(index, 10, np.random.SeedSequence(3), limit=25)]
    b = [p for _, _, p in iter_batches(index, 10, np.random.SeedSequence(3), limit=25)]
    assert [p.size for p in a] == [10, 10, 5]
    np.testing.assert_array_equal(np.concatenate(a), np.concatenate(b))
    assert np.unique(np.concatenate(a)).size == 25
    for bad in (dict(batch_size=0), dict(shuffle_buffer=0), dict(repeat=True, limit=5), dict(limit=0)):
        with pytest.raises(ValueError):
            iter_batches(index, **{"batch_size": 4, **bad})


def test_block_cache_decodes_once_within_its_budget(gaussian_chunks, monkeypatch):
    """The cache changes no batch; under budget a block is decompressed once, over it never more than that."""
    index = build_index(gaussian_chunks)
    block_bytes = index.n_con * index.L**3
    reads = []
    original = h5py.Dataset.__getitem__

    def spy(self, key):
        reads.append(key)
        return original(self, key)

    monkeypatch.setattr(h5py.Dataset, "__getitem__", spy)

    def three_epochs(cache):
        reads.clear()
        stream = iter_batches(index, 7, np.random.SeedSequence(4), repeat=True, shuffle_buffer=9, cache=cache)
        out = [next(stream) for _ in range(3 * index.n_examples // 7)]
        return out, len(reads)

    plain, n_plain = three_epochs(None)
    full = BlockCache(index.blocks.size * block_bytes)
    cached, n_cached = three_epochs(full)
    half = BlockCache(index.blocks.size // 2 * block_bytes)
    partly, n_partly = three_epochs(half)
    for a, b, c in zip(plain, cached, partly, strict=True):
        for u, v, w in zip(a, b, c, strict=True):
            np.testing.assert_array_equal(u, v)
            np.testing.assert_array_equal(u, w)
    assert n_plain >= 3 * index.blocks.size - 2 * 9  # every block read every epoch (the last one partly)
    assert n_cached == index.blocks.size  # each block decompressed once
    assert full.nbytes == index.blocks.size * block_bytes
    assert half.nbytes == index.blocks.size // 2 * block_bytes  # filled to its budget, not beyond
    assert index.blocks.size < n_partly < n_plain
    with pytest.raises(ValueError, match="max_bytes"):
        BlockCache(-1)


def test_stream_never_loads_a_whole_file(tmp_path, monkeypatch, synthetic_chunk):
    """Reads are single blocks, and the peak memory of a full pass does not grow with the file."""
    L, n_T, n_con = 8, 4, 16
    reads = []
    original = h5py.Dataset.__getitem__

    def spy(self, key):
        out = original(self, key)
        reads.append((self.name, np.asarray(out).nbytes))
        return out

    monkeypatch.setattr(h5py.Dataset, "__getitem__", spy)
    peaks, sizes = [], []
    for n_i in (16, 64):
        shape = (n_i, n_T, n_con, L, L, L)
        overlaps = np.random.default_rng(0).choice(np.array([-1, 1], np.int8), size=shape)
        path = synthetic_chunk(tmp_path / f"chunk{n_i}.h5", overlaps, [0.8, 0.9, 1.0, 1.1], 0)
        index = build_index([path])
        sizes.append(overlaps.nbytes)
        del overlaps
        reads.clear()
        tracemalloc.start()
        stream = iter_batches(index, 32, np.random.SeedSequence(0), shuffle_buffer=64)
        count = sum(p.size for _, _, p in stream)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert count == index.n_examples
        overlap_reads = [nbytes for name, nbytes in reads if name == "/overlaps"]
        assert len(overlap_reads) == n_i * n_T and max(overlap_reads) == n_con * L**3  # one block per read
    # 4x the data, about the same memory (what grows is O(blocks): the order, labels, this test's read log)
    assert peaks[1] < 1.25 * peaks[0] + 16_384, peaks
    assert peaks[1] < sizes[1] / 8, (peaks, sizes)


def test_tf_datasets(gaussian_chunks):
    data = training_data(gaussian_chunks, "flip-0.25", seed=5, validation_fraction=0.34)
    train, val = training_datasets(data, seed=5, batch_size=8, shuffle_buffer=16, validation_examples=20)
    spec = (tf.TensorSpec((None, 4, 4, 4, 1), tf.float32), tf.TensorSpec((None,), tf.int32))
    assert train.element_spec == spec and val.element_spec == spec
    assert train.cardinality() == tf.data.INFINITE_CARDINALITY and val.cardinality() == 3
    first = [(x.numpy(), y.numpy()) for x, y in val]
    again = [(x.numpy(), y.numpy()) for x, y in val]
    assert [y.size for _, y in first] == [8, 8, 4]
    for (x1, y1), (x2, y2) in zip(first, again, strict=True):  # the same subset at every evaluation
        np.testing.assert_array_equal(x1, x2)
        np.testing.assert_array_equal(y1, y2)
    x, y = next(iter(train))
    assert x.shape == (8, 4, 4, 4, 1) and set(np.unique(x.numpy())) <= {-1.0, 1.0}
    assert set(np.unique(y.numpy())) <= {0, 1}
    full = make_dataset(data.train, 10)
    assert full.cardinality() == -(-data.train.n_examples // 10)
    labels = np.concatenate([y.numpy() for _, y in full])
    np.testing.assert_array_equal(labels, data.train.table()["label"])


def test_each_model_of_an_ensemble_has_its_own_flips_and_order_on_the_shared_split(gaussian_chunks):
    """Model 0 draws exactly the single-model streams; model k >= 1 draws its own flips and training order,
    while the split, the validation order and the instances are shared by every model."""
    from spinglass_ml.ml.blocks import iter_batches
    from spinglass_ml.seeds import STREAM_SHUFFLE, init_seed, model_key

    data = [
        training_data(gaussian_chunks, "flip-0.25", seed=5, validation_fraction=0.34, model=k)
        for k in range(3)
    ]
    single = training_data(gaussian_chunks, "flip-0.25", seed=5, validation_fraction=0.34)
    np.testing.assert_array_equal(data[0].train.flipped, single.train.flipped)
    assert [d.model for d in data] == [0, 1, 2] and [d.provenance()["model"] for d in data] == [0, 1, 2]
    for d in data[1:]:
        np.testing.assert_array_equal(d.train.instances, single.train.instances)
        np.testing.assert_array_equal(d.validation.instances, single.validation.instances)
        assert not np.array_equal(d.train.flipped, single.train.flipped)
    assert abs(data[1].achieved_flip_fraction - 0.25) < 0.1
    assert model_key(0) == () and model_key(3) == (3,)
    assert init_seed(5, 0) == 5 and len({init_seed(5, k) for k in range(4)}) == 4
    with pytest.raises(ValueError, match=">= 0"):
        model_key(-1)

    def first_batch(k):
        order = stream_seed(5, STREAM_SHUFFLE, 4, 0, *model_key(k))
        return next(iter(iter_batches(data[0].train, 8, order)))[0]

    assert np.array_equal(first_batch(0), first_batch(0)) and not np.array_equal(
        first_batch(0), first_batch(1)
    )
