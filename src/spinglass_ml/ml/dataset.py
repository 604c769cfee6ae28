"""Examples for training and prediction: the block index over Monte Carlo chunk files, labels, the split by
instance and the training data of one condition.

An *example* is one overlap snapshot ``overlaps[i, t, c]`` (int8 ±1, shape (L, L, L)) of a chunk file (see
:mod:`spinglass_ml.mc.chunks`), labelled 1 ("high temperature") if ``temperatures[t] > threshold`` and 0
otherwise. Each (instance, temperature) pair is one HDF5 chunk of the file, a *block* of ``n_con`` snapshots.

The example index is stored per block (file, instance, temperature) rather than per example: the example at
position ``p`` of an :class:`ExampleIndex` is snapshot ``p % n_con`` of block ``p // n_con``. Its memory is
O(instances x temperatures); label flips are stored as positions, O(flips). Reading the examples is
:mod:`spinglass_ml.ml.blocks`'s.

Random streams (:mod:`spinglass_ml.seeds`), independent of TensorFlow's: the train/validation split uses
``stream_seed(seed, STREAM_SPLIT, L)``, the label flips ``(STREAM_FLIP, L)``. Neither depends on the
condition, so every condition of one L sees the same split, and the flips of a lower rate are a subset of
those of a higher rate.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import numpy as np

from spinglass_ml.mc.chunks import read_chunk
from spinglass_ml.ml.conditions import Condition, flipped_positions, parse_condition, training_sweeps
from spinglass_ml.seeds import STREAM_FLIP, STREAM_SPLIT, model_key, stream_seed

DEFAULT_THRESHOLD = 0.95  # T_c of the Gaussian 3D spin glass; paper Sec. II B
BLOCK_DTYPE = np.dtype([("file", np.int32), ("local", np.int32), ("instance", np.int64), ("t", np.int32)])


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

    def class_counts(self) -> tuple[int, int]:
        """Examples of class 0 and of class 1, flips applied (the labels as trained on); O(flips) memory."""
        n1 = self.n_con * int(self.block_labels.sum(dtype=np.int64))
        if self.flipped.size:
            measured = self.block_labels[self.flipped // self.n_con]
            n1 += int(np.count_nonzero(measured == 0)) - int(np.count_nonzero(measured == 1))
        return self.n_examples - n1, n1

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


def balanced_class_weight(n0: int, n1: int) -> dict[int, float]:
    """Class weights that make both classes weigh alike: ``n / (2 n_c)`` for class c, n = n0 + n1.

    With them the weighted examples of each class sum to n / 2, so a weighted loss sees a uniform class prior.

    Raises
    ------
    ValueError
        if a class has no examples.
    """
    if n0 < 1 or n1 < 1:
        raise ValueError(f"balanced class weights need examples of both classes, got {n0} and {n1}")
    n = n0 + n1
    return {0: n / (2 * n0), 1: n / (2 * n1)}


def build_index(paths: Sequence[str | Path], threshold: float = DEFAULT_THRESHOLD) -> ExampleIndex:
    """Index every example of the chunk files of one (disorder, L, sweeps).

    Each file is validated first (:func:`spinglass_ml.mc.chunks.read_chunk`); only its temperatures are read.

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
    model : index k of the model in its seed ensemble (0 for a single model)
    """

    condition: Condition
    train: ExampleIndex
    validation: ExampleIndex
    model: int = 0

    @property
    def achieved_flip_fraction(self) -> float:
        """Fraction of training labels actually flipped."""
        return self.train.flipped.size / self.train.n_examples

    def provenance(self) -> dict:
        """The training data's entries of a model's provenance record (docs/contracts.md#model-files):
        condition, model index, L, disorder, sweeps, threshold, files, sizes of the split and the flips."""
        cond = self.condition
        return {
            "condition": str(cond),
            "condition_value": cond.value,
            "model": self.model,
            "L": self.train.L,
            "disorder": self.train.disorder,
            "sweeps": self.train.sweeps,
            "threshold": self.train.threshold,
            "files": [str(p) for p in self.train.files],
            "n_train_instances": int(self.train.instances.size),
            "n_validation_instances": int(self.validation.instances.size),
            "n_train_examples": self.train.n_examples,
            "n_validation_examples": self.validation.n_examples,
            "flip_rate": cond.value if cond.kind == "flip" else 0.0,
            "n_flipped": int(self.train.flipped.size),
            "achieved_flip_fraction": self.achieved_flip_fraction,
        }

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
    model: int = 0,
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
        :func:`spinglass_ml.ml.conditions.training_sweeps` of it
    model : index k of the model in its seed ensemble: its own label flips, the split shared by every k
    """
    condition = parse_condition(condition) if isinstance(condition, str) else condition
    index = build_index(paths, threshold)
    if sweeps is not None and index.sweeps != training_sweeps(condition, sweeps):
        raise ValueError(f"condition {condition}: needs data with {training_sweeps(condition, sweeps)} "
                         f"sweeps, the files have {index.sweeps}")  # fmt: skip
    train, val = split_by_instance(index, validation_fraction, stream_seed(seed, STREAM_SPLIT, index.L))
    if condition.kind == "flip":
        train = train.with_flips(condition.value, stream_seed(seed, STREAM_FLIP, index.L, *model_key(model)))
    return TrainingData(condition, train, val, model)
