"""Checkpoints of a running simulation: the full kernel state, saved atomically and resumed only by the
exact run (same couplings, temperatures, sweeps, snapshots, seeds, kernel path and prefix data sets) that
wrote it, with the results of the prefix data sets it has already finished."""

from __future__ import annotations

import hashlib
import os
from dataclasses import fields
from pathlib import Path

import numpy as np

from spinglass_ml import _ptmc
from spinglass_ml.mc.schedule import MEASURE_EVERY
from spinglass_ml.mc.state import MultispinState, PTState

# Each path's name in checkpoint fingerprints: a checkpoint resumes only on the path that wrote it (their
# chains differ). The simd path keeps the name it had as the only one-instance path.
CHECKPOINT_NAMES = {"multispin": "_multispin_path", "simd": "_plain_path", "plain": "_scalar_path"}


def fingerprint(
    couplings: np.ndarray,
    temperatures: np.ndarray,
    sweeps: int,
    n_con: int,
    mc_seeds,
    path: str,
    prefixes: tuple[int, ...] = (),
) -> str:
    h = hashlib.sha256(path.encode())
    h.update(np.ascontiguousarray(couplings, np.float32).tobytes())
    h.update(np.ascontiguousarray(temperatures, np.float64).tobytes())
    # the number of log-binned observables fixes the layout of the state's bins: a checkpoint written before
    # q^2 was log-binned lacks its early bins and starts afresh
    h.update(f"{sweeps},{n_con},{MEASURE_EVERY},{_ptmc.LOG_BINNED}".encode())
    for ss in mc_seeds:
        h.update(repr((ss.entropy, ss.spawn_key)).encode())
    if prefixes:  # a run without prefix data sets keeps the fingerprint it always had
        h.update(f"prefixes {list(prefixes)}".encode())
    return h.hexdigest()


def save_checkpoint(
    path: str | Path,
    state: PTState | MultispinState,
    fingerprint: str,
    finished: dict[int, dict[str, np.ndarray]] | None = None,
) -> None:
    """Write the full state atomically: a killed job leaves the previous checkpoint or none, never half.

    ``finished`` maps the sweeps of each prefix data set already finished to its results (arrays by name),
    stored beside the state so that a resumed run need not reach them again."""
    path = Path(path)
    extra = {f"finished/{s}/{k}": v for s, res in (finished or {}).items() for k, v in res.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        np.savez(
            fh,
            fingerprint=np.array(fingerprint),
            **{f.name: getattr(state, f.name) for f in fields(state)},
            **extra,
        )
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def load_checkpoint(
    path: str | Path, fingerprint: str, cls: type = PTState
) -> PTState | MultispinState | None:
    """The saved state (a ``cls``) if the file exists and belongs to this exact run, else None."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        with np.load(path) as z:
            if str(z["fingerprint"]) != fingerprint:
                return None
            kw = {f.name: z[f.name] for f in fields(cls)}
    except (OSError, ValueError, KeyError):
        return None
    kw["sweeps_done"] = int(kw["sweeps_done"])
    return cls(**kw)


def load_finished(path: str | Path) -> dict[int, dict[str, np.ndarray]]:
    """The finished prefix data sets stored with a checkpoint (:func:`save_checkpoint`), by sweeps."""
    finished: dict[int, dict[str, np.ndarray]] = {}
    with np.load(path) as z:
        for key in z.files:
            if key.startswith("finished/"):
                _, sweeps, name = key.split("/", 2)
                finished.setdefault(int(sweeps), {})[name] = z[key]
    return finished
