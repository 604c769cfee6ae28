"""The per-epoch trade-off record: one row per epoch, accuracies reproduced from the saved weights."""

import json

import numpy as np
import pytest

from spinglass_ml.ml.dataset import training_data
from spinglass_ml.ml.model import build_model
from spinglass_ml.ml.pipeline import training_datasets
from spinglass_ml.robustness.attacks import pgd
from spinglass_ml.robustness.records import RECORD_COLUMNS
from spinglass_ml.robustness.tradeoff import (
    SPACES,
    accuracy,
    dataset_arrays,
    feature_attack,
    input_logits,
    run_tradeoff,
    save_tradeoff,
)

ATTACK = {"epsilon": 0.3, "step_size": 0.1, "steps": 4}
MOMENTS = {"samples": 200, "blocks": 4, "batch_size": 100}
EPOCHS, STEPS = 3, 8


@pytest.fixture(scope="module")
def magnetised_chunks(tmp_path_factory, synthetic_chunk):
    """L = 4 overlaps: 90% of the sites share one random sign below T = 0.95, independent signs above."""
    rng = np.random.default_rng(11)
    temps = [0.85, 0.9, 1.0, 1.05]
    shape = (10, len(temps), 8, 4, 4, 4)
    sign = rng.choice([-1, 1], size=(*shape[:3], 1, 1, 1))
    ordered = sign * np.where(rng.random(shape) < 0.9, 1, -1)
    below = (np.asarray(temps) < 0.95)[None, :, None, None, None, None]
    q = np.where(below, ordered, rng.choice([-1, 1], size=shape)).astype(np.int8)
    return [synthetic_chunk(tmp_path_factory.mktemp("mag") / "chunk0.h5", q, temps, first_instance=0)]


@pytest.fixture(scope="module")
def run(magnetised_chunks, tmp_path_factory):
    data = training_data(magnetised_chunks, "clean", seed=4, validation_fraction=0.3)
    train, val = training_datasets(data, seed=4, batch_size=32, shuffle_buffer=128, validation_examples=64)
    model, probe = run_tradeoff(train, val, model_index=0, epochs=EPOCHS, steps_per_epoch=STEPS, lr=1e-2,
                                seed=4, attack=ATTACK, moments=MOMENTS)  # fmt: skip
    folder = tmp_path_factory.mktemp("tradeoff")
    doc = save_tradeoff(folder / "L4.json", folder / "L4.npz", {"clean": probe}, {"L": 4})
    return val, model, probe, folder, doc


def test_one_row_per_epoch(run):
    _, _, probe, folder, doc = run
    rows = json.loads((folder / "L4.json").read_text())["models"]["clean"]["records"]
    assert rows == doc["models"]["clean"]["records"] == probe.records
    assert [r["epoch"] for r in rows] == [1, 2, 3] and [r["step"] for r in rows] == [8, 16, 24]
    assert all(set(RECORD_COLUMNS) <= set(r) for r in rows)
    assert rows[-1]["test_accuracy"] > 0.75  # the magnetised set is easy (chance: 0.5)
    assert len(doc["models"]["clean"]["moments"]) == EPOCHS


def test_accuracies_agree_with_the_saved_weights(run):
    """Rebuild the network from each epoch's stored weights and evaluate it independently: clean, input-PGD
    and feature-PGD accuracies are those recorded (same weights, deterministic attacks)."""
    val, model, probe, folder, _ = run
    x, y = dataset_arrays(val)
    arrays = np.load(folder / "L4.npz")
    fresh = build_model(4)
    for row in probe.records:
        prefix = f"clean/epoch{row['epoch']}/"
        fresh.set_weights([arrays[f"{prefix}w{k}"] for k in range(len(fresh.get_weights()))])
        probs = fresh.predict(x[..., None], verbose=0)
        assert np.mean(np.argmax(probs, axis=1) == y) == pytest.approx(row["test_accuracy"], abs=1e-12)
        x_adv = pgd(fresh, x, y, **ATTACK)
        assert accuracy(input_logits(fresh, x_adv), y) == pytest.approx(row["robust_accuracy"], abs=1e-12)
        _, feature_adv = feature_attack(fresh, x, y, **ATTACK)
        assert accuracy(feature_adv, y) == pytest.approx(row["feature_robust_accuracy"], abs=1e-12)
    # the last stored weights are the trained model's
    for a, b in zip(fresh.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_moment_arrays_cover_every_site_and_class(run):
    _, _, _, folder, doc = run
    arrays = np.load(folder / "L4.npz")
    product = arrays["clean/epoch3/input/product"]
    assert product.shape == (2, 64) and np.all(np.isfinite(product))
    feature = arrays["clean/epoch3/feature/product"]
    assert feature.shape == (2, 40)  # m^3 C = 2^3 x 5 features, NaN where constant over the test set
    for space in SPACES:
        summary = doc["models"]["clean"]["moments"][-1][space]
        assert len(summary) == 2 and all(s["box_bound_holds"] == 1.0 for s in summary)


def test_zero_radius_attacks_leave_the_accuracy_unchanged(run):
    val, model, _, _, _ = run
    x, y = dataset_arrays(val)
    clean = accuracy(input_logits(model, x), y)
    logits_clean, logits_adv = feature_attack(model, x, y, 0.0, 0.1, 3)
    np.testing.assert_allclose(logits_clean, input_logits(model, x), rtol=1e-5, atol=1e-5)
    assert accuracy(logits_adv, y) == clean
    assert accuracy(input_logits(model, pgd(model, x, y, 0.0, 0.1, 3)), y) == clean
    # a large radius in feature space (the whole box) must fool the linear head on most examples
    assert accuracy(feature_attack(model, x, y, 2.0, 0.5, 8)[1], y) < 0.5 * clean
