"""Reading examples from chunk files without TensorFlow: blocks read one HDF5 chunk at a time, a bounded block
cache, and the seeded batch order over an :class:`~spinglass_ml.ml.dataset.ExampleIndex`.

The order of epoch ``e`` of a training stream is drawn from ``stream_seed(seed, STREAM_SHUFFLE, L, 0, e)``,
the validation order from ``(STREAM_SHUFFLE, L, 1, 0)`` (:mod:`spinglass_ml.seeds`), independent of the
condition. The ``tf.data`` pipelines over these batches are :mod:`spinglass_ml.ml.pipeline`'s.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator

import h5py
import numpy as np

from spinglass_ml.mc.chunks import CorruptChunkError
from spinglass_ml.ml.dataset import ExampleIndex


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
