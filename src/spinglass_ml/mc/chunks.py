"""The Monte Carlo HDF5 contract: ``results/mc/{disorder}/L{L}/sweeps{sweeps}/chunk{chunk}.h5``.

One file holds a contiguous range of disorder instances (leading axis ``i``) at ``n_T`` temperatures
(axis ``t``); docs/contracts.md gives the meaning of each dataset. Files are written atomically (a temporary
file renamed into place once complete), carry a ``complete`` attribute written last, and are validated on
read, so a truncated, partial or foreign file raises :class:`CorruptChunkError` instead of being read
silently. The contract is versioned (:data:`FORMAT_VERSION`, the ``format_version`` attribute); a file of an
older (or newer) format raises :class:`FormatVersionError`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import h5py
import numpy as np

from spinglass_ml.provenance import package_version

# The version of the contract, stored in every file as ``format_version`` (files without it are version 1).
# Bump it with any change of the datasets or attributes; rule simulate reruns the chunks of other versions.
# 2: ``logbins/q2``.
FORMAT_VERSION = 2
ATTRIBUTES = ("L", "disorder", "sweeps", "seed", "first_instance", "n_instances", "n_con",
              "package_version", "config_hash", "format_version")  # fmt: skip


def _shapes(
    n_i: int, n_T: int, n_con: int, L: int, n_bins: int, n_ladder: int = 0
) -> dict[str, tuple[str, tuple[int, ...]]]:
    """Expected (dtype kind and size, shape) of every dataset; with a ladder of ``n_ladder > n_T``
    temperatures (a hot end above the measured ones), also the ladder's temperatures and swap acceptance."""
    grid = (L, L, L)
    shapes = {
        "temperatures": ("f8", (n_T,)),
        "couplings": ("f4", (n_i, 3, *grid)),
        "overlaps": ("i1", (n_i, n_T, n_con, *grid)),
        "energy": ("f8", (n_i, n_T)),
        "link_overlap": ("f8", (n_i, n_T)),
        "q2": ("f8", (n_i, n_T)),
        "q4": ("f8", (n_i, n_T)),
        "qk2": ("f8", (n_i, n_T)),
        "logbins/energy": ("f8", (n_i, n_T, n_bins)),
        "logbins/link_overlap": ("f8", (n_i, n_T, n_bins)),
        "logbins/q2": ("f8", (n_i, n_T, n_bins)),
        "swap_acceptance": ("f8", (n_i, n_T - 1)),
        "final_spins": ("i1", (n_i, n_T, 2, *grid)),
    }
    if n_ladder > n_T:
        shapes.update({"ladder/temperatures": ("f8", (n_ladder,)),
                       "ladder/swap_acceptance": ("f8", (n_i, n_ladder - 1))})  # fmt: skip
    return shapes


DATASETS = tuple(_shapes(1, 2, 1, 2, 1))
# present only in the chunks of a ladder with a hot end (``mc.<disorder>.temperatures.hot``)
LADDER_DATASETS = tuple(name for name in _shapes(1, 2, 1, 2, 1, 3) if name not in DATASETS)


class CorruptChunkError(OSError):
    """A Monte Carlo file that is missing, truncated, incomplete or does not follow the contract."""


class FormatVersionError(CorruptChunkError):
    """A complete Monte Carlo file written to another version of the contract than :data:`FORMAT_VERSION`."""


def write_chunk(path: str | Path, data: dict[str, np.ndarray], attrs: dict) -> None:
    """Write one chunk atomically.

    Parameters
    ----------
    path : final path; the data go to a temporary file in the same folder that is renamed into place
        only once complete, so an interrupted job never leaves a file at ``path``
    data : every dataset of the contract, and both or neither of :data:`LADDER_DATASETS` (other keys are an
        error)
    attrs : every attribute of the contract except ``package_version`` and ``format_version``, which are added
        here
    """
    path = Path(path)
    attrs = {**attrs, "package_version": package_version(), "format_version": FORMAT_VERSION}
    missing = set(ATTRIBUTES) - set(attrs)
    has_ladder = bool(set(LADDER_DATASETS) & set(data))
    expected = set(DATASETS) | (set(LADDER_DATASETS) if has_ladder else set())
    if missing or set(data) != expected:
        raise ValueError(f"write_chunk: missing attributes {sorted(missing)} or datasets "
                         f"{sorted(expected ^ set(data))} against the contract")  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with h5py.File(tmp, "w") as f:
            for name, arr in data.items():
                arr = np.asarray(arr)
                if name == "overlaps":
                    chunks = (1, 1, *arr.shape[2:]) if arr.shape[0] else None
                    f.create_dataset(name, data=arr, chunks=chunks, compression="gzip", compression_opts=4,
                                     shuffle=True)  # fmt: skip
                else:
                    f.create_dataset(name, data=arr)
            for key in ATTRIBUTES:
                f.attrs[key] = attrs[key]
            f.attrs["complete"] = True  # last: its presence means every write above finished
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        _check(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _check(path: Path) -> dict:
    """Validate structure against the contract; return the attributes."""
    try:
        f = h5py.File(path, "r")
    except OSError as err:
        raise CorruptChunkError(f"{path}: cannot be opened as HDF5 (truncated or corrupt?): {err}") from None
    with f:
        attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
        if not attrs.get("complete", False):
            raise CorruptChunkError(
                f"{path}: incomplete (no 'complete' attribute): the writing job did not finish"
            )
        version = int(attrs.get("format_version", 1))
        if version != FORMAT_VERSION:
            todo = (
                "delete it (it is read-only) and simulate it again; snakemake plans rule simulate for every "
                "chunk of an older format"
                if version < FORMAT_VERSION
                else "read it with the spinglass-ml that wrote it (its package_version attribute)"
            )
            raise FormatVersionError(
                f"{path}: Monte Carlo chunk of format version {version}, but this package reads version "
                f"{FORMAT_VERSION} only (docs/contracts.md): {todo}"
            )
        missing = [k for k in ATTRIBUTES if k not in attrs]
        if missing:
            raise CorruptChunkError(f"{path}: missing attributes {missing}")
        for name in DATASETS:
            if name not in f:
                raise CorruptChunkError(f"{path}: missing dataset '{name}'")
        n_T = f["temperatures"].shape[0]
        n_bins = f["logbins/energy"].shape[-1]
        n_ladder = f["ladder/temperatures"].shape[0] if "ladder/temperatures" in f else 0
        want = _shapes(int(attrs["n_instances"]), n_T, int(attrs["n_con"]), int(attrs["L"]), n_bins, n_ladder)
        if "ladder" in f and n_ladder <= n_T:
            raise CorruptChunkError(
                f"{path}: its group 'ladder' needs temperatures beyond the {n_T} measured"
            )
        for name, (dtype, shape) in want.items():
            if name not in f:
                raise CorruptChunkError(f"{path}: missing dataset '{name}'")
            ds = f[name]
            if ds.dtype != np.dtype(dtype) or ds.shape != shape:
                raise CorruptChunkError(
                    f"{path}: dataset '{name}' is {ds.dtype}{ds.shape}, the contract says {dtype}{shape}"
                )
    return attrs


def read_chunk(path: str | Path, datasets: Iterable[str] | None = None) -> tuple[dict[str, np.ndarray], dict]:
    """Read (a selection of) the datasets of one chunk after validating it.

    Returns
    -------
    (data, attrs): arrays keyed by dataset name (all of them by default), and the file's attributes.

    Raises
    ------
    CorruptChunkError
        if the file is missing, truncated, incomplete, off-contract, or a compressed block fails to decode.
    """
    path = Path(path)
    if not path.exists():
        raise CorruptChunkError(f"{path}: no such file")
    attrs = _check(path)
    names = DATASETS if datasets is None else tuple(datasets)
    unknown = set(names) - set(DATASETS) - set(LADDER_DATASETS)
    if unknown:
        raise ValueError(f"read_chunk: unknown datasets {sorted(unknown)}; the contract has {DATASETS}")
    with h5py.File(path, "r") as f:
        absent = [name for name in names if name not in f]
    if absent:
        raise KeyError(f"{path}: has no {absent} (written without a hot end of the ladder)")
    try:
        with h5py.File(path, "r") as f:
            data = {name: f[name][()] for name in names}
    except OSError as err:
        raise CorruptChunkError(f"{path}: data cannot be read (corrupt block?): {err}") from None
    return data, attrs


def write_synthetic_chunk(
    path: str | Path,
    overlaps: np.ndarray,
    temperatures: np.ndarray,
    first_instance: int,
    *,
    disorder: str = "gaussian",
    sweeps: int = 64,
    measurements: dict[str, np.ndarray] | None = None,
) -> Path:
    """Write a contract-conforming chunk around given overlaps, for tests and benchmarks of the ML stages.

    Parameters
    ----------
    overlaps : ±1, shape (n_i, n_T, n_con, L, L, L); the other datasets are zero placeholders (final spins +1)
        unless given in ``measurements``
    temperatures : (n_T,) ascending
    measurements : datasets of the contract replacing the placeholders, e.g. the window averages and the
        ``logbins/*`` (n_i, n_T, n_bins), all with the same n_bins (1 without them)
    """
    n_i, n_T, n_con, L = overlaps.shape[:4]
    data = {name: np.zeros((n_i, n_T)) for name in ("energy", "link_overlap", "q2", "q4", "qk2")}
    data.update(
        {
            "temperatures": np.asarray(temperatures, np.float64),
            "couplings": np.zeros((n_i, 3, L, L, L), np.float32),
            "overlaps": np.asarray(overlaps, np.int8),
            **{name: np.zeros((n_i, n_T, 1)) for name in DATASETS if name.startswith("logbins/")},
            "swap_acceptance": np.zeros((n_i, n_T - 1)),
            "final_spins": np.ones((n_i, n_T, 2, L, L, L), np.int8),
        }
    )
    data.update(measurements or {})  # a name off the contract fails in write_chunk
    attrs = {"L": L, "disorder": disorder, "sweeps": sweeps, "seed": 0, "first_instance": first_instance,
             "n_instances": n_i, "n_con": n_con, "config_hash": "synthetic"}  # fmt: skip
    write_chunk(path, data, attrs)
    return Path(path)
