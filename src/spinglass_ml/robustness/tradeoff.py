"""The accuracy-robustness trade-off over training, and the neural packets' spreads epoch by epoch.

A model is trained with :func:`spinglass_ml.ml.train.train_model` (the Table III network, Adam, the streaming
training set of :mod:`spinglass_ml.ml.dataset`) for ``epochs`` x ``steps_per_epoch`` optimizer steps. After
every epoch a Keras callback records, on a fixed test set (held-out Gaussian instances, labels T > threshold):

* ``test_accuracy``: accuracy on the clean test examples;
* ``robust_accuracy``: accuracy on their PGD adversarial examples in input space
  (:func:`spinglass_ml.robustness.attacks.pgd`, L-infinity radius ``epsilon`` in overlap units, no random
  start);
* ``feature_robust_accuracy``: the same attack on the features (the input of the final Dense layer) in the
  box coordinates of :mod:`spinglass_ml.robustness.packets` (the test features' range mapped to [-1, 1]), so
  that ``epsilon`` is the same fraction of the variable's range in both spaces;
* the packet moments of both classes in both spaces
  (:func:`spinglass_ml.robustness.packets.packet_moments`) on the box domains: input [-1, 1]^(L^3),
  features the test features' bounding box;
* the weights, so that every row can be checked against an independent evaluation.

Random streams: the moments of (L, model, epoch, space) use ``SeedSequence(seed, spawn_key=(STREAM_MOMENTS,
L, model, epoch, space))`` with ``model`` the index in :data:`MODELS` and ``space`` in :data:`SPACES`; the
attack has no random start; training uses the streams of :mod:`spinglass_ml.ml.dataset` and the seed of
:func:`~spinglass_ml.ml.train.train_model`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from spinglass_ml.ml.dataset import training_data
from spinglass_ml.ml.pipeline import training_datasets
from spinglass_ml.ml.train import train_model
from spinglass_ml.robustness.adversarial_training import adversarial_wrapper
from spinglass_ml.robustness.attacks import iterate, logits_function, loss_gradient, pgd
from spinglass_ml.robustness.packets import (
    BOUND,
    PacketMoments,
    class_packets,
    feature_box,
    feature_logits,
    features,
    packet_moments,
    to_feature_coordinates,
)
from spinglass_ml.robustness.records import write_record
from spinglass_ml.seeds import STREAM_MOMENTS, stream_seed

MODELS = ("clean", "adversarial")
SPACES = ("input", "feature")
DOMAINS = {
    "input": "box [-1, 1]^(L^3) of the overlaps, uniform; psi (the cross-entropy) does not vanish on its "
    "faces",
    "feature": "bounding box of the test examples' features (input of the final Dense layer), per "
    "coordinate, in coordinates u in [-1, 1]; coordinates constant over the test set are held fixed (NaN)",
}


def accuracy(logits: np.ndarray, y: np.ndarray) -> float:
    """Fraction of rows of logits (b, n_classes) whose argmax is y (b,)."""
    return float(np.mean(np.argmax(logits, axis=1) == np.asarray(y)))


def input_logits(model: keras.Model, x: np.ndarray) -> np.ndarray:
    """Logits of overlaps x (b, L, L, L): float32 (b, n_classes)."""
    return logits_function(model)(tf.constant(x, tf.float32)).numpy()


def feature_attack(
    model: keras.Model, x: np.ndarray, y: np.ndarray, epsilon: float, step_size: float, steps: int
) -> tuple[np.ndarray, np.ndarray]:
    """PGD on the features of x in the box coordinates of the test features (see the module docstring).

    Parameters
    ----------
    x : float32 (b, L, L, L) overlaps, also the data that define the feature box
    y : int (b,) true labels
    epsilon, step_size, steps : as in :func:`spinglass_ml.robustness.attacks.pgd`, in box units
        (range [-1, 1])

    Returns
    -------
    (logits_clean, logits_adv): float32 (b, n_classes) of the clean and attacked features.
    """
    low, high = feature_box(model, x)
    u0 = tf.constant(to_feature_coordinates(features(model, x), low, high))
    logits = feature_logits(model, low, high)
    gradient = tf.function(loss_gradient(logits, "logits"))
    u_adv = iterate(gradient, u0, tf.constant(y, tf.int32), u0, epsilon, step_size, int(steps))
    return logits(u0).numpy(), logits(u_adv).numpy()


def space_moments(
    model: keras.Model,
    space: str,
    x: np.ndarray,
    n_samples: int,
    seed_sequence: np.random.SeedSequence,
    *,
    batch_size: int = 1000,
    n_blocks: int = 20,
) -> PacketMoments:
    """Moments of both classes' packets over the box of one variable.

    Parameters
    ----------
    space : "input" (box [-1, 1]^(L^3)) or "feature" (the bounding box of the features of x, coordinates u)
    x : float32 (b, L, L, L) the data that define the feature box (unused for "input")
    n_samples, seed_sequence, batch_size, n_blocks : as in
        :func:`spinglass_ml.robustness.packets.packet_moments`
    """
    n_classes = model.output_shape[-1]
    if space == "input":
        L = model.input_shape[1]
        packet = class_packets(logits_function(model), n_classes, (L, L, L))
        low, high = -np.ones(L**3), np.ones(L**3)
    elif space == "feature":
        low_h, high_h = feature_box(model, x)
        packet = class_packets(feature_logits(model, low_h, high_h), n_classes, (low_h.size,))
        free = high_h > low_h
        low, high = np.where(free, -1.0, 0.0), np.where(free, 1.0, 0.0)
    else:
        raise ValueError(f"space: expected one of {SPACES}, got {space!r}")
    return packet_moments(
        packet, low, high, n_samples, seed_sequence, batch_size=batch_size, n_blocks=n_blocks
    )


def moment_summary(m: PacketMoments) -> list[dict[str, float]]:
    """Per class, the distribution over coordinates of the moments (NaN for fixed coordinates ignored).

    Returns
    -------
    One dict per class: ``n_coordinates`` (free ones); ``product_median``, ``product_q10``, ``product_q90``;
    ``fraction_below_bound`` (product < 1/2), ``fraction_significantly_below`` (product + 3 errors < 1/2);
    medians of ``dx``, ``dp``, ``boundary`` and ``lower_bound`` (|1/2 - B|); ``box_bound_holds`` (fraction
    with product >= |1/2 - B|, 1 by construction); ``beta`` and its error.
    """
    out = []
    for c in range(m.product.shape[0]):
        free = np.isfinite(m.product[c])
        prod, err = m.product[c, free], m.product_err[c, free]
        lower = m.lower_bound[c, free]
        if not free.any():  # e.g. no feature varies over a tiny test set: nothing to summarise
            out.append({"n_coordinates": 0, "beta": float(m.beta[c]), "beta_err": float(m.beta_err[c])})
            continue
        out.append(
            {
                "n_coordinates": int(free.sum()),
                "product_median": float(np.median(prod)),
                "product_q10": float(np.quantile(prod, 0.1)),
                "product_q90": float(np.quantile(prod, 0.9)),
                "fraction_below_bound": float(np.mean(prod < BOUND)),
                "fraction_significantly_below": float(np.mean(prod + 3 * err < BOUND)),
                "dx_median": float(np.median(m.dx[c, free])),
                "dp_median": float(np.median(m.dp[c, free])),
                "boundary_median": float(np.median(m.boundary[c, free])),
                "lower_bound_median": float(np.median(lower)),
                "box_bound_holds": float(np.mean(prod >= lower - 1e-9)),
                "beta": float(m.beta[c]),
                "beta_err": float(m.beta_err[c]),
            }
        )
    return out


@dataclass
class EpochProbe(keras.callbacks.Callback):
    """After every epoch of ``fit``: accuracies, attacks, packet moments and weights (module docstring).

    Attributes
    ----------
    x_test : float32 (b, L, L, L), y_test : int32 (b,) the test set
    attack : ``epsilon``, ``step_size``, ``steps`` of PGD
    moments : ``samples``, ``blocks``, ``batch_size`` of the integration
    seed, L, model_index : identify the moments' random streams
    progress : called with a one-line report per epoch
    """

    x_test: np.ndarray
    y_test: np.ndarray
    attack: Mapping
    moments: Mapping
    seed: int
    L: int
    model_index: int
    steps_per_epoch: int
    progress: Callable[[str], None] | None = None
    records: list[dict[str, float]] = field(default_factory=list)
    weights: list[list[np.ndarray]] = field(default_factory=list)
    packets: dict[str, list[PacketMoments]] = field(default_factory=lambda: {s: [] for s in SPACES})

    def __post_init__(self) -> None:
        super().__init__()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        # the network itself, also when fit() runs an adversarial-training wrapper around it
        model, a = getattr(self.model, "net", self.model), self.attack
        x_adv = pgd(model, self.x_test, self.y_test, a["epsilon"], a["step_size"], a["steps"])
        clean_f, adv_f = feature_attack(
            model, self.x_test, self.y_test, a["epsilon"], a["step_size"], a["steps"]
        )
        row = {
            "epoch": epoch + 1,
            "step": (epoch + 1) * self.steps_per_epoch,
            "train_loss": float((logs or {}).get("loss", np.nan)),
            "test_accuracy": accuracy(input_logits(model, self.x_test), self.y_test),
            "robust_accuracy": accuracy(input_logits(model, x_adv), self.y_test),
            "feature_robust_accuracy": accuracy(adv_f, self.y_test),
        }
        for k, space in enumerate(SPACES):
            seed = stream_seed(self.seed, STREAM_MOMENTS, self.L, self.model_index, epoch + 1, k)
            mo = self.moments
            m = space_moments(model, space, self.x_test, mo["samples"], seed, batch_size=mo["batch_size"],
                              n_blocks=mo["blocks"])  # fmt: skip
            self.packets[space].append(m)
            finite = m.product[np.isfinite(m.product)]
            row[f"{space}_product_median"] = float(np.median(finite)) if finite.size else float("nan")
        self.records.append(row)
        self.weights.append([np.array(w) for w in model.get_weights()])
        if self.progress:
            self.progress(", ".join(f"{k} {v:.4g}" for k, v in row.items()))


def dataset_arrays(val_ds: tf.data.Dataset) -> tuple[np.ndarray, np.ndarray]:
    """The examples of a finite dataset of (x (b, L, L, L, 1), y (b,)) batches as arrays: float32
    (n, L, L, L) and int32 (n,)."""
    xs, ys = zip(*((x.numpy()[..., 0], y.numpy()) for x, y in val_ds), strict=True)
    return np.concatenate(xs).astype(np.float32), np.concatenate(ys).astype(np.int32)


def run_tradeoff(
    train_ds: tf.data.Dataset,
    val_ds: tf.data.Dataset,
    *,
    model_index: int,
    epochs: int,
    steps_per_epoch: int,
    lr: float,
    seed: int,
    attack: Mapping,
    moments: Mapping,
    model_options: Mapping | None = None,
    train_options: Mapping | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[keras.Model, EpochProbe]:
    """Train one model for ``epochs`` x ``steps_per_epoch`` steps, probing it after every epoch.

    Parameters
    ----------
    train_ds, val_ds : the training stream and the finite test set (see
        :func:`spinglass_ml.ml.dataset.training_datasets`)
    model_index : index in :data:`MODELS` (seeds the moments' streams)
    epochs, steps_per_epoch : the probe runs every ``steps_per_epoch`` optimizer steps, ``epochs`` times
    lr, seed, model_options : as in :func:`spinglass_ml.ml.train.train_model`
    attack, moments : see :class:`EpochProbe`
    train_options : further keyword arguments of :func:`~spinglass_ml.ml.train.train_model` (e.g. the
        adversarial-training settings of the adversarial model)

    Returns
    -------
    (model, probe): the trained model and the probe with ``records``, ``weights`` and ``packets``.
    """
    x_test, y_test = dataset_arrays(val_ds)
    L = int(x_test.shape[1])
    probe = EpochProbe(x_test, y_test, attack, moments, seed, L, model_index, steps_per_epoch, progress)
    model, _ = train_model(train_ds, val_ds, iterations=epochs * steps_per_epoch, lr=lr,
                           log_every=steps_per_epoch, seed=seed, model_options=model_options,
                           callbacks=[probe], **(train_options or {}))  # fmt: skip
    return model, probe


def save_tradeoff(
    json_path: str | Path, npz_path: str | Path, probes: Mapping[str, EpochProbe], header: Mapping
) -> dict:
    """Write the record of the trade-off runs of one L.

    ``json_path``: ``header`` (settings, domains, L, seed, ...) plus, per model name, ``records`` (one row per
    epoch, :data:`RECORD_COLUMNS` and the median products) and ``moments`` (per epoch, space and class, the
    :func:`moment_summary`). ``npz_path``: per model, epoch and space the per-coordinate moment arrays
    (``{model}/epoch{e}/{space}/{field}``, arrays (n_classes, n)) and the weights (``{model}/epoch{e}/w{k}``).

    Returns
    -------
    The document as written (non-finite numbers as None).
    """
    doc = {**header, "models": {}}
    arrays: dict[str, np.ndarray] = {}
    for name, probe in probes.items():
        moments = []
        for e, row in enumerate(probe.records):
            moments.append({s: moment_summary(probe.packets[s][e]) for s in SPACES})
            prefix = f"{name}/epoch{row['epoch']}/"
            for s in SPACES:
                arrays.update(probe.packets[s][e].arrays(f"{prefix}{s}/"))
            for k, w in enumerate(probe.weights[e]):
                arrays[f"{prefix}w{k}"] = w
        doc["models"][name] = {"records": probe.records, "moments": moments}
    return write_record(json_path, doc, arrays, npz_path)


def tradeoff_study(
    json_path: str | Path,
    npz_path: str | Path,
    chunks: Sequence[str | Path],
    *,
    L: int,
    seed: int,
    threshold: float,
    validation_fraction: float,
    batch_size: int,
    shuffle_buffer: int,
    cnn: Mapping,
    settings: Mapping,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Train the clean and the adversarially trained model of one L (:data:`MODELS`) on the clean Gaussian
    training set, probe both after every epoch, and write the record (:func:`save_tradeoff`).

    ``settings`` is ``robustness.uncertainty`` of the config; the adversarial model trains on the PGD examples
    of every batch (``settings["adversarial_training"]``), started from the clean example like the attack.
    """
    report = progress or (lambda msg: None)
    data = training_data(chunks, "clean", seed, threshold=threshold, validation_fraction=validation_fraction)
    adversary = {**settings["adversarial_training"], "random_start": False, "seed": seed}
    probes = {}
    for k, name in enumerate(MODELS):
        train_ds, val_ds = training_datasets(data, seed, batch_size, shuffle_buffer=shuffle_buffer,
                                             validation_examples=settings["test_examples"])  # fmt: skip
        report(f"L={L} {name} model: {settings['epochs']} epochs of {settings['steps_per_epoch']} steps")
        _, probes[name] = run_tradeoff(
            train_ds, val_ds, model_index=k, epochs=settings["epochs"],
            steps_per_epoch=settings["steps_per_epoch"], lr=settings["learning_rate"], seed=seed,
            attack=settings["attack"], moments={k: settings[k] for k in ("samples", "blocks", "batch_size")},
            model_options=dict(cnn),
            train_options={"wrap": adversarial_wrapper(adversary)} if name == "adversarial" else None,
            progress=progress,
        )  # fmt: skip
    y_test = probes[MODELS[0]].y_test
    header = {
        "L": int(L),
        "seed": seed,
        "bound": BOUND,
        "domains": DOMAINS,
        "n_test": int(y_test.size),
        "majority_fraction": float(max(y_test.mean(), 1 - y_test.mean())),  # a constant prediction's accuracy
        "n_train_examples": data.train.n_examples,
        "settings": {"uncertainty": dict(settings), "cnn": dict(cnn), "batch_size": batch_size},
    }
    return save_tradeoff(json_path, npz_path, probes, header)
