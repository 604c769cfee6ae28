"""Examples for training and prediction, read from Monte Carlo chunk files block by block.

An *example* is one overlap snapshot ``overlaps[i, t, c]`` (int8 ±1, shape (L, L, L)) of a chunk file (see
``mcio``), labelled 1 ("high temperature") if ``temperatures[t] > threshold`` and 0 otherwise. Each
(instance, temperature) pair is one HDF5 chunk of the file, a *block* of ``n_con`` snapshots; the reader
decompresses one block at a time and never holds a whole file.

The example index is stored per block (file, instance, temperature) rather than per example: the example at
position ``p`` of an :class:`ExampleIndex` is snapshot ``p % n_con`` of block ``p // n_con``. Its memory is
O(instances x temperatures); label flips are stored as positions, O(flips). The streams built here hold at
most a shuffle pool, one batch and a few prefetched batches, whatever the size of the data set.

Random streams, all derived from one master seed and independent of TensorFlow's: the train/validation split
uses ``SeedSequence(seed, spawn_key=(STREAM_SPLIT, L))``, the label flips ``(STREAM_FLIP, L)``, the order of
epoch ``e`` of the training stream ``(STREAM_SHUFFLE, L, 0, e)`` and of the validation stream
``(STREAM_SHUFFLE, L, 1, 0)``. None depends on the condition, so every condition of one L sees the same split
and the same example order, and the flips of a lower rate are a subset of those of a higher rate.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import h5py
import numpy as np
import tensorflow as tf

from .mcio import CorruptChunkError, read_chunk
from .poison import Condition, flipped_positions, parse_condition, training_sweeps

STREAM_SPLIT, STREAM_FLIP, STREAM_SHUFFLE = 0, 1, 2
DEFAULT_THRESHOLD = 0.95  # T_c of the Gaussian 3D spin glass; paper Sec. II B
BLOCK_DTYPE = np.dtype([("file", np.int32), ("local", np.int32), ("instance", np.int64), ("t", np.int32)])


def stream_seed(seed: int, stream: int, L: int, *key: int) -> np.random.SeedSequence:
    """The seed sequence of one random stream of the data pipeline (see the module docstring)."""
    return np.random.SeedSequence(seed, spawn_key=(stream, L, *key))


@dataclass(frozen=True, eq=False)
class ExampleIndex:
    """The examples of a set of chunk files of one (disorder, L, sweeps), stored per block.

    Attributes
    ----------
    files : the chunk files, ordered by ``first_instance``
    L, n_con, disorder, sweeps : common attributes of the files
    temperatures : float64 (n_T,), ascending, common to the files
    threshold : examples at ``T > threshold`` are labelled 1 (high temperature)
    blocks : structured (n_blocks,) with fields ``file`` (index into ``files``), ``local`` (instance index
        within the file), ``instance`` (global instance id) and ``t`` (temperature index)
    flipped : int64 (n_flipped,), ascending positions whose label is flipped
    """

    files: tuple[Path, ...]
    L: int
    n_con: int
    disorder: str
    sweeps: int
    temperatures: np.ndarray
    threshold: float
    blocks: np.ndarray
    flipped: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    @property
    def n_examples(self) -> int:
        return int(self.blocks.size * self.n_con)

    @property
    def instances(self) -> np.ndarray:
        """Global ids of the instances in the index, int64 ascending."""
        return np.unique(self.blocks["instance"])

    @cached_property
    def block_labels(self) -> np.ndarray:
        """Measured (unflipped) label of every block, int8 (n_blocks,)."""
        return (self.temperatures[self.blocks["t"]] > self.threshold).astype(np.int8)

    def labels(self, positions: np.ndarray) -> np.ndarray:
        """Labels of the examples at ``positions`` (int (n,)), flips applied: int8 (n,)."""
        positions = np.asarray(positions, np.int64)
        labels = self.block_labels[positions // self.n_con]
        if self.flipped.size:
            k = np.minimum(np.searchsorted(self.flipped, positions), self.flipped.size - 1)
            labels = np.where(self.flipped[k] == positions, 1 - labels, labels).astype(np.int8)
        return labels

    def table(self, positions: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """The example index table, one row per example (all of them by default: O(n_examples) memory).

        Returns
        -------
        dict of equal-length arrays: ``instance`` (global id), ``t`` (temperature index), ``snapshot``
        (index among the block's ``n_con``), ``label`` (flips applied) and ``file`` (index into ``files``).
        """
        pos = np.arange(self.n_examples) if positions is None else np.asarray(positions, np.int64)
        rows = self.blocks[pos // self.n_con]
        return {
            "instance": rows["instance"],
            "t": rows["t"],
            "snapshot": (pos % self.n_con).astype(np.int32),
            "label": self.labels(pos),
            "file": rows["file"],
        }

    def select_instances(self, instances: Sequence[int] | np.ndarray) -> ExampleIndex:
        """The sub-index of the given global instance ids, in the original block order, without flips."""
        if self.flipped.size:
            raise ValueError("select_instances: split before flipping (flip positions refer to this index)")
        keep = np.isin(self.blocks["instance"], np.asarray(instances, np.int64))
        return replace(self, blocks=self.blocks[keep])

    def with_flips(self, rate: float, seed_sequence: np.random.SeedSequence) -> ExampleIndex:
        """A copy whose labels are flipped independently with probability ``rate`` (``poison`` stream)."""
        return replace(self, flipped=flipped_positions(self.n_examples, rate, seed_sequence))


def build_index(paths: Sequence[str | Path], threshold: float = DEFAULT_THRESHOLD) -> ExampleIndex:
    """Index every example of the chunk files of one (disorder, L, sweeps).

    Each file is validated first (:func:`spinglass_ml.mcio.read_chunk`); only its temperatures are read.

    Raises
    ------
    CorruptChunkError
        if a file is missing, truncated, incomplete or off-contract.
    ValueError
        if no file is given, the files disagree on L, n_con, disorder, sweeps or temperatures, or an
        instance appears in two files.
    """
    if not paths:
        raise ValueError("build_index: no chunk files given")
    if not math.isfinite(threshold):
        raise ValueError(f"threshold: need a finite temperature, got {threshold}")
    heads = []
    for path in paths:
        data, attrs = read_chunk(path, ["temperatures"])
        heads.append((int(attrs["first_instance"]), Path(path), data["temperatures"], attrs))
    heads.sort(key=lambda h: h[0])
    _, first_path, temperatures, ref = heads[0]
    common = ("L", "n_con", "disorder", "sweeps")
    blocks, seen = [], set()
    for k, (first, path, temps, attrs) in enumerate(heads):
        for key in common:
            if attrs[key] != ref[key]:
                raise ValueError(f"{path}: {key} = {attrs[key]} but {first_path} has {ref[key]}")
        if not np.array_equal(temps, temperatures):
            raise ValueError(f"{path}: temperatures differ from those of {first_path}")
        ids = range(first, first + int(attrs["n_instances"]))
        if seen.intersection(ids):
            raise ValueError(f"{path}: instances {sorted(seen.intersection(ids))} are also in another file")
        seen.update(ids)
        b = np.zeros((len(ids), temps.size), BLOCK_DTYPE)
        b["file"] = k
        b["local"] = np.arange(len(ids))[:, None]
        b["instance"] = np.asarray(ids)[:, None]
        b["t"] = np.arange(temps.size)
        blocks.append(b.ravel())
    files = tuple(h[1] for h in heads)
    L, n_con, disorder, sweeps = int(ref["L"]), int(ref["n_con"]), str(ref["disorder"]), int(ref["sweeps"])
    return ExampleIndex(
        files, L, n_con, disorder, sweeps, temperatures, float(threshold), np.concatenate(blocks)
    )


def split_by_instance(
    index: ExampleIndex, validation_fraction: float, seed_sequence: np.random.SeedSequence
) -> tuple[ExampleIndex, ExampleIndex]:
    """Split into training and validation indices by disorder instance (no instance in both).

    ``round(validation_fraction * n_instances)`` instances, drawn by a seeded permutation, go to validation.

    Raises
    ------
    ValueError
        if either side would be empty.
    """
    ids = index.instances
    n_val = int(round(validation_fraction * ids.size))
    if not 0 < n_val < ids.size:
        raise ValueError(f"validation_fraction {validation_fraction} of {ids.size} instances gives {n_val} "
                         "validation instances: need at least one on each side")  # fmt: skip
    val = np.random.default_rng(seed_sequence).permutation(ids)[:n_val]
    return index.select_instances(np.setdiff1d(ids, val)), index.select_instances(val)


@dataclass(frozen=True)
class TrainingData:
    """The training and validation examples of one (condition, L).

    Attributes
    ----------
    condition : the training condition
    train : training index; for ``flip`` conditions its ``flipped`` holds the flipped positions
    validation : validation index (labels never flipped)
    """

    condition: Condition
    train: ExampleIndex
    validation: ExampleIndex

    @property
    def achieved_flip_fraction(self) -> float:
        """Fraction of training labels actually flipped."""
        return self.train.flipped.size / self.train.n_examples

    def arrays(self) -> dict[str, np.ndarray]:
        """What to store with the model (e.g. in an ``.npz``) to identify the split and the flips.

        Returns
        -------
        ``flipped_indices`` int64 (n_flipped,) positions in the training index; ``flipped_instance``,
        ``flipped_t``, ``flipped_snapshot``, ``flipped_measured_label`` (n_flipped,) the same examples
        spelled out; ``train_instances`` and ``validation_instances``, global ids.
        """
        rows = self.train.table(self.train.flipped)
        return {
            "flipped_indices": self.train.flipped,
            "flipped_instance": rows["instance"],
            "flipped_t": rows["t"],
            "flipped_snapshot": rows["snapshot"],
            "flipped_measured_label": 1 - rows["label"],
            "train_instances": self.train.instances,
            "validation_instances": self.validation.instances,
        }


def training_data(
    paths: Sequence[str | Path],
    condition: Condition | str,
    seed: int,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    validation_fraction: float = 0.1,
    sweeps: int | None = None,
) -> TrainingData:
    """Index, split and (for ``flip`` conditions) poison the training data of one (condition, L).

    Parameters
    ----------
    paths : the Gaussian chunk files of one L (for ``therm`` conditions, the under-thermalised ones)
    condition : e.g. ``"clean"``, ``"flip-0.01"``, ``"therm-0.5"``
    seed : master seed of the split and flip streams
    threshold : label 1 for T > threshold (units of the coupling scale)
    validation_fraction : fraction of the instances held out for validation
    sweeps : the configured (well-thermalised) sweeps; if given, the files must have been simulated with
        :func:`spinglass_ml.poison.training_sweeps` of it
    """
    condition = parse_condition(condition) if isinstance(condition, str) else condition
    index = build_index(paths, threshold)
    if sweeps is not None and index.sweeps != training_sweeps(condition, sweeps):
        raise ValueError(f"condition {condition}: needs data with {training_sweeps(condition, sweeps)} "
                         f"sweeps, the files have {index.sweeps}")  # fmt: skip
    train, val = split_by_instance(index, validation_fraction, stream_seed(seed, STREAM_SPLIT, index.L))
    if condition.kind == "flip":
        train = train.with_flips(condition.value, stream_seed(seed, STREAM_FLIP, index.L))
    return TrainingData(condition, train, val)


class BlockCache:
    """Decoded blocks kept in memory up to a byte budget, shared by every pass over one stream.

    Blocks are admitted in the order they are first read (the first epoch's random order) until the budget is
    full and never evicted: a data set smaller than the budget is decompressed once, a larger one keeps a
    fixed random subset cached and streams the rest. Memory stays below ``max_bytes`` whatever the data size.
    """

    def __init__(self, max_bytes: int = 0) -> None:
        if max_bytes < 0:
            raise ValueError(f"cache: need max_bytes >= 0, got {max_bytes}")
        self.max_bytes = max_bytes
        self.nbytes = 0
        self._blocks: dict[int, np.ndarray] = {}

    def get(self, block: int) -> np.ndarray | None:
        return self._blocks.get(block)

    def offer(self, block: int, data: np.ndarray) -> None:
        """Keep ``data`` if it fits in the remaining budget."""
        if self.nbytes + data.nbytes <= self.max_bytes:
            self._blocks[block] = data
            self.nbytes += data.nbytes


class BlockReader:
    """Reads the blocks of an index one HDF5 chunk at a time, keeping at most ``max_open`` files open.

    Use as a context manager. Files are opened without a chunk cache; decoded blocks go to ``cache`` (if
    given, see :class:`BlockCache`), otherwise every block is decompressed once per pass.
    """

    def __init__(self, index: ExampleIndex, max_open: int = 8, cache: BlockCache | None = None) -> None:
        self.index = index
        self.max_open = max_open
        self.cache = cache
        self._open: OrderedDict[int, tuple[h5py.File, h5py.Dataset]] = OrderedDict()

    def __enter__(self) -> BlockReader:
        return self

    def __exit__(self, *exc) -> None:
        while self._open:
            self._open.popitem()[1][0].close()

    def read(self, block: int) -> np.ndarray:
        """Snapshots of one block: int8 (n_con, L, L, L).

        Raises
        ------
        CorruptChunkError
            if the block cannot be read or decoded.
        """
        cached = None if self.cache is None else self.cache.get(block)
        if cached is not None:
            return cached
        row = self.index.blocks[block]
        k = int(row["file"])
        path = self.index.files[k]
        try:
            if k in self._open:
                self._open.move_to_end(k)
            else:
                if len(self._open) >= self.max_open:
                    self._open.popitem(last=False)[1][0].close()
                f = h5py.File(path, "r", rdcc_nbytes=0)
                self._open[k] = (f, f["overlaps"])
            data = self._open[k][1][int(row["local"]), int(row["t"])]
        except OSError as err:
            where = f"instance {row['instance']}, t {row['t']}"
            raise CorruptChunkError(f"{path}: block ({where}) cannot be read (corrupt?): {err}") from None
        if self.cache is not None:
            self.cache.offer(block, data)
        return data


def iter_batches(
    index: ExampleIndex,
    batch_size: int,
    seed_sequence: np.random.SeedSequence | None = None,
    *,
    repeat: bool = False,
    shuffle_buffer: int = 10_000,
    limit: int | None = None,
    max_open: int = 8,
    cache: BlockCache | None = None,
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Stream the examples of an index in batches, reading one block at a time.

    Each epoch visits the blocks in a seeded random order; they are read into a pool of
    ``ceil(shuffle_buffer / n_con)`` blocks whose examples are shuffled together and cut into batches
    (the remainder is carried into the next pool). Every example appears exactly once per epoch.

    Parameters
    ----------
    index : the examples
    batch_size : examples per batch; only the last batch of a finite stream may be smaller
    seed_sequence : seed of the order; epoch ``e`` uses ``spawn_key + (e,)``. None: index order, unshuffled
    repeat : loop over epochs forever (batches then run across epoch boundaries)
    shuffle_buffer : examples in the shuffle pool (memory: about ``2 * shuffle_buffer * L**3`` bytes)
    limit : stop after this many examples (a fixed subset: the head of epoch 0); only without ``repeat``
    max_open : chunk files kept open at once
    cache : decoded blocks kept across passes (:class:`BlockCache`); None reads every block from its file

    Yields
    ------
    (x, y, positions): overlaps int8 (b, L, L, L), labels int32 (b,) with flips applied, positions int64
    (b,) of the examples in ``index``.
    """
    if batch_size < 1 or shuffle_buffer < 1 or max_open < 1:
        raise ValueError(f"need batch_size, shuffle_buffer and max_open >= 1, got {batch_size}, "
                         f"{shuffle_buffer}, {max_open}")  # fmt: skip
    if index.n_examples == 0:
        raise ValueError("iter_batches: the index holds no examples")
    if repeat and limit is not None:
        raise ValueError("iter_batches: limit applies to a single pass, not with repeat")
    if limit is not None and limit < 1:
        raise ValueError(f"limit: need at least 1 example, got {limit}")
    return _batches(index, batch_size, seed_sequence, repeat, shuffle_buffer, limit, max_open, cache)


def _batches(
    index: ExampleIndex,
    batch_size: int,
    seed_sequence: np.random.SeedSequence | None,
    repeat: bool,
    shuffle_buffer: int,
    limit: int | None,
    max_open: int,
    cache: BlockCache | None,
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The generator behind :func:`iter_batches` (arguments already checked)."""
    n_con, n_blocks = index.n_con, index.blocks.size
    per_pool = -(-shuffle_buffer // n_con)
    remaining = index.n_examples if limit is None else min(limit, index.n_examples)
    carry_x = np.zeros((0, *(index.L,) * 3), np.int8)
    carry_p = np.zeros(0, np.int64)
    epoch = 0
    with BlockReader(index, max_open, cache) as reader:
        while True:
            rng = None
            if seed_sequence is not None:
                key = (*seed_sequence.spawn_key, epoch)
                rng = np.random.default_rng(np.random.SeedSequence(seed_sequence.entropy, spawn_key=key))
            order = np.arange(n_blocks) if rng is None else rng.permutation(n_blocks)
            for start in range(0, n_blocks, per_pool):
                chosen = order[start : start + per_pool]
                new_x = np.concatenate([reader.read(b) for b in chosen])
                new_p = (chosen[:, None] * n_con + np.arange(n_con)).ravel()
                if rng is not None:
                    perm = rng.permutation(new_p.size)
                    new_x, new_p = new_x[perm], new_p[perm]
                if not repeat:  # a finite stream ends after `remaining` examples
                    new_x, new_p = new_x[:remaining], new_p[:remaining]
                    remaining -= new_p.size
                x, p = np.concatenate([carry_x, new_x]), np.concatenate([carry_p, new_p])
                n_full = p.size // batch_size * batch_size
                for lo in range(0, n_full, batch_size):
                    batch = p[lo : lo + batch_size]
                    yield x[lo : lo + batch_size], index.labels(batch).astype(np.int32), batch
                carry_x, carry_p = x[n_full:], p[n_full:]
                if not repeat and remaining == 0:
                    break
            if not repeat:
                break
            epoch += 1
    if carry_p.size:
        yield carry_x, index.labels(carry_p).astype(np.int32), carry_p


def make_dataset(
    index: ExampleIndex,
    batch_size: int,
    seed_sequence: np.random.SeedSequence | None = None,
    *,
    repeat: bool = False,
    shuffle_buffer: int = 10_000,
    limit: int | None = None,
    prefetch: int = 2,
    cache_bytes: int = 0,
) -> tf.data.Dataset:
    """A ``tf.data`` pipeline over :func:`iter_batches`: batched, shuffled (if seeded) and prefetched.

    Up to ``cache_bytes`` of decoded blocks are kept across the passes of this dataset (see
    :class:`BlockCache`): the repeated validation passes and the epochs of training then decompress a block
    once. The batches are the same with or without the cache.

    Returns
    -------
    Dataset of (x, y): x float32 (b, L, L, L, 1) overlaps ±1, y int32 (b,) labels. Infinite with
    ``repeat``, otherwise of known cardinality. Memory: the shuffle pool plus ``prefetch + 1`` batches,
    plus at most ``cache_bytes``.
    """
    L = index.L
    options = dict(repeat=repeat, shuffle_buffer=shuffle_buffer, limit=limit, cache=BlockCache(cache_bytes))
    iter_batches(index, batch_size, seed_sequence, **options)  # checks the arguments now, reads nothing

    def generate():  # called by TensorFlow at the start of every pass
        for x, y, _ in iter_batches(index, batch_size, seed_sequence, **options):
            yield x, y

    spec = (tf.TensorSpec((None, L, L, L), tf.int8), tf.TensorSpec((None,), tf.int32))
    ds = tf.data.Dataset.from_generator(generate, output_signature=spec)
    n = index.n_examples if limit is None else min(limit, index.n_examples)
    cardinality = tf.data.INFINITE_CARDINALITY if repeat else -(-n // batch_size)
    ds = ds.apply(tf.data.experimental.assert_cardinality(cardinality))
    ds = ds.map(lambda x, y: (tf.cast(x, tf.float32)[..., None], y))
    return ds.prefetch(prefetch)


def training_datasets(
    data: TrainingData,
    seed: int,
    batch_size: int,
    *,
    shuffle_buffer: int = 10_000,
    validation_examples: int | None = None,
    cache_bytes: int = 0,
) -> tuple[tf.data.Dataset, tf.data.Dataset]:
    """The streams of one (condition, L): training (infinite, reshuffled every epoch, flips applied) and
    validation (the first ``validation_examples`` of a fixed shuffled order, all by default).

    ``cache_bytes`` of decoded blocks are kept for each stream (:func:`make_dataset`); the batches do not
    depend on it."""
    L = data.train.L
    train = make_dataset(data.train, batch_size, stream_seed(seed, STREAM_SHUFFLE, L, 0), repeat=True,
                         shuffle_buffer=shuffle_buffer, cache_bytes=cache_bytes)  # fmt: skip
    val = make_dataset(data.validation, batch_size, stream_seed(seed, STREAM_SHUFFLE, L, 1),
                       shuffle_buffer=shuffle_buffer, limit=validation_examples,
                       cache_bytes=cache_bytes)  # fmt: skip
    return train, val
