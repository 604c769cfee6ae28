"""The CNN of Table III: layers, parameter count, the periodic convolution against keras Conv3D, saving."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from spinglass_ml.ml.model import (
    LatticeConv3D,
    build_model,
    expected_parameter_count,
    load_model,
    output_side,
    window_sites,
)


@pytest.mark.parametrize("L", [4, 5, 8, 16])
def test_layers_follow_table_iii(L):
    model = build_model(L)
    assert [type(layer).__name__ for layer in model.layers] == [
        "InputLayer",
        "LatticeConv3D",
        "Flatten",
        "Dense",
    ]
    assert model.input_shape == (None, L, L, L, 1) and model.inputs[0].dtype == "float32"
    conv, dense = model.get_layer("conv"), model.get_layer("softmax")
    cfg = conv.get_config()
    assert (cfg["filters"], cfg["kernel_size"], cfg["strides"], cfg["periodic"]) == (5, 3, 2, True)
    assert cfg["activation"] == "relu"
    assert conv.kernel.shape == (3, 3, 3, 1, 5) and conv.bias.shape == (5,)
    m = -(-L // 2)  # periodic, kernel 3, stride 2: ceil(L / 2) windows per axis
    assert conv.output.shape[1:] == (m, m, m, 5) and conv.count_params() == 27 * 5 + 5
    assert dense.get_config()["units"] == 2 and dense.get_config()["activation"] == "softmax"
    assert dense.count_params() == m**3 * 5 * 2 + 2
    assert model.output_shape == (None, 2)
    assert model.count_params() == expected_parameter_count(L)


def test_parameter_count_closed_form_values():
    assert expected_parameter_count(8) == 140 + 4**3 * 10 + 2 == 782
    assert expected_parameter_count(16) == 140 + 8**3 * 10 + 2 == 5262
    assert expected_parameter_count(8, periodic=False) == 140 + 3**3 * 10 + 2
    for L, kw in [(7, {}), (9, dict(periodic=False)), (12, dict(channels=3, kernel=5, stride=3)), (2, {})]:
        assert build_model(L, **kw).count_params() == expected_parameter_count(L, **kw)


def test_window_sites_are_the_periodic_neighbourhoods():
    L = 4
    sites = window_sites(L, 3, 2, periodic=True)
    assert sites.shape == (8, 27)
    coords = np.stack(np.unravel_index(sites, (L, L, L)), axis=-1)  # (window, offset, 3)
    centres = coords[:, 13]  # offset (1, 1, 1) is the centre
    np.testing.assert_array_equal(centres, 2 * np.stack(np.unravel_index(np.arange(8), (2, 2, 2)), -1))
    offsets = (coords - centres[:, None, :] + 1) % L  # wrapped offsets 0..2 in C order
    in_window = np.stack(np.unravel_index(np.arange(27), (3, 3, 3)), -1)
    np.testing.assert_array_equal(offsets, np.broadcast_to(in_window, offsets.shape))


def wrap(q, p):
    """Periodic padding by p sites on each side of the three lattice axes (differentiable)."""
    for axis in (1, 2, 3):
        n = q.shape[axis]
        q = tf.gather(q, np.arange(-p, n + p) % n, axis=axis)
    return q


def test_wrap_reference_is_numpy_wrap():
    q = np.random.default_rng(0).standard_normal((2, 3, 4, 5, 1)).astype(np.float32)
    for p in (0, 1, 2):
        expected = np.pad(q, [(0, 0), *[(p, p)] * 3, (0, 0)], mode="wrap")
        np.testing.assert_array_equal(wrap(tf.constant(q), p).numpy(), expected)


@pytest.mark.parametrize(
    "L, kernel, stride, periodic",
    [(4, 3, 2, True), (5, 3, 2, True), (8, 3, 2, True), (7, 3, 2, False), (6, 5, 3, True), (2, 3, 2, True)],
)
def test_convolution_equals_keras_conv3d_on_the_wrapped_lattice(L, kernel, stride, periodic):
    """The reference: periodic padding then keras Conv3D 'valid' with the same weights; values and the
    gradients with respect to kernel, bias and input agree."""
    rng = np.random.default_rng(L)
    conv = build_model(L, channels=4, kernel=kernel, stride=stride, periodic=periodic).get_layer("conv")
    conv.bias.assign(rng.standard_normal(4).astype(np.float32))
    p = kernel // 2 if periodic else 0
    reference = keras.layers.Conv3D(4, kernel, strides=stride, padding="valid", activation="relu")
    reference.build((None, L + 2 * p, L + 2 * p, L + 2 * p, 1))
    reference.set_weights(conv.get_weights())
    q = tf.constant(rng.choice([-1.0, 1.0], size=(3, L, L, L, 1)).astype(np.float32))
    m = output_side(L, kernel, stride, periodic)
    weight = tf.constant(rng.standard_normal((3, m, m, m, 4)).astype(np.float32))
    results = []
    for layer, f in ((conv, conv), (reference, lambda x: reference(wrap(x, p)))):
        with tf.GradientTape() as tape:
            tape.watch(q)
            out = f(q)
            loss = tf.reduce_sum(weight * out)
        results.append([out, *tape.gradient(loss, [q, *layer.trainable_variables])])
    assert results[0][0].shape == (3, m, m, m, 4)
    for ours, theirs in zip(*results, strict=True):
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-5)


def test_convolution_of_several_input_channels_equals_keras_conv3d():
    """Two input channels (the gather interleaves them with the window offsets), periodic, L = 5."""
    rng = np.random.default_rng(2)
    conv = LatticeConv3D(3, 3, 2, periodic=True)
    conv.build((None, 5, 5, 5, 2))
    conv.kernel.assign(rng.standard_normal((3, 3, 3, 2, 3)).astype(np.float32))
    conv.bias.assign(rng.standard_normal(3).astype(np.float32))
    reference = keras.layers.Conv3D(3, 3, strides=2, padding="valid", activation="relu")
    reference.build((None, 7, 7, 7, 2))
    reference.set_weights(conv.get_weights())
    q = tf.constant(rng.choice([-1.0, 1.0], size=(4, 5, 5, 5, 2)).astype(np.float32))
    np.testing.assert_allclose(conv(q).numpy(), reference(wrap(q, 1)).numpy(), rtol=1e-5, atol=1e-5)


def test_translation_by_the_stride_translates_the_feature_map():
    """Periodic: no site is special, rolling the lattice by the stride rolls the feature map by one."""
    model = build_model(6)
    features = keras.Model(model.inputs, model.get_layer("conv").output)
    q = np.random.default_rng(1).choice([-1.0, 1.0], size=(1, 6, 6, 6, 1)).astype(np.float32)
    base = features.predict_on_batch(q)
    for axis in (1, 2, 3):
        shifted = features.predict_on_batch(np.roll(q, 2, axis=axis))
        np.testing.assert_allclose(shifted, np.roll(base, 1, axis=axis), rtol=1e-6, atol=1e-6)


def test_outputs_are_probabilities_and_save_load_round_trips(tmp_path):
    model = build_model(4)
    q = np.random.default_rng(2).choice([-1.0, 1.0], size=(3, 4, 4, 4, 1)).astype(np.float32)
    p = model.predict_on_batch(q)
    assert p.shape == (3, 2) and np.all(p >= 0) and np.allclose(p.sum(axis=1), 1)
    model.save(tmp_path / "m.keras")
    loaded = load_model(tmp_path / "m.keras")
    assert loaded.get_layer("conv").get_config() == model.get_layer("conv").get_config()
    np.testing.assert_array_equal(loaded.predict_on_batch(q), p)


@pytest.mark.parametrize(
    "L, kw",
    [(0, {}), (8, dict(channels=0)), (8, dict(kernel=2)), (8, dict(stride=0)), (2, dict(periodic=False))],
)
def test_bad_arguments_are_rejected(L, kw):
    with pytest.raises(ValueError):
        build_model(L, **kw)
    with pytest.raises(ValueError):
        expected_parameter_count(L, **kw)
