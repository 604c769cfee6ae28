"""The adversarial-robustness record: test examples, metrics on a model with known answers, the JSON."""

import json

import numpy as np
import pytest

from spinglass_ml.ml.blocks import iter_batches
from spinglass_ml.ml.dataset import build_index, stream_seed
from spinglass_ml.ml.model import build_model
from spinglass_ml.robustness.adversarial import (
    ATTACKS,
    HeldOutSet,
    evaluate_model,
    held_out_examples,
    robustness_record,
)
from spinglass_ml.seeds import STREAM_SHUFFLE

SETTINGS = dict(
    test_examples=None, symmetry_examples=6, epsilons=[0.0, 0.05, 0.3, 1.5], steps=4, step_fraction=0.25,
    momentum_decay=1.0, loss_on="logits", max_flips=6, report_epsilon=0.3, near_tc=0.05,
)  # fmt: skip


def magnetisation_model(L, a=0.4):
    """The Table III architecture (stride 1, two channels) with weights making it linear in q:
    channel 0 = relu(q_i), channel 1 = relu(-q_i), dense weights +-a, so z_1 - z_0 = 0.5 - a * sum(q):
    it calls a snapshot ordered if its overlap sum is large."""
    model = build_model(L, channels=2, kernel=3, stride=1)
    kernel = np.zeros((3, 3, 3, 1, 2), np.float32)
    kernel[1, 1, 1, 0] = [1.0, -1.0]
    model.get_layer("conv").set_weights([kernel, np.zeros(2, np.float32)])
    w = np.zeros((L**3 * 2, 2), np.float32)
    w[:, 1] = -a * np.tile([1.0, -1.0], L**3)  # flattened (m, m, m, channels): channels innermost
    model.get_layer("softmax").set_weights([w, np.array([0.0, 0.5], np.float32)])
    return model


@pytest.fixture(scope="module")
def phases():
    """Ordered snapshots (all sites +1 but a few) at T < 0.95, labelled 0; random ones above, labelled 1."""
    rng = np.random.default_rng(4)
    L, n = 3, 40
    T = np.repeat([0.85, 0.93, 0.97, 1.10], n // 4)
    y = (T > 0.95).astype(np.int32)
    ordered = np.where(rng.random((n, L, L, L)) < 0.9, 1.0, -1.0)
    x = np.where(y[:, None, None, None] == 0, ordered, rng.choice([-1.0, 1.0], (n, L, L, L)))
    return HeldOutSet(x.astype(np.float32), y, T, np.arange(n) // 4, 0.95)


def test_metrics_of_a_linear_model(phases):
    model = magnetisation_model(3)
    rec = evaluate_model(model, phases, SETTINGS, seed=1)
    json.dumps(rec, allow_nan=False)  # a valid JSON record: no NaN, no numpy types
    clean = rec["clean_accuracy"]
    p = model.predict_on_batch(phases.x[..., None])
    assert clean == np.mean(p.argmax(axis=1) == phases.y) and 0.6 < clean < 1.0
    for name in ATTACKS:
        acc = rec["attacks"][name]["robust_accuracy"]
        assert acc[0] == clean  # epsilon = 0 changes nothing
        assert all(b <= a for a, b in zip(acc, acc[1:], strict=False))  # linear model: larger ball, fewer
        sign = rec["attacks"][name]["robust_accuracy_sign"]
        assert sign[:3] == [clean] * 3  # below epsilon = 1 no site changes sign
        assert rec["attacks"][name]["settings"]["loss_on"] == "logits"
    assert rec["attacks"]["pgd"]["robust_accuracy"][2] < clean  # epsilon 0.3 fools some
    assert rec["attacks"]["pgd_random_start"]["settings"]["random_start"] is True
    flips = rec["flips"]["robust_accuracy"]
    assert flips[0] == clean and all(b <= a for a, b in zip(flips, flips[1:], strict=False))
    fooled = [f for f in rec["by_temperature"]["pgd_fooled"] if f is not None]
    assert rec["by_temperature"]["T"] == [0.85, 0.93, 0.97, 1.10] and all(0 <= f <= 1 for f in fooled)
    maps = rec["activation_maps"]["maps"]
    assert set(maps) == {"ordered", "disordered", "adversarial_ordered", "adversarial_disordered"}
    ordered = np.array(maps["ordered"])  # channel 0 = fraction of +1 sites: 0.9 in the ordered snapshots
    assert ordered.shape == (3, 3, 3, 2) and abs(ordered[..., 0].mean() - 0.9) < 0.05
    # p depends on sum(q) only: invariant under translations and O_h, not under the global flip
    assert rec["symmetry"]["translation"]["max_abs_dp"] < 1e-6
    assert rec["symmetry"]["cubic"]["max_abs_dp"] < 1e-6
    assert rec["symmetry"]["global_flip"]["max_abs_dp"] > 0.1


def test_flip_counts_follow_the_margin(phases):
    """Linear model, margin m = (z_y - z_other): each flip of a site with q_i = s changes sum(q) by -2 s,
    so the flips needed are ceil(|margin| / (2 a)) in closed form (greedy picks sites of the right sign)."""
    model = magnetisation_model(3)
    settings = dict(SETTINGS, max_flips=27)
    rec = evaluate_model(model, phases, settings, seed=1)
    S = phases.x.reshape(len(phases.x), -1).sum(axis=1)
    d = 0.5 - 0.4 * S  # z_1 - z_0
    margin = np.where(phases.y == 1, d, -d)
    correct = margin > 0
    needed = np.ceil(margin / 0.8 - 1e-9).clip(min=1)  # a flip moves z_1 - z_0 by 0.8
    acc = [np.mean(correct & (needed > k)) for k in range(28)]
    np.testing.assert_allclose(rec["flips"]["robust_accuracy"], acc)


def test_held_out_examples_follow_the_validation_stream(gaussian_chunks):
    index = build_index(gaussian_chunks).select_instances([1, 4])
    test = held_out_examples(index, seed=7, limit=10)
    x, y, pos = next(iter_batches(index, 10, stream_seed(7, STREAM_SHUFFLE, index.L, 1), limit=10))
    np.testing.assert_array_equal(test.x, x.astype(np.float32))
    np.testing.assert_array_equal(test.y, y)
    assert np.all(test.y == (test.T > 0.95)) and set(test.instance) <= {1, 4}


def test_record_needs_one_held_out_set(gaussian_chunks, tmp_path):
    model = magnetisation_model(4)
    model.save(tmp_path / "m.keras")
    models = {"clean": tmp_path / "m.keras", "adv-0.1": tmp_path / "m.keras"}
    with pytest.raises(ValueError, match="adv-0.1"):
        robustness_record(models, {"clean": np.array([1, 4]), "adv-0.1": np.array([1, 5])}, gaussian_chunks,
                          SETTINGS, seed=1, threshold=0.95)  # fmt: skip
    rec = robustness_record(models, {"clean": np.array([1, 4]), "adv-0.1": np.array([4, 1])}, gaussian_chunks,
                            SETTINGS, seed=1, threshold=0.95)  # fmt: skip
    assert rec["test_set"]["examples"] == 2 * 4 * 4 and rec["test_set"]["instances"] == [1, 4]
    assert rec["models"]["clean"] == rec["models"]["adv-0.1"]  # same model, same numbers (seeded)


def test_figures_draw_a_record(phases, tmp_path):
    """Both figures from a record of two models: the panels and the colour scale they should have."""
    from spinglass_ml.figures import robustness, style

    rec = evaluate_model(magnetisation_model(3), phases, SETTINGS, seed=1)
    models = {"clean": rec, "adv-0.3": rec}
    pgd = {m: r["attacks"]["pgd"] for m, r in models.items()}
    by_eps = {3: {m: (np.array(a["epsilon"]), np.array(a["robust_accuracy"])) for m, a in pgd.items()}}
    by_flips = {
        3: {
            m: (np.array(r["flips"]["k"]), np.array(r["flips"]["robust_accuracy"])) for m, r in models.items()
        }
    }
    by_T = {m: (np.array(r["by_temperature"]["T"]), np.array(r["by_temperature"]["pgd_fooled"], float))
            for m, r in models.items()}  # fmt: skip
    fig = robustness.adversarial_figure(
        by_eps, by_flips, by_T, threshold=0.95, report_epsilon=0.3, L_temperature=3, majority=0.5
    )
    assert len(fig.axes) == 3 and len(fig.axes[0].lines) == 2 + 1  # two models and the constant guess
    assert style.save(fig, tmp_path / "adv.pdf")[1].stat().st_size > 0
    maps = {m: {g: np.array(a) for g, a in r["activation_maps"]["maps"].items()} for m, r in models.items()}
    violations = {m: {g: r["symmetry"][g]["mean_abs_dp"] for g in ("global_flip", "translation", "cubic")}
                  for m, r in models.items()}  # fmt: skip
    fig = robustness.activations_figure(maps, violations, L=3, report_epsilon=0.3)
    images = [im for ax in fig.axes for im in ax.images]
    assert len(images) == 2 * 4 and images[0].get_array().shape == (2, 27)  # channels x positions
    assert images[0].get_clim()[1] == max(np.max(a) for a in maps["clean"].values())
