"""Symmetry operations of the periodic cubic lattice, violations of known models, activation maps."""

import itertools

import keras
import numpy as np
import pytest

from spinglass_ml.ml.model import build_model
from spinglass_ml.robustness.symmetry import (
    GROUPS,
    activations,
    cubic_group,
    images,
    mean_activation_maps,
    symmetry_violations,
    translate,
)


def site_field(L):
    """Snapshot whose value at (x, y, z) encodes the site: x*L*L + y*L + z."""
    return np.arange(L**3, dtype=np.float64).reshape(L, L, L)


def neighbour_pairs(a):
    """Unordered pairs of periodic nearest-neighbour values of a field a (L, L, L)."""
    return {
        frozenset((a[idx], np.roll(a, -1, axis)[idx]))
        for axis in range(3)
        for idx in itertools.product(range(a.shape[0]), repeat=3)
    }


@pytest.mark.parametrize("L", [3, 4])
def test_cubic_group_is_the_48_lattice_symmetries_fixing_the_origin(L):
    ops = cubic_group()
    assert len(ops) == 48 and ops[0].is_identity
    a = site_field(L)
    imgs = [op.apply(a) for op in ops]
    assert len({im.tobytes() for im in imgs}) == 48  # distinct
    bonds = neighbour_pairs(a)
    for im in imgs:
        assert sorted(im.ravel()) == sorted(a.ravel())  # a permutation of the sites
        assert im[0, 0, 0] == 0  # fixes the origin
        assert neighbour_pairs(im) == bonds  # maps periodic bonds to bonds: a lattice symmetry
    keys = {im.tobytes() for im in imgs}
    for f, g in itertools.product(ops[::5], ops[::7]):
        assert f.apply(g.apply(a)).tobytes() in keys  # closed under composition


def test_translations_are_periodic_and_all_distinct():
    L = 3
    a = site_field(L)
    labels = [label for label, _ in images(a[None], "translation")]
    assert len(labels) == L**3 - 1
    assert translate(a, (1, 0, 0))[1, 0, 0] == a[0, 0, 0] and translate(a, (L, 0, 0)).tobytes() == a.tobytes()
    assert neighbour_pairs(translate(a, (1, 2, 0))) == neighbour_pairs(a)


def test_violations_of_a_magnetisation_classifier(linear_model):
    """p = sigmoid(c + a * sum(q)) is invariant under translations and O_h, not under q -> -q:
    |dp| = |sigmoid(c + a S) - sigmoid(c - a S)| in closed form."""
    L, a, c = 3, 0.05, 0.2
    w = np.zeros((L**3, 2))
    w[:, 1] = a
    model = linear_model(L, w, [0.0, c])
    rng = np.random.default_rng(1)
    x = rng.choice([-1.0, 1.0], (10, L, L, L)).astype(np.float32)
    v = symmetry_violations(model, x)
    assert set(v) == set(GROUPS)
    assert v["translation"]["max_abs_dp"] < 1e-6 and v["cubic"]["max_abs_dp"] < 1e-6
    assert v["translation"]["elements"] == L**3 - 1 and v["cubic"]["elements"] == 47
    S = x.reshape(10, -1).sum(axis=1)
    sig = lambda t: 1 / (1 + np.exp(-t))  # noqa: E731
    dp = np.abs(sig(c + a * S) - sig(c - a * S))
    assert v["global_flip"]["mean_abs_dp"] == pytest.approx(dp.mean(), rel=1e-5)
    assert v["global_flip"]["max_abs_dp"] == pytest.approx(dp.max(), rel=1e-5)
    p = sig(c + a * S)
    assert v["global_flip"]["decision_changed"] == np.mean((p > 0.5) != (sig(c - a * S) > 0.5))


def test_a_position_dependent_classifier_violates_translations(linear_model):
    L = 2
    w = np.zeros((L**3, 2))
    w[0, 1] = 3.0  # looks at site (0, 0, 0) only
    model = linear_model(L, w, [0.0, 0.0])
    x = -np.ones((1, L, L, L), np.float32)
    x[0, 1, 1, 1] = 1.0  # the one up site sits elsewhere: moving it to the origin changes p
    v = symmetry_violations(model, x)
    sig = lambda t: 1 / (1 + np.exp(-t))  # noqa: E731
    assert v["translation"]["max_abs_dp"] == pytest.approx(sig(3.0) - sig(-3.0), rel=1e-5)
    assert v["translation"]["worst_element"] == "1,1,1"
    assert v["cubic"]["max_abs_dp"] < 1e-6  # O_h fixes the origin, and (1,1,1) -> (-1,-1,-1) = (1,1,1) mod 2


def test_translation_by_the_stride_permutes_the_activation_map():
    """Periodic convolution, stride 2, L = 6: shifting the lattice by 2 sites shifts the 3x3x3 feature map
    by one position; the mean activation maps of a group are the averages of these."""
    keras.utils.set_random_seed(5)
    model = build_model(6)
    x = np.random.default_rng(0).choice([-1.0, 1.0], (4, 6, 6, 6)).astype(np.float32)
    act = activations(model, x)
    assert act.shape == (4, 3, 3, 3, 5) and np.all(act >= 0)  # ReLU
    shifted = activations(model, translate(x, (2, 0, 4)))
    np.testing.assert_allclose(shifted, np.roll(act, (1, 0, 2), axis=(1, 2, 3)), atol=1e-5)
    maps = mean_activation_maps(model, {"a": x[:2], "b": x[2:], "empty": x[:0]})
    assert set(maps) == {"a", "b"}
    np.testing.assert_allclose(maps["b"], act[2:].mean(axis=0), rtol=1e-6)


def test_unknown_group_is_named():
    with pytest.raises(ValueError, match="group"):
        next(images(np.zeros((1, 2, 2, 2)), "rotation"))
