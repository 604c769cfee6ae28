"""The ``tf.data`` pipelines of training and validation over the seeded batches of
:mod:`spinglass_ml.ml.blocks`: a stream holds at most a shuffle pool, one batch and a few prefetched batches,
whatever the size of the data set."""

from __future__ import annotations

import ctypes

import numpy as np
import tensorflow as tf

from spinglass_ml.ml.blocks import BlockCache, iter_batches
from spinglass_ml.ml.dataset import ExampleIndex, TrainingData
from spinglass_ml.seeds import STREAM_SHUFFLE, model_key, stream_seed


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
        keep_freed_memory()
        for x, y, _ in iter_batches(index, batch_size, seed_sequence, **options):
            yield x, y

    spec = (tf.TensorSpec((None, L, L, L), tf.int8), tf.TensorSpec((None,), tf.int32))
    ds = tf.data.Dataset.from_generator(generate, output_signature=spec)
    n = index.n_examples if limit is None else min(limit, index.n_examples)
    cardinality = tf.data.INFINITE_CARDINALITY if repeat else -(-n // batch_size)
    ds = ds.apply(tf.data.experimental.assert_cardinality(cardinality))
    ds = ds.map(lambda x, y: (tf.cast(x, tf.float32)[..., None], y))
    # no autotuning: the pipeline is fixed, and its thread (which sleeps up to a minute between rounds) held
    # up the end of a training job until it woke, because destroying an iterator waits for it
    fixed = tf.data.Options()
    fixed.autotune.enabled = False
    return ds.prefetch(prefetch).with_options(fixed)


# glibc's mallopt parameters; 1 GiB for both: freed blocks stay in the heap for the next batch's tensors
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _KEEP = -1, -3, 1 << 30


def keep_freed_memory() -> None:
    """Let glibc keep freed memory for reuse (a no-op without glibc).

    TensorFlow's generator dataset sets glibc's trim threshold to 128 kB when it starts, so every tensor
    larger than that is handed back to the kernel when freed and faulted in afresh when the next step
    allocates it: that nearly doubled the time of a training step at L = 8 (one core). Called at the start of
    every pass, after TensorFlow has set its threshold. Allocation does not change any arithmetic."""
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)  # the process's own symbols, libc's among them
    if mallopt is not None:
        mallopt(_M_TRIM_THRESHOLD, _KEEP)
        mallopt(_M_MMAP_THRESHOLD, _KEEP)


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
    validation (the first ``validation_examples`` of a fixed shuffled order, all by default). The training
    order is model ``data.model``'s own (:mod:`spinglass_ml.seeds`); the validation order is shared.

    ``cache_bytes`` of decoded blocks are kept for each stream (:func:`make_dataset`); the batches do not
    depend on it."""
    L = data.train.L
    order = stream_seed(seed, STREAM_SHUFFLE, L, 0, *model_key(data.model))
    train = make_dataset(data.train, batch_size, order, repeat=True, shuffle_buffer=shuffle_buffer,
                         cache_bytes=cache_bytes)  # fmt: skip
    val = make_dataset(data.validation, batch_size, stream_seed(seed, STREAM_SHUFFLE, L, 1),
                       shuffle_buffer=shuffle_buffer, limit=validation_examples,
                       cache_bytes=cache_bytes)  # fmt: skip
    return train, val
