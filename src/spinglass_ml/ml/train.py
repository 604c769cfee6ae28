"""Training the CNN for a fixed number of optimizer steps, and saving what a training run produced.

Device placement is TensorFlow's default: the first GPU if TensorFlow sees one, the CPU otherwise. With
``deterministic=True`` (the default) op determinism is enabled, so on the CPU the same seed and data give the
same weights bit for bit. Enabling op determinism is global to the process and cannot be undone.

Other objectives are passed in: ``train_model(wrap=...)`` fits the model ``wrap(network)`` in the network's
place and returns the network, e.g. the adversarial trainer of
:mod:`spinglass_ml.robustness.adversarial_training` for the ``adv-<epsilon>`` conditions, started from the
clean model's weights (``initial_weights``).

Files of a run, next to ``L{L}.keras``: ``L{L}.history.csv`` (:mod:`spinglass_ml.ml.history`),
``L{L}.provenance.json`` and ``L{L}.flips.npz`` (see :meth:`spinglass_ml.ml.dataset.TrainingData.arrays`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import h5py
import keras
import numpy as np
import tensorflow as tf

from spinglass_ml.ml.dataset import TrainingData, balanced_class_weight, training_data
from spinglass_ml.ml.history import HISTORY_COLUMNS, write_history
from spinglass_ml.ml.model import build_model
from spinglass_ml.ml.pipeline import training_datasets
from spinglass_ml.provenance import package_version
from spinglass_ml.seeds import init_seed


def train_model(
    train_ds: tf.data.Dataset,
    val_ds: tf.data.Dataset,
    *,
    iterations: int = 10_000,
    lr: float = 1e-4,
    log_every: int = 100,
    seed: int,
    model_options: Mapping | None = None,
    deterministic: bool = True,
    progress: Callable[[str], None] | None = None,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    wrap: Callable[[keras.Model], keras.Model] | None = None,
    initial_weights: Sequence[np.ndarray] | None = None,
    class_weight: Mapping[int, float] | None = None,
) -> tuple[keras.Model, list[dict[str, float]]]:
    """Build the Table III network and train it with Adam on sparse categorical cross-entropy.

    Parameters
    ----------
    train_ds : infinite dataset of (x float32 (b, L, L, L, 1), y int32 (b,)) batches; its batch size is the
        training batch size (Table III: 1000)
    val_ds : finite dataset of the same structure, evaluated in full every ``log_every`` steps
    iterations : optimizer steps (Table III: 1e4); a multiple of ``log_every``
    lr : Adam learning rate (Table III: 1e-4)
    log_every : steps between history rows
    seed : seeds the weight initialisation (``keras.utils.set_random_seed``)
    model_options : keyword arguments of :func:`spinglass_ml.ml.model.build_model` other than L
    deterministic : enable TensorFlow op determinism (process-wide)
    progress : called with a one-line report for every history row
    callbacks : further Keras callbacks; their ``on_epoch_end`` runs after every history row (one "epoch"
        of ``fit`` is ``log_every`` steps), after the row is logged
    wrap : None for standard training; else a function of the network returning the model to fit in its place
        (e.g. :func:`spinglass_ml.robustness.adversarial_training.adversarial_wrapper`, which trains on PGD
        examples; the history's ``loss`` and ``accuracy`` are then those of its training batches)
    initial_weights : start from these weights (``keras.Model.get_weights`` of a network of the same
        architecture, e.g. the clean model) instead of the seeded initialisation
    class_weight : None (every example weighs 1; ``fit`` is called without the argument) or the weight of
        each class's examples in the training loss, ``{0: w0, 1: w1}``, passed to ``fit(class_weight=...)``;
        not with ``wrap`` (a wrapped objective's training step takes no sample weights)

    Returns
    -------
    (model, history): the trained model and one dict per logged step with keys :data:`HISTORY_COLUMNS`:
    ``loss`` and ``accuracy`` are means over the last ``log_every`` training batches (labels as trained
    on, i.e. flipped ones included), ``val_loss`` and ``val_accuracy`` are over ``val_ds`` after the step.
    """
    if iterations < 1 or log_every < 1 or iterations % log_every:
        raise ValueError(f"need iterations a positive multiple of log_every, got {iterations}, {log_every}")
    if class_weight is not None and wrap is not None:
        raise ValueError("class_weight: not supported with wrap (its training step takes no sample weights)")
    fit_options = (
        {} if class_weight is None else {"class_weight": {c: float(class_weight[c]) for c in (0, 1)}}
    )
    if deterministic:
        tf.config.experimental.enable_op_determinism()
    keras.utils.set_random_seed(int(seed))
    model = build_model(train_ds.element_spec[0].shape[1], **(model_options or {}))
    if initial_weights is not None:
        model.set_weights(initial_weights)
    fitted = model if wrap is None else wrap(model)
    fitted.compile(
        optimizer=keras.optimizers.Adam(learning_rate=lr),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
    )
    history: list[dict[str, float]] = []

    def log(epoch: int, logs: dict) -> None:
        row = {"step": (epoch + 1) * log_every, **{k: float(logs[k]) for k in HISTORY_COLUMNS[1:]}}
        history.append(row)
        if progress:
            progress(", ".join(f"{k} {v:.4g}" for k, v in row.items()) + f" (of {iterations} steps)")

    fitted.fit(
        train_ds,
        epochs=iterations // log_every,
        steps_per_epoch=log_every,  # the training stream is infinite; one "epoch" = one history row
        validation_data=val_ds,
        shuffle=False,
        verbose=0,
        callbacks=[keras.callbacks.LambdaCallback(on_epoch_end=log), *callbacks],
        **fit_options,
    )
    return model, history


def runtime_info() -> dict:
    """Where and with what a model was trained: ``device`` (the first GPU if TensorFlow sees one, else
    "CPU") and ``versions`` of the packages that determine the result."""
    gpus = tf.config.list_logical_devices("GPU")
    return {
        "device": f"{gpus[0].name} (TensorFlow default placement)" if gpus else "CPU",
        "versions": {
            "spinglass-ml": package_version(),
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "numpy": np.__version__,
            "h5py": h5py.__version__,
        },
    }


def training_provenance(data: TrainingData, seed: int, settings: Mapping) -> dict:
    """The provenance record of one training run.

    Parameters
    ----------
    data : the training data of the run
    seed : the master seed (split, flips, shuffling, initialisation)
    settings : the training settings used (iterations, lr, batch size, model options, ...), stored as given
    """
    return {**data.provenance(), "seed": seed, "settings": dict(settings), **runtime_info()}


def save_training(
    model_path: str | Path,
    model: keras.Model,
    history: list[dict[str, float]],
    provenance: Mapping,
    arrays: Mapping[str, np.ndarray],
) -> dict[str, Path]:
    """Write a training run: the model and, next to it, history CSV, provenance JSON and flips ``.npz``.

    Parameters
    ----------
    model_path : ``.../L{L}.keras``
    model, history : as returned by :func:`train_model`
    provenance : e.g. :func:`training_provenance`; must be JSON-serialisable
    arrays : e.g. :meth:`spinglass_ml.ml.dataset.TrainingData.arrays`

    Returns
    -------
    The written paths, keyed ``model``, ``history``, ``provenance``, ``flips``.
    """
    model_path = Path(model_path)
    if model_path.suffix != ".keras":
        raise ValueError(f"model_path: must end in .keras, got {model_path}")
    paths = {
        "model": model_path,
        "history": model_path.with_suffix(".history.csv"),
        "provenance": model_path.with_suffix(".provenance.json"),
        "flips": model_path.with_suffix(".flips.npz"),
    }
    model_path.parent.mkdir(parents=True, exist_ok=True)
    model.save(paths["model"])
    write_history(paths["history"], history)
    paths["provenance"].write_text(json.dumps(provenance, indent=2, sort_keys=True) + "\n")
    np.savez(paths["flips"], **arrays)
    return paths


def train_condition(
    model_path: str | Path,
    chunks: Sequence[str | Path],
    condition: str,
    *,
    seed: int,
    threshold: float,
    validation_fraction: float,
    cnn: Mapping,
    training: Mapping,
    progress: Callable[[str], None] | None = None,
    wrap: Callable[[keras.Model], keras.Model] | None = None,
    initial_weights: Sequence[np.ndarray] | None = None,
    iterations: int | None = None,
    provenance_extra: Mapping | None = None,
    class_weight: str | None = None,
    model: int = 0,
) -> dict[str, Path]:
    """Train the model of one (condition, L) on its chunk files and write it with its records.

    Parameters
    ----------
    chunks : the Gaussian chunk files the condition trains on
    condition : its name (clean, flip-<rate>, therm-<fraction>, adv-<epsilon>)
    cnn, training : the ``ml.cnn`` and ``ml.training`` config slices
    wrap, initial_weights : as in :func:`train_model`
    iterations : optimizer steps (default ``training["iterations"]``)
    provenance_extra : further entries of the provenance record (e.g. settings of the wrapped objective)
    class_weight : None, or ``"balanced"``: class c's examples weigh n / (2 n_c) in the training loss, n_c
        counted on the training labels as trained on (flips applied), recorded in the provenance as
        ``class_weight`` ``{"0": w0, "1": w1}``. None changes nothing: no weights, no provenance entry
    model : index k of the model in the condition's seed ensemble: its own label flips, training order and
        initialisation (:mod:`spinglass_ml.seeds`); the split is shared. 0 draws what a single model draws

    Returns
    -------
    The written paths (:func:`save_training`).
    """
    if class_weight not in (None, "balanced"):
        raise ValueError(f"class_weight: need None or 'balanced', got {class_weight!r}")
    report = progress or (lambda msg: None)
    data = training_data(
        chunks, condition, seed, threshold=threshold, validation_fraction=validation_fraction, model=model
    )
    weights = None if class_weight is None else balanced_class_weight(*data.train.class_counts())
    report(
        f"{data.condition} L={data.train.L} model {model}: {data.train.n_examples} training and "
        f"{data.validation.n_examples} validation examples, {data.train.flipped.size} labels flipped"
    )
    train_ds, val_ds = training_datasets(
        data, seed, training["batch_size"], shuffle_buffer=training["shuffle_buffer"],
        validation_examples=training["validation_examples"], cache_bytes=int(training["cache_mb"] * 2**20),
    )  # fmt: skip
    model, history = train_model(
        train_ds, val_ds, iterations=iterations or training["iterations"], lr=training["learning_rate"],
        log_every=training["log_every"], seed=init_seed(seed, model), model_options=dict(cnn),
        progress=progress, wrap=wrap, initial_weights=initial_weights, class_weight=weights,
    )  # fmt: skip
    extra = dict(provenance_extra or {})
    if weights is not None:
        extra["class_weight"] = {str(c): w for c, w in weights.items()}
    settings = {"training": dict(training), "cnn": dict(cnn)}
    if "adversarial" in extra:
        settings["adversarial"] = extra.pop("adversarial")
    provenance = {**training_provenance(data, seed, settings), **extra}
    return save_training(model_path, model, history, provenance, data.arrays())
