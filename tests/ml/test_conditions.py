"""Training conditions and label flipping."""

import numpy as np
import pytest

from spinglass_ml.ml import conditions
from spinglass_ml.ml.conditions import Condition, flip_labels, parse_condition, training_sweeps


@pytest.mark.parametrize(
    "name, kind, value",
    [("clean", "clean", None), ("flip-0.01", "flip", 0.01), ("flip-0", "flip", 0.0), ("flip-1", "flip", 1.0),
     ("flip-1e-3", "flip", 0.001), ("therm-0.5", "therm", 0.5), ("therm-1.0", "therm", 1.0),
     ("adv-0.2", "adv", 0.2), ("adv-2", "adv", 2.0)],
)  # fmt: skip
def test_condition_names_parse_and_round_trip(name, kind, value):
    cond = parse_condition(name)
    assert cond == Condition(kind=kind, value=value)
    assert parse_condition(str(cond)) == cond


@pytest.mark.parametrize(
    "name",
    ["", "Clean", "clean-0.1", "flip", "flip-", "flip-abc", "flip--0.1", "flip-1.5", "flip-nan", "flip-inf",
     " flip-0.1", "flip-0.1 ", "flip_0.1", "therm-0", "therm-1.2", "noise-0.1", "adv-0", "adv-2.5", "adv"],
)  # fmt: skip
def test_other_condition_names_are_rejected(name):
    with pytest.raises(ValueError, match="condition"):
        parse_condition(name)


def test_training_sweeps():
    assert training_sweeps(parse_condition("therm-0.5"), 4096) == 2048
    assert training_sweeps(parse_condition("therm-0.3"), 1000) == 300
    assert training_sweeps(parse_condition("clean"), 4096) == 4096
    assert training_sweeps(parse_condition("flip-0.01"), 4096) == 4096
    assert training_sweeps(parse_condition("adv-0.2"), 4096) == 4096


def labels(n=200_000, seed=0):
    return np.random.default_rng(seed).integers(0, 2, n).astype(np.int8)


def test_flips_are_exactly_the_stored_indices_at_the_requested_rate():
    old, rate = labels(), 0.01
    before = old.copy()
    new, idx = flip_labels(old, rate, np.random.SeedSequence(7))
    np.testing.assert_array_equal(old, before)  # input untouched
    assert new.dtype == old.dtype and idx.dtype == np.int64 and np.all(np.diff(idx) > 0)
    np.testing.assert_array_equal(np.flatnonzero(new != old), idx)
    np.testing.assert_array_equal(new[idx], 1 - old[idx])
    sigma = np.sqrt(rate * (1 - rate) / old.size)  # binomial standard error of the achieved fraction
    assert abs(idx.size / old.size - rate) < 5 * sigma


def test_rate_zero_is_the_identity_and_rate_one_flips_all():
    old = labels(1000)
    new, idx = flip_labels(old, 0.0, np.random.SeedSequence(1))
    np.testing.assert_array_equal(new, old)
    assert idx.size == 0
    new, idx = flip_labels(old, 1.0, np.random.SeedSequence(1))
    np.testing.assert_array_equal(new, 1 - old)
    np.testing.assert_array_equal(idx, np.arange(old.size))


def test_same_seed_same_flips_other_seed_other_flips():
    old = labels(10_000)
    a = flip_labels(old, 0.05, np.random.SeedSequence(3))
    b = flip_labels(old, 0.05, np.random.SeedSequence(3))
    c = flip_labels(old, 0.05, np.random.SeedSequence(4))
    np.testing.assert_array_equal(a[1], b[1])
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[1], c[1])


def test_doses_are_nested_and_independent_of_chunking(monkeypatch):
    old = labels(5000)
    low = flip_labels(old, 0.01, np.random.SeedSequence(9))[1]
    high = flip_labels(old, 0.05, np.random.SeedSequence(9))[1]
    assert np.isin(low, high).all() and high.size > low.size
    monkeypatch.setattr(conditions, "_FLIP_CHUNK", 7)
    np.testing.assert_array_equal(flip_labels(old, 0.05, np.random.SeedSequence(9))[1], high)


def test_empty_labels():
    new, idx = flip_labels(np.zeros(0, np.int8), 0.5, np.random.SeedSequence(0))
    assert new.size == 0 and idx.size == 0


@pytest.mark.parametrize("rate", [-0.1, 1.1, float("nan")])
def test_bad_rates_are_rejected(rate):
    with pytest.raises(ValueError, match="rate"):
        flip_labels(labels(10), rate, np.random.SeedSequence(0))


@pytest.mark.parametrize("bad", [np.array([0, 1, 2]), np.zeros((2, 2), int), np.array([0.0, 1.0])])
def test_bad_labels_are_rejected(bad):
    with pytest.raises(ValueError, match="labels"):
        flip_labels(bad, 0.1, np.random.SeedSequence(0))


def test_threshold_conditions_label_by_their_own_temperature():
    from spinglass_ml.ml.conditions import label_threshold

    c = parse_condition("threshold-1.05")
    assert (c.kind, c.value, str(c)) == ("threshold", 1.05, "threshold-1.05")
    assert label_threshold(c, 0.95) == 1.05
    assert label_threshold(parse_condition("flip-0.1"), 0.95) == 0.95
    assert training_sweeps(c, 4096) == 4096  # clean data
    with pytest.raises(ValueError, match="label temperature"):
        parse_condition("threshold-0")


def test_thermometer_conditions_name_the_control_classifier():
    from spinglass_ml.ml.conditions import classifier, label_threshold

    assert parse_condition("thermometer") == Condition("thermometer")
    c = parse_condition("thermometer-0.85")
    assert (str(c), label_threshold(c, 0.95), classifier(c)) == ("thermometer-0.85", 0.85, "thermometer")
    assert label_threshold(parse_condition("thermometer"), 0.95) == 0.95
    assert classifier(parse_condition("threshold-0.85")) == "cnn"
