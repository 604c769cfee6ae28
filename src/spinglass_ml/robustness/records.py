"""The robustness stage's files, written and read here without TensorFlow (figure jobs read them):

* ``results/robustness/adversarial/L{L}.json``: the adversarial record of one L
  (:func:`spinglass_ml.robustness.adversarial.robustness_record` gives its content);
* ``results/robustness/tradeoff/L{L}.json`` and ``.npz``: the trade-off record of one L
  (:func:`spinglass_ml.robustness.tradeoff.tradeoff_study`): a header, and per model its ``records`` (one row
  per epoch, the columns :data:`RECORD_COLUMNS` and ``{space}_product_median``) and ``moments``; the arrays
  ``{model}/epoch{e}/{space}/{field}`` and weights ``{model}/epoch{e}/w{k}``.

Non-finite numbers are written as JSON null, so every file is strict JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

RECORD_COLUMNS = (
    "epoch",
    "step",
    "train_loss",
    "test_accuracy",
    "robust_accuracy",
    "feature_robust_accuracy",
)


def nan_to_null(value):
    """A JSON-ready copy: non-finite floats become None (JSON null), so the file is strict JSON."""
    if isinstance(value, Mapping):
        return {k: nan_to_null(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [nan_to_null(v) for v in value]
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def read_records(paths: Sequence[str | Path]) -> list[dict]:
    """The adversarial records of several sizes, ascending in L."""
    return sorted((json.loads(Path(p).read_text()) for p in paths), key=lambda d: d["L"])


def accuracy_series(records: Sequence[Mapping], attack: str) -> dict:
    """What fig_adversarial draws, from :func:`read_records`: ``by_epsilon`` and ``by_flips`` (L -> model ->
    (x, robust accuracy)), ``by_temperature`` of the largest L (model -> (T, fooled fraction; NaN where no
    example was correct)), and the test-set facts (threshold, report epsilon, majority fraction, sizes)."""
    largest = records[-1]

    def series(run: Mapping, key: str, x: str, y: str) -> tuple[np.ndarray, np.ndarray]:
        return np.array(run[key][x]), np.array(run[key][y], dtype=float)

    return {
        "by_epsilon": {
            d["L"]: {
                m: series(r["attacks"], attack, "epsilon", "robust_accuracy") for m, r in d["models"].items()
            }
            for d in records
        },
        "by_flips": {
            d["L"]: {m: series(r, "flips", "k", "robust_accuracy") for m, r in d["models"].items()}
            for d in records
        },
        "by_temperature": {
            m: series(r, "by_temperature", "T", "pgd_fooled") for m, r in largest["models"].items()
        },
        "threshold": largest["test_set"]["threshold"],
        "report_epsilon": largest["settings"]["report_epsilon"],
        "L_temperature": largest["L"],
        "majority": max(max(f, 1 - f) for f in (d["test_set"]["label_1_fraction"] for d in records)),
        "n_test": {d["L"]: d["test_set"]["examples"] for d in records},
    }


def activation_series(record: Mapping) -> dict:
    """What fig_activations draws from one record: ``maps`` (model -> group -> mean activation map),
    ``violations`` (model -> symmetry -> mean |dp|), ``L`` and ``report_epsilon``."""
    models = record["models"]
    return {
        "maps": {
            m: {g: np.array(a) for g, a in r["activation_maps"]["maps"].items()} for m, r in models.items()
        },
        "violations": {
            m: {g: r["symmetry"][g]["mean_abs_dp"] for g in ("global_flip", "translation", "cubic")}
            for m, r in models.items()
        },
        "L": record["L"],
        "report_epsilon": models["clean"]["activation_maps"]["pgd_epsilon"],
    }


def read_accuracy_curves(paths: Sequence[str | Path]) -> dict:
    """What fig_tradeoff draws from the records of several sizes: ``curves`` (L -> model -> column of
    :data:`RECORD_COLUMNS` -> array over epochs), ``n_test`` and ``majority`` (L -> number)."""
    out: dict = {"curves": {}, "n_test": {}, "majority": {}}
    for path in paths:
        doc = json.loads(Path(path).read_text())
        L = doc["L"]
        out["n_test"][L], out["majority"][L] = doc["n_test"], doc["majority_fraction"]
        out["curves"][L] = {
            model: {key: np.array([row[key] for row in run["records"]], float) for key in RECORD_COLUMNS}
            for model, run in doc["models"].items()
        }
    return out


def read_packet_spreads(json_paths: Sequence[str | Path], npz_paths: Sequence[str | Path]) -> dict:
    """What fig_uncertainty draws: ``spreads`` (L -> space -> (Dx, Dp) over every class and coordinate of the
    clean model's last epoch), ``medians`` (L -> model -> space -> (epochs, median product)) and ``bound``."""
    out: dict = {"spreads": {}, "medians": {}}
    for json_path, npz_path in zip(json_paths, npz_paths, strict=True):
        doc = json.loads(Path(json_path).read_text())
        L, spaces, arrays = doc["L"], list(doc["domains"]), np.load(npz_path)
        final = f"clean/epoch{doc['models']['clean']['records'][-1]['epoch']}"
        out["bound"] = doc["bound"]
        out["spreads"][L] = {
            s: tuple(arrays[f"{final}/{s}/{k}"].ravel() for k in ("dx", "dp")) for s in spaces
        }
        out["medians"][L] = {
            model: {
                s: (np.array([row["epoch"] for row in run["records"]]),
                    np.array([row[f"{s}_product_median"] for row in run["records"]], float))
                for s in spaces
            }
            for model, run in doc["models"].items()
        }  # fmt: skip
    return out


def write_adversarial_record(path: str | Path, record: Mapping) -> None:
    """Write an adversarial record as JSON (as :func:`read_records` reads it)."""
    Path(path).write_text(json.dumps(record, indent=1))


def write_record(
    path: str | Path,
    doc: Mapping,
    arrays: Mapping[str, np.ndarray] | None = None,
    npz_path: str | Path | None = None,
) -> dict:
    """Write ``doc`` as strict JSON (non-finite numbers as null) and, if given, ``arrays`` to ``npz_path``
    (compressed); returns the document as written."""
    doc = nan_to_null(dict(doc))
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(doc, indent=1, allow_nan=False) + "\n")
    if arrays is not None:
        np.savez_compressed(npz_path, **arrays)
    return doc
