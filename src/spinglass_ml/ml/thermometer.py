"""The thermometer control: a logistic regression on five physical numbers per overlap snapshot, trained and
predicted exactly like the CNN, so that a network that only reads the temperature off a snapshot can be told
from one that detects the transition (docs/methods/controls.md).

Features of an overlap snapshot q_i = s^a_i s^b_i (±1 on the periodic L×L×L lattice, N = L³), in
:data:`FEATURE_NAMES` order, all dimensionless:

* ``q2``, ``abs_q``: q² and |q| with q = (1/N) Σ_i q_i;
* ``link_overlap``: (1/3N) Σ_<ij> q_i q_j over the 3N nearest-neighbour bonds. As q_i q_j = s^a_i s^a_j s^b_i
  s^b_j, this is the link overlap of the two replicas the snapshot came from;
* ``diagonal_overlap``: (1/6N) Σ_<<ij>> q_i q_j over the 6N face-diagonal (next-nearest-neighbour) pairs,
  i.e. (1/N) Σ_i q_i q_{i+e} averaged over the face diagonals of both orientations, e = x̂ ± ŷ, x̂ ± ẑ, ŷ ± ẑ,
  so that the feature is invariant under every cubic symmetry of the lattice;
* ``qk2``: |q(k_min)|²/N averaged over the three axes, q(k) = Σ_i q_i e^{ik·x_i}, k_min = 2π/L
  (:func:`spinglass_ml.mc.lattice.overlap_k2`, the chunk dataset ``qk2`` of one snapshot).

The model is p(class 1 | f) = σ(w·z + b) on the standardised features z = (f − mean)/sd (training mean and
standard deviation; a constant feature gets sd 1). It is fitted by Newton's method with a backtracking line
search on the L2-regularised, optionally class-weighted mean log-loss

    (1/n) Σ_e c_{y_e} [log(1 + e^{u_e}) − y_e u_e] + (l2/2) |w|²,   u_e = w·z_e + b,

(the bias is not penalised), which is strictly convex for l2 > 0, from w = 0, b = 0, until the largest
component of its gradient is below ``tol`` (1e-10 by default; the weights are then within about tol / l2 of
the optimum). Pure float64 NumPy in a fixed order of operations: the same data give the same weights bit for
bit, and a snapshot's features do not depend on the batch it is read in. No TensorFlow is imported.

Files of a run (:func:`train_thermometer`), in the CNN's folder layout: the model ``L{L}.thermometer.json``
(:meth:`Thermometer.to_json`) and, next to it, ``L{L}.history.csv``, ``L{L}.provenance.json`` and
``L{L}.flips.npz`` with the CNN's contracts (docs/contracts.md#model-files), so that the predict and
analysis stages read them unchanged.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import h5py
import numpy as np

from spinglass_ml.mc.lattice import link_overlap
from spinglass_ml.ml.blocks import BlockReader
from spinglass_ml.ml.dataset import ExampleIndex, balanced_class_weight, training_data
from spinglass_ml.ml.history import write_history
from spinglass_ml.ml.predictions import predict_chunks, predict_study
from spinglass_ml.provenance import package_version

FEATURE_NAMES = ("q2", "abs_q", "link_overlap", "diagonal_overlap", "qk2")
MODEL_SUFFIX = ".thermometer.json"
FORMAT = "spinglass_ml.thermometer/1"
DEFAULT_SETTINGS = {"l2": 1e-4, "class_weight": None, "max_iter": 100, "tol": 1e-10, "batch_size": 1000}


def snapshot_features(q: np.ndarray) -> np.ndarray:
    """The features of overlap snapshots (module docstring).

    Parameters
    ----------
    q : ±1 site overlaps, shape (b, L, L, L) (or one snapshot (L, L, L)), L >= 2; any real dtype

    Returns
    -------
    float64 (b, n_features) (or (n_features,)), columns :data:`FEATURE_NAMES`.
    """
    q = np.asarray(q, dtype=np.float64)
    if q.ndim == 3:
        return snapshot_features(q[None])[0]
    if q.ndim != 4 or q.shape[1:] != (q.shape[1],) * 3 or q.shape[1] < 2:
        raise ValueError(f"snapshot_features: need shape (b, L, L, L) with L >= 2, got {q.shape}")
    L, n = q.shape[1], q.shape[1] ** 3
    m, diag, qk2 = q.mean(axis=(1, 2, 3)), np.zeros(q.shape[0]), np.zeros(q.shape[0])
    for a, b in ((1, 2), (1, 3), (2, 3)):
        shifted = np.roll(q, -1, axis=a)  # q_{i + a}
        for step in (-1, 1):  # q_{i + a + b} and q_{i + a - b}
            diag += np.sum(q * np.roll(shifted, step, axis=b), axis=(1, 2, 3))
    for d in (1, 2, 3):  # overlap_k2(q) without its matrix product, whose rounding depends on the batch
        planes = q.sum(axis=tuple(a for a in (1, 2, 3) if a != d))  # (b, L), exact for ±1
        qk2 += np.abs(np.sum(planes * np.exp(2j * np.pi * np.arange(L) / L), axis=1)) ** 2
    return np.stack([m * m, np.abs(m), link_overlap(q, 1.0), diag / (6 * n), qk2 / (3 * n)], axis=1)


def index_features(index: ExampleIndex, batch_size: int = 1000) -> np.ndarray:
    """Features of every snapshot of an index, reading whole blocks, about ``batch_size`` snapshots at a time.

    Returns
    -------
    float64 (n_blocks, n_con, n_features), in the block order of ``index``: example position p is
    ``[p // n_con, p % n_con]``. Memory: the features plus one pass of snapshots. A block that cannot be read
    or decoded raises :class:`~spinglass_ml.mc.chunks.CorruptChunkError`.
    """
    out = np.empty((index.blocks.size, index.n_con, len(FEATURE_NAMES)))
    per_pass = max(1, int(batch_size) // index.n_con)
    with BlockReader(index) as reader:
        for lo in range(0, index.blocks.size, per_pass):
            hi = min(lo + per_pass, index.blocks.size)
            x = np.concatenate([reader.read(b) for b in range(lo, hi)])
            out[lo:hi] = snapshot_features(x).reshape(hi - lo, index.n_con, -1)
    return out


def log_loss(u: np.ndarray, y: np.ndarray, c: np.ndarray | None = None) -> float:
    """Mean (weights ``c``, default 1) cross-entropy in nats of labels y (n,) given class-1 logits u (n,)."""
    losses = np.logaddexp(0.0, u) - y * u
    return float(np.mean(losses if c is None else c * losses))


@dataclass(frozen=True, eq=False)
class Thermometer:
    """A fitted thermometer.

    Attributes
    ----------
    weights : float64 (n_features,), per standardised feature
    bias : the logit at the training mean of the features
    feature_mean, feature_sd : float64 (n_features,), the training standardisation (feature units)
    feature_names : the features, :data:`FEATURE_NAMES`
    settings : the fit's settings and outcome (``l2``, ``class_weight``, ``class_weights``, ``max_iter``,
        ``tol``, ``n_iter``, ``converged``, ``gradient_max``, ``objective``)
    L : the lattice size it was trained on, None if unknown; predictions check it
    """

    weights: np.ndarray
    bias: float
    feature_mean: np.ndarray
    feature_sd: np.ndarray
    feature_names: tuple[str, ...] = FEATURE_NAMES
    settings: dict = field(default_factory=dict)
    L: int | None = None

    def logit(self, features: np.ndarray) -> np.ndarray:
        """log(p / (1 − p)) of class 1 for features (b, n_features): float64 (b,), each row on its own."""
        z = (np.asarray(features, np.float64) - self.feature_mean) / self.feature_sd
        return np.sum(z * self.weights, axis=-1) + self.bias  # not z @ w: its rounding depends on the batch

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        """Probability of class 1 ("high temperature") of features (b, n_features): float64 (b,)."""
        return np.exp(-np.logaddexp(0.0, -self.logit(features)))  # 1 / (1 + e^{-u}) without overflow

    def to_json(self) -> str:
        """The saved model: format tag, weights, bias, standardisation, feature names, settings and L.

        Floats are written with ``repr``, so :meth:`from_json` gives back the same numbers bit for bit."""
        record = {"format": FORMAT, "feature_names": list(self.feature_names), "bias": float(self.bias),
                  "weights": self.weights.tolist(), "feature_mean": self.feature_mean.tolist(),
                  "feature_sd": self.feature_sd.tolist(), "settings": self.settings, "L": self.L}  # fmt: skip
        return json.dumps(record, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Thermometer:
        """The model of :meth:`to_json`; raises ValueError for another format."""
        record = json.loads(text)
        if record.get("format") != FORMAT:
            raise ValueError(f"not a thermometer model: format {record.get('format')!r}, expected {FORMAT!r}")
        return cls(
            np.asarray(record["weights"], np.float64), float(record["bias"]),
            np.asarray(record["feature_mean"], np.float64), np.asarray(record["feature_sd"], np.float64),
            tuple(record["feature_names"]), dict(record["settings"]), record["L"],
        )  # fmt: skip


def load_thermometer(path: str | Path) -> Thermometer:
    """Read a model written by :func:`train_thermometer` (``L{L}.thermometer.json``)."""
    return Thermometer.from_json(Path(path).read_text())


def _class_weights(class_weight: str | Mapping | None, n0: int, n1: int) -> dict[int, float]:
    """Weights of classes 0 and 1: 1 (None), n/(2 n_c) ("balanced") or as given (positive, finite)."""
    if class_weight == "balanced" or n0 < 1 or n1 < 1:
        return balanced_class_weight(n0, n1)  # raises for an empty class
    if class_weight is None:
        return {0: 1.0, 1: 1.0}
    if isinstance(class_weight, Mapping):
        weights = {c: float(class_weight[c]) for c in (0, 1)}
        if all(math.isfinite(w) and w > 0 for w in weights.values()):
            return weights
    raise ValueError(
        f"class_weight: need None, 'balanced' or positive weights of 0 and 1, got {class_weight!r}"
    )


def fit_thermometer(
    features: np.ndarray,
    labels: np.ndarray,
    *,
    l2: float = 1e-4,
    class_weight: str | Mapping | None = None,
    max_iter: int = 100,
    tol: float = 1e-10,
) -> Thermometer:
    """Fit the logistic regression of the module docstring by Newton's method.

    Parameters
    ----------
    features : float (n, n_features), finite, e.g. :func:`snapshot_features`
    labels : int (n,), 0 and 1, both present
    l2 : penalty on the weights of the standardised features (> 0, per example: the loss is a mean)
    class_weight : None (every example weighs 1), "balanced" (class c weighs n / (2 n_c)) or {0: w0, 1: w1}
    max_iter : most Newton steps
    tol : stop once every component of the objective's gradient is below ``tol`` in magnitude

    Returns
    -------
    The model; ``settings["converged"]`` says whether ``tol`` was reached within ``max_iter`` steps.
    """
    x, y = np.asarray(features, np.float64), np.asarray(labels)
    if x.ndim != 2 or y.shape != x.shape[:1] or not np.all(np.isfinite(x)) or not np.all((y == 0) | (y == 1)):
        raise ValueError(f"fit_thermometer: need finite features (n, k) and labels 0, 1 (n,), got {x.shape}, "
                         f"{y.shape}")  # fmt: skip
    if not (math.isfinite(l2) and l2 > 0 and max_iter >= 1 and tol > 0):
        raise ValueError(f"fit_thermometer: need l2 > 0, max_iter >= 1, tol > 0, got {l2}, {max_iter}, {tol}")
    (n, k), y = x.shape, y.astype(np.float64)
    n1 = int(np.count_nonzero(y))
    weights = _class_weights(class_weight, n - n1, n1)  # raises if a class is empty, whatever the weights
    c = np.where(y == 1, weights[1], weights[0])
    mean, sd = x.mean(axis=0), x.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    design = np.column_stack([(x - mean) / sd, np.ones(n)])
    penalty = np.r_[np.full(k, float(l2)), 0.0]

    def objective(theta: np.ndarray) -> float:
        return log_loss(design @ theta, y, c) + 0.5 * float(np.dot(penalty * theta, theta))

    theta = np.zeros(k + 1)
    value, n_iter, converged = objective(theta), 0, False
    while True:
        p = np.exp(-np.logaddexp(0.0, -(design @ theta)))
        grad = design.T @ (c * (p - y)) / n + penalty * theta
        if np.max(np.abs(grad)) < tol:
            converged = True
            break
        if n_iter == max_iter:
            break
        hessian = (design * (c * p * (1.0 - p))[:, None]).T @ design / n + np.diag(penalty)
        step = np.linalg.solve(hessian, grad)
        t, decrease = 1.0, float(grad @ step)
        while (new := objective(theta - t * step)) > value - 1e-4 * t * decrease and t > 2.0**-30:
            t /= 2
        if new > value:  # no descent left at float64 precision
            break
        theta, value, n_iter = theta - t * step, new, n_iter + 1
    cw = class_weight if class_weight in (None, "balanced") else {str(c): w for c, w in weights.items()}
    settings = {
        "l2": float(l2), "class_weight": cw, "class_weights": {str(c): w for c, w in weights.items()},
        "max_iter": int(max_iter), "tol": float(tol), "n_iter": n_iter, "converged": converged,
        "gradient_max": float(np.max(np.abs(grad))), "objective": value,
    }  # fmt: skip
    return Thermometer(theta[:k].copy(), float(theta[k]), mean, sd, FEATURE_NAMES, settings)


def thermometer_paths(model_path: str | Path) -> dict[str, Path]:
    """The files of a run: ``model`` ``.../L{L}.thermometer.json`` and, next to it, ``history``
    (``L{L}.history.csv``), ``provenance`` (``L{L}.provenance.json``) and ``flips`` (``L{L}.flips.npz``)."""
    model_path = Path(model_path)
    if not model_path.name.endswith(MODEL_SUFFIX) or model_path.name == MODEL_SUFFIX:
        raise ValueError(f"model_path: must end in {MODEL_SUFFIX}, got {model_path}")
    stem = model_path.name[: -len(MODEL_SUFFIX)]
    side = {"history": ".history.csv", "provenance": ".provenance.json", "flips": ".flips.npz"}
    return {"model": model_path, **{key: model_path.with_name(stem + ext) for key, ext in side.items()}}


def thermometer_settings(settings: Mapping | None = None) -> dict:
    """:data:`DEFAULT_SETTINGS` updated by ``settings``: ``l2``, ``class_weight``, ``max_iter``, ``tol`` of
    :func:`fit_thermometer` and ``batch_size`` (snapshots read per pass); an unknown key is a ValueError."""
    settings = dict(settings or {})
    unknown = sorted(set(settings) - set(DEFAULT_SETTINGS))
    if unknown:
        raise ValueError(f"thermometer settings: unknown keys {unknown}; known: {sorted(DEFAULT_SETTINGS)}")
    return {**DEFAULT_SETTINGS, **settings}


def train_thermometer(
    model_path: str | Path,
    chunks: Sequence[str | Path],
    *,
    seed: int,
    threshold: float,
    validation_fraction: float,
    settings: Mapping | None = None,
    condition: str = "clean",
    progress: Callable[[str], None] | None = None,
    provenance_extra: Mapping | None = None,
) -> dict[str, Path]:
    """Fit the thermometer of one L on the CNN's training split and write it with the CNN's side files.

    Parameters
    ----------
    model_path : ``.../L{L}.thermometer.json`` (:func:`thermometer_paths`)
    chunks : the Gaussian chunk files of one L
    seed, threshold, validation_fraction : as for the CNN (:func:`spinglass_ml.ml.dataset.training_data`), so
        the split by instance, the labels (1 for T > threshold) and any flips are the CNN's
    settings : :func:`thermometer_settings`
    condition : the training condition (``clean``; ``flip-*`` and ``therm-*`` also work, ``adv-*`` does not)
    progress : called with one-line reports
    provenance_extra : further entries of the provenance record (e.g. ``equilibration_failures``)

    Returns
    -------
    The written paths, keyed ``model``, ``history``, ``provenance``, ``flips``.

    Notes
    -----
    Every training example is used, and every validation example (the CNN's ``validation_examples`` limit
    does not apply). The one history row has ``step`` = Newton steps taken, ``loss`` the training log-loss
    with the class weights as fitted (without the penalty; Keras too reports a weighted loss), ``val_loss``
    the unweighted validation log-loss, and the accuracies of the decision p > 0.5.
    """
    paths = thermometer_paths(model_path)
    opts = thermometer_settings(settings)
    report = progress or (lambda msg: None)
    data = training_data(
        chunks, condition, seed, threshold=threshold, validation_fraction=validation_fraction
    )
    if data.condition.kind == "adv":
        raise ValueError(f"condition {data.condition}: the thermometer has no adversarial training")
    train, val = data.train, data.validation
    report(f"thermometer {data.condition} L={train.L}: {train.n_examples} training, {val.n_examples} "
           f"validation examples, {train.flipped.size} labels flipped")  # fmt: skip
    batch = opts["batch_size"]
    x_train, x_val = (index_features(ix, batch).reshape(ix.n_examples, -1) for ix in (train, val))
    y_train, y_val = (ix.labels(np.arange(ix.n_examples)).astype(np.float64) for ix in (train, val))
    fit_options = {key: opts[key] for key in ("l2", "class_weight", "max_iter", "tol")}
    model = replace(fit_thermometer(x_train, y_train, **fit_options), L=train.L)
    fitted = model.settings
    if not fitted["converged"]:
        report(f"thermometer: not converged after {fitted['n_iter']} Newton steps (largest gradient "
               f"{fitted['gradient_max']:.3g})")  # fmt: skip
    c = np.where(y_train == 1, fitted["class_weights"]["1"], fitted["class_weights"]["0"])
    u_train, u_val = model.logit(x_train), model.logit(x_val)
    row = {"step": fitted["n_iter"], "loss": log_loss(u_train, y_train, c),
           "accuracy": float(np.mean((u_train > 0) == (y_train == 1))), "val_loss": log_loss(u_val, y_val),
           "val_accuracy": float(np.mean((u_val > 0) == (y_val == 1)))}  # fmt: skip
    report(", ".join(f"{key} {v:.4g}" for key, v in row.items()))
    weighting = {} if opts["class_weight"] is None else {"class_weight": dict(fitted["class_weights"])}
    versions = {"spinglass-ml": package_version(), "numpy": np.__version__, "h5py": h5py.__version__}
    provenance = {**data.provenance(), "model": "thermometer", "features": list(FEATURE_NAMES), "seed": seed,
                  "settings": {"thermometer": opts}, **weighting, "device": "CPU", "versions": versions,
                  **dict(provenance_extra or {})}  # fmt: skip
    paths["model"].parent.mkdir(parents=True, exist_ok=True)
    paths["model"].write_text(model.to_json())
    write_history(paths["history"], [row])
    paths["provenance"].write_text(json.dumps(provenance, indent=2, sort_keys=True) + "\n")
    np.savez(paths["flips"], **data.arrays())
    return paths


def _block_probabilities(model: Thermometer, batch_size: int) -> Callable[[ExampleIndex], np.ndarray]:
    """Mean class-1 probability of every block of an index (the argument of the prediction loops)."""

    def probabilities(index: ExampleIndex) -> np.ndarray:
        if model.L is not None and model.L != index.L:
            raise ValueError(f"thermometer trained on L = {model.L} does not fit L = {index.L}")
        features = index_features(index, batch_size)
        flat = features.reshape(-1, features.shape[-1])
        return model.predict_proba(flat).reshape(features.shape[:2]).mean(axis=1)

    return probabilities


def predict_thermometer_files(
    model: Thermometer,
    paths: Sequence[str | Path],
    out_csv: str | Path,
    *,
    batch_size: int = 1000,
    instances: Sequence[int] | np.ndarray | None = None,
) -> None:
    """Predict every snapshot of the chunk files of one L (or of ``instances`` only) into the CSV contract:
    p per (instance, T) is the mean probability of class 1 over the block's snapshots."""
    predict_chunks(_block_probabilities(model, batch_size), paths, out_csv, instances=instances)


def predict_thermometer(
    model_path: str | Path,
    flips_path: str | Path,
    bimodal_chunks: Sequence[str | Path],
    gaussian_chunks: Sequence[str | Path],
    bimodal_csv: str | Path,
    gaussian_csv: str | Path,
    *,
    batch_size: int = 1000,
) -> None:
    """The predictions of one thermometer, as :func:`spinglass_ml.ml.predict.predict_model` makes the CNN's
    (:func:`spinglass_ml.ml.predictions.predict_study`)."""
    model = load_thermometer(model_path)
    predict_study(_block_probabilities(model, batch_size), flips_path, bimodal_chunks, gaussian_chunks,
                  bimodal_csv, gaussian_csv)  # fmt: skip
