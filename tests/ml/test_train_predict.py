"""Training (easy separation, determinism, saved files) and predictions (the CSV contract)."""

import csv
import json

import keras
import numpy as np
import pytest

from spinglass_ml.mc.chunks import read_chunk
from spinglass_ml.ml.dataset import build_index, training_data
from spinglass_ml.ml.model import build_model, load_model
from spinglass_ml.ml.pipeline import training_datasets
from spinglass_ml.ml.predict import predict_blocks, predict_files
from spinglass_ml.ml.predictions import PREDICTION_COLUMNS
from spinglass_ml.ml.train import (
    HISTORY_COLUMNS,
    save_training,
    train_condition,
    train_model,
    training_provenance,
)

EASY_T = [0.80, 0.90, 1.00, 1.10]


@pytest.fixture(scope="module")
def easy_chunks(tmp_path_factory, synthetic_chunk):
    """Ordered overlaps (95% of sites agree with a random global sign) below T = 0.95, random ones above."""
    rng = np.random.default_rng(0)
    folder = tmp_path_factory.mktemp("easy")
    paths = []
    for k in range(2):
        shape = (8, len(EASY_T), 16, 4, 4, 4)  # instances, temperatures, snapshots, lattice
        sign = rng.choice([-1, 1], size=(*shape[:3], 1, 1, 1))
        ordered = sign * np.where(rng.random(shape) < 0.95, 1, -1)
        below = (np.asarray(EASY_T) < 0.95)[None, :, None, None, None, None]
        q = np.where(below, ordered, rng.choice([-1, 1], size=shape)).astype(np.int8)
        paths.append(synthetic_chunk(folder / f"chunk{k}.h5", q, EASY_T, first_instance=8 * k))
    return paths


def test_easy_set_is_learned(easy_chunks):
    data = training_data(easy_chunks, "clean", seed=1, validation_fraction=0.25)
    train, val = training_datasets(data, seed=1, batch_size=64, shuffle_buffer=256)
    model, history = train_model(train, val, iterations=150, lr=1e-2, log_every=50, seed=1)
    assert [row["step"] for row in history] == [50, 100, 150]
    assert int(model.optimizer.iterations.numpy()) == 150  # optimizer steps, not epochs
    assert all(list(row) == list(HISTORY_COLUMNS) for row in history)
    assert history[-1]["val_accuracy"] > 0.95, history


def short_run(chunks, seed, condition="flip-0.1"):
    data = training_data(chunks, condition, seed=3, validation_fraction=0.34)
    train, val = training_datasets(data, seed=3, batch_size=16, shuffle_buffer=32)
    model, history = train_model(train, val, iterations=20, lr=1e-3, log_every=10, seed=seed)
    return data, model, history


def test_same_seed_same_weights_and_predictions_on_cpu(gaussian_chunks, bimodal_chunks, tmp_path):
    runs = [short_run(gaussian_chunks, seed) for seed in (7, 7, 8)]
    for a, b in zip(runs[0][1].get_weights(), runs[1][1].get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert runs[0][2] == runs[1][2]  # identical history, losses included
    assert not np.array_equal(runs[0][1].get_weights()[0], runs[2][1].get_weights()[0])
    csvs = []
    for k, (_, model, _) in enumerate(runs[:2]):
        predict_files(model, bimodal_chunks, tmp_path / f"p{k}.csv", batch_size=8)
        csvs.append((tmp_path / f"p{k}.csv").read_bytes())
    assert csvs[0] == csvs[1]


def test_saved_run_is_complete(gaussian_chunks, tmp_path):
    data, model, history = short_run(gaussian_chunks, seed=7)
    settings = {"iterations": 20, "lr": 1e-3, "batch_size": 16, "log_every": 10}
    paths = save_training(tmp_path / "flip-0.1" / "L4.keras", model, history,
                          training_provenance(data, 3, settings), data.arrays())  # fmt: skip
    assert sorted(p.name for p in paths.values()) == sorted(
        ["L4.keras", "L4.history.csv", "L4.provenance.json", "L4.flips.npz"]
    )
    with open(paths["history"]) as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == list(HISTORY_COLUMNS) and [int(r["step"]) for r in rows] == [10, 20]
    assert float(rows[-1]["val_accuracy"]) == history[-1]["val_accuracy"]
    prov = json.loads(paths["provenance"].read_text())
    assert prov["condition"] == "flip-0.1" and prov["flip_rate"] == 0.1 and prov["seed"] == 3
    assert prov["n_flipped"] == data.train.flipped.size > 0
    assert prov["achieved_flip_fraction"] == data.train.flipped.size / data.train.n_examples
    assert prov["device"] == "CPU" and prov["settings"] == settings
    assert prov["versions"]["keras"].startswith("3.") and prov["versions"]["tensorflow"]
    with np.load(paths["flips"]) as z:
        np.testing.assert_array_equal(z["flipped_indices"], data.train.flipped)
        np.testing.assert_array_equal(z["validation_instances"], data.validation.instances)
    loaded = load_model(paths["model"])
    for a, b in zip(loaded.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def spy_on_fit(monkeypatch):
    """Record the keyword arguments of every keras.Model.fit call, which still runs."""
    calls, fit = [], keras.Model.fit

    def spy(self, *args, **kwargs):
        calls.append(kwargs)
        return fit(self, *args, **kwargs)

    monkeypatch.setattr(keras.Model, "fit", spy)
    return calls


def test_class_weight_reaches_fit_only_when_given(easy_chunks, monkeypatch):
    calls = spy_on_fit(monkeypatch)
    data = training_data(easy_chunks, "clean", seed=1, validation_fraction=0.25)
    runs = []
    for weights in (None, {0: 2.0, 1: 0.5}):
        train, val = training_datasets(data, seed=1, batch_size=64, shuffle_buffer=256)
        runs.append(
            train_model(train, val, iterations=20, lr=1e-2, log_every=10, seed=1, class_weight=weights)
        )
    assert "class_weight" not in calls[0]  # None: the call of a run without the feature
    assert calls[1]["class_weight"] == {0: 2.0, 1: 0.5}
    assert set(calls[0]) == set(calls[1]) - {"class_weight"}
    assert runs[0][1] != runs[1][1]  # the weights entered the loss
    with pytest.raises(ValueError, match="not supported with wrap"):
        train_model(
            train, val, iterations=10, log_every=10, seed=1, class_weight={0: 1, 1: 1}, wrap=lambda m: m
        )


def test_balanced_class_weight_of_train_condition(easy_chunks, monkeypatch, tmp_path):
    """With the threshold at 0.85, 3 of the 4 temperatures are above it: the weights n / (2 n_c) are 2 and
    2/3, in the fit and in the provenance; the default passes and records nothing."""
    calls = spy_on_fit(monkeypatch)
    training = dict(batch_size=64, shuffle_buffer=256, validation_examples=None, cache_mb=1, iterations=10,
                    learning_rate=1e-3, log_every=10)  # fmt: skip
    options = dict(seed=1, threshold=0.85, validation_fraction=0.25, cnn={}, training=training)
    for weighting in (None, "balanced"):
        train_condition(
            tmp_path / str(weighting) / "L4.keras", easy_chunks, "clean", class_weight=weighting, **options
        )
    data = training_data(easy_chunks, "clean", seed=1, threshold=0.85, validation_fraction=0.25)
    counts = np.bincount(data.train.labels(np.arange(data.train.n_examples)))
    expected = {c: counts.sum() / (2 * counts[c]) for c in (0, 1)}
    assert expected == {0: 2.0, 1: 2 / 3}
    assert "class_weight" not in calls[0] and calls[1]["class_weight"] == expected
    plain = json.loads((tmp_path / "None" / "L4.provenance.json").read_text())
    balanced = json.loads((tmp_path / "balanced" / "L4.provenance.json").read_text())
    assert "class_weight" not in plain and balanced["class_weight"] == {"0": 2.0, "1": 2 / 3}
    assert set(balanced) - set(plain) == {"class_weight"}
    with pytest.raises(ValueError, match="None or 'balanced'"):
        train_condition(tmp_path / "x" / "L4.keras", easy_chunks, "clean", class_weight="uniform", **options)


def test_predictions_follow_the_csv_contract(bimodal_chunks, tmp_path):
    keras.utils.set_random_seed(0)
    model = build_model(4)
    out = tmp_path / "predictions" / "clean" / "L4.csv"
    predict_files(model, bimodal_chunks[::-1], out, batch_size=6)  # 6 // 4 = one block per forward pass
    with open(out) as fh:
        reader = csv.reader(fh)
        header, rows = next(reader), list(reader)
    assert tuple(header) == PREDICTION_COLUMNS
    instances = np.array([int(r[0]) for r in rows])
    T = np.array([float(r[1]) for r in rows])
    p = np.array([float(r[2]) for r in rows])
    # the direct computation: every snapshot of every (instance, T), read in full with mcio
    expected = {}
    for path in bimodal_chunks:
        data, attrs = read_chunk(path, ["overlaps", "temperatures"])
        q = data["overlaps"].astype(np.float32)[..., None]
        probs = model.predict_on_batch(q.reshape(-1, 4, 4, 4, 1))[:, 1].reshape(q.shape[:3])
        for i in range(q.shape[0]):
            for t, temp in enumerate(data["temperatures"]):
                expected[attrs["first_instance"] + i, temp] = probs[i, t].mean()
    assert len(rows) == len(expected) == 5 * 4
    assert list(zip(instances, T, strict=True)) == sorted(expected)  # one row per (instance, T), sorted
    np.testing.assert_allclose(p, [expected[k] for k in zip(instances, T, strict=True)], rtol=1e-6)
    assert np.all((p >= 0) & (p <= 1))
    # held-out subsets, and the model must fit the data
    predict_files(model, bimodal_chunks, tmp_path / "held_out.csv", instances=[1, 3])
    with open(tmp_path / "held_out.csv") as fh:
        assert sorted({int(r["instance"]) for r in csv.DictReader(fh)}) == [1, 3]
    with pytest.raises(ValueError, match="none of the requested instances"):
        predict_files(model, bimodal_chunks, tmp_path / "none.csv", instances=[99])
    with pytest.raises(ValueError, match="does not fit L = 4"):
        predict_blocks(build_model(5), build_index(bimodal_chunks))


def test_training_benchmark_reports_both_rates():
    from spinglass_ml.ml.train_benchmark import benchmark

    (row,) = benchmark(sizes=(4,), steps={4: 100}, instances={4: 20})
    assert row["L"] == 4 and min(row["streaming"], row["cached"], row["in_memory"]) > 0 and row["cpus"] >= 1
    assert row["ratio"] == pytest.approx(row["streaming"] / row["in_memory"])
    assert row["ratio_cached"] == pytest.approx(row["cached"] / row["in_memory"])
