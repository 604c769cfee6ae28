"""The thermometer control: its features against closed forms and loops, the fit's exact identities and
determinism, its behaviour on synthetic data (an ideal thermometer follows the label threshold, a transition
pins it), and its files through train and predict with the CNN's contracts.

Synthetic snapshots: sites independently aligned with a random global sign with probability (1 + m(T))/2, so
every feature moves with T through m(T). Tolerances were set from 100 seeds (max deviations in brackets); the
false-failure rate for a new seed is below 1 % for each.
"""

import json
import subprocess
import sys

import numpy as np
import pytest

from spinglass_ml.mc.chunks import read_chunk
from spinglass_ml.mc.lattice import overlap_k2
from spinglass_ml.ml.dataset import training_data
from spinglass_ml.ml.history import HISTORY_COLUMNS
from spinglass_ml.ml.predictions import read_predictions
from spinglass_ml.ml.thermometer import (
    FEATURE_NAMES,
    Thermometer,
    fit_thermometer,
    load_thermometer,
    predict_thermometer,
    predict_thermometer_files,
    snapshot_features,
    thermometer_paths,
    train_thermometer,
)

# docs/contracts.md#model-files, less equilibration_failures (the train rule's adapter adds it)
CNN_PROVENANCE_KEYS = set(
    "condition condition_value L disorder sweeps seed threshold files n_train_instances"
    " n_validation_instances n_train_examples n_validation_examples flip_rate n_flipped"
    " achieved_flip_fraction settings device versions".split()
)
T_LINEAR = 0.625 + 0.05 * np.arange(16)  # thresholds 0.85, 0.95, 1.05 fall midway between grid points
T_STUDY = 0.80 * (1.21 / 0.80) ** (np.arange(20) / 19)  # the default Gaussian grid: 12 of 20 above 0.95


def ideal(T):
    """An ideal thermometer's order parameter: falls linearly through the whole range, no transition."""
    return np.clip(1.5 - T, 0.0, 1.0)


def synthetic_snapshots(rng, temperatures, n_per_T, m_of_T, L=4):
    """(T (n,), overlaps int8 (n, L, L, L)) with n_per_T snapshots per temperature, ordered by T."""
    T = np.repeat(temperatures, n_per_T)
    m = np.repeat(m_of_T(np.asarray(temperatures)), n_per_T)[:, None, None, None]
    sign = rng.choice([-1, 1], size=(T.size, 1, 1, 1))
    q = sign * np.where(rng.random((T.size, L, L, L)) < (1 + m) / 2, 1, -1)
    return T, q.astype(np.int8)


def crossing(T, p):
    """The temperature where p (increasing through 0.5 once) is 0.5, interpolated linearly."""
    (k,) = np.flatnonzero((p[:-1] < 0.5) & (p[1:] >= 0.5))
    return T[k] + (0.5 - p[k]) * (T[k + 1] - T[k]) / (p[k + 1] - p[k])


def p_curve(seed, temperatures, threshold, m_of_T, *, class_weight=None, n_train=200, n_test=400):
    """Fit on n_train snapshots per T labelled T > threshold; mean p per T over fresh n_test snapshots."""
    rng = np.random.default_rng(seed)
    T, q = synthetic_snapshots(rng, temperatures, n_train, m_of_T)
    model = fit_thermometer(snapshot_features(q), T > threshold, class_weight=class_weight)
    _, q_test = synthetic_snapshots(rng, temperatures, n_test, m_of_T)
    return model.predict_proba(snapshot_features(q_test)).reshape(len(temperatures), n_test).mean(axis=1)


# ---------------------------------------------------------------- features
@pytest.mark.parametrize("L", [2, 3, 4, 5])
@pytest.mark.parametrize("sign", [1, -1])
def test_uniform_snapshot_has_every_overlap_one_and_no_modulation(L, sign):
    f = snapshot_features(np.full((L, L, L), sign, np.int8))
    np.testing.assert_allclose(f[:4], 1.0, rtol=0, atol=1e-15)  # q², |q|, link, diagonal
    assert abs(f[4]) < 1e-12  # Σ_x e^{2πix/L} = 0


@pytest.mark.parametrize("L", [4, 6, 8])
def test_stripe_and_checkerboard_closed_forms(L):
    """q = +1 for x < L/2, else -1: two walls per row along x. q = 0; link (L-4)/(3L) + 2/3; diagonal
    (4 (L-4)/L + 2)/6; |q(k_min)|²/N = 4L / sin²(π/L) along x, 0 along y, z. Checkerboard: -1 and +1."""
    x = np.indices((L, L, L))
    stripe = np.where(x[0] < L // 2, 1, -1)
    expected = [
        0.0,
        0.0,
        (L - 4) / (3 * L) + 2 / 3,
        (4 * (L - 4) / L + 2) / 6,
        4 * L / np.sin(np.pi / L) ** 2 / 3,
    ]
    np.testing.assert_allclose(snapshot_features(stripe), expected, rtol=1e-12, atol=1e-12)
    checkerboard = (-1) ** x.sum(axis=0)
    np.testing.assert_allclose(snapshot_features(checkerboard), [0, 0, -1, 1, 0], rtol=0, atol=1e-12)


def brute_force_features(q):
    """The features by explicit loops over sites, bonds, face diagonals and the Fourier sum."""
    L = q.shape[0]
    n = L**3
    m = q.sum() / n
    link = diag = 0.0
    k2 = np.zeros(3)
    for x in range(L):
        for y in range(L):
            for z in range(L):
                s = q[x, y, z]
                link += s * (q[(x + 1) % L, y, z] + q[x, (y + 1) % L, z] + q[x, y, (z + 1) % L])
                for e in (1, -1):
                    diag += s * q[(x + 1) % L, (y + e) % L, z]
                    diag += s * q[(x + 1) % L, y, (z + e) % L]
                    diag += s * q[x, (y + 1) % L, (z + e) % L]
    for d in range(3):
        k2[d] = abs(sum(q[s] * np.exp(2j * np.pi * s[d] / L) for s in np.ndindex(L, L, L))) ** 2 / n
    return np.array([m * m, abs(m), link / (3 * n), diag / (6 * n), k2.mean()])


@pytest.mark.parametrize("L", [2, 3, 4, 5])
def test_random_snapshots_against_loops_and_batch_against_single(L):
    q = np.random.default_rng(L).choice(np.array([-1, 1], np.int8), size=(3, L, L, L))
    batch = snapshot_features(q)
    assert batch.shape == (3, len(FEATURE_NAMES)) and batch.dtype == np.float64
    for k in range(3):
        np.testing.assert_allclose(batch[k], brute_force_features(q[k]), rtol=1e-12, atol=1e-12)
        np.testing.assert_array_equal(batch[k], snapshot_features(q[k]))  # whatever the batch
    np.testing.assert_allclose(batch[:, 4], overlap_k2(q), rtol=1e-13)  # the chunk dataset qk2's function


def test_features_are_invariant_under_cubic_symmetries():
    q = np.random.default_rng(1).choice([-1, 1], size=(4, 4, 4))
    f = snapshot_features(q)
    for image in (np.transpose(q, (1, 2, 0)), np.transpose(q, (0, 2, 1)), q[::-1], q[:, ::-1], -q):
        np.testing.assert_allclose(snapshot_features(image), f, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match=r"\(b, L, L, L\)"):
        snapshot_features(np.ones((2, 4, 4, 5)))


# ---------------------------------------------------------------- the fit
@pytest.fixture(scope="module")
def synthetic_fit_data():
    T, q = synthetic_snapshots(np.random.default_rng(0), T_LINEAR, 200, ideal)
    return T, snapshot_features(q)


def test_fit_is_deterministic_and_its_json_round_trip_exact(synthetic_fit_data, tmp_path):
    T, f = synthetic_fit_data
    a, b = (fit_thermometer(f, T > 0.95) for _ in range(2))
    np.testing.assert_array_equal(a.weights, b.weights)
    assert a.bias == b.bias and a.settings == b.settings and a.settings["converged"]
    back = Thermometer.from_json(a.to_json())
    for field in ("weights", "feature_mean", "feature_sd"):
        np.testing.assert_array_equal(getattr(back, field), getattr(a, field))
    assert back.bias == a.bias and back.settings == a.settings and back.feature_names == FEATURE_NAMES
    assert back.to_json() == a.to_json()
    np.testing.assert_array_equal(back.predict_proba(f), a.predict_proba(f))
    np.testing.assert_array_equal(a.predict_proba(f[5:12]), a.predict_proba(f)[5:12])  # whatever the batch
    with pytest.raises(ValueError, match="not a thermometer"):
        Thermometer.from_json(json.dumps({"format": "other"}))


def test_intercept_identities_of_the_optimum(synthetic_fit_data):
    """At the optimum the bias's gradient vanishes: unweighted, the mean training p is the class-1 fraction;
    balanced, the class means of p add up to 1. Both exactly (to the tolerance), whatever the data."""
    T, f = synthetic_fit_data
    y = T > 0.85  # 11 of 16 temperatures above
    p = fit_thermometer(f, y).predict_proba(f)
    assert p.mean() == pytest.approx(y.mean(), abs=1e-12)
    balanced = fit_thermometer(f, y, class_weight="balanced")
    p = balanced.predict_proba(f)
    assert p[~y].mean() + p[y].mean() == pytest.approx(1.0, abs=1e-11)
    n, n1 = y.size, y.sum()
    assert balanced.settings["class_weights"] == {"0": n / (2 * (n - n1)), "1": n / (2 * n1)}
    with pytest.raises(ValueError, match="both classes"):
        fit_thermometer(f, T > 2.0)
    with pytest.raises(ValueError, match="l2 > 0"):
        fit_thermometer(f, y, l2=0.0)


def test_the_thermometer_recovers_the_threshold_temperature():
    """An ideal thermometer (features linear in T, classes balanced): mean p(T) rises monotonically and
    crosses 0.5 at the threshold. Measured over 100 seeds: -0.009 ± 0.005 (0.023) from 0.95."""
    p = p_curve(0, T_LINEAR, 0.95, ideal)
    assert np.all(np.diff(p) > -1e-3), p
    assert p[0] < 0.1 and p[-1] > 0.9
    assert crossing(T_LINEAR, p) == pytest.approx(0.95, abs=0.03)


def test_a_threshold_sweep_of_an_ideal_thermometer_follows_the_threshold():
    """Fitted with thresholds 0.85, 0.95, 1.05 on the same data, the crossing follows each threshold (largest
    deviation of the three over 100 seeds 0.012 median (0.023)), with slope 1.01 ± 0.03 (0.93-1.08)."""
    thresholds = (0.85, 0.95, 1.05)
    found = np.array([crossing(T_LINEAR, p_curve(0, T_LINEAR, thr, ideal)) for thr in thresholds])
    np.testing.assert_allclose(found, thresholds, atol=0.03)
    assert (found[2] - found[0]) / 0.2 == pytest.approx(1.0, abs=0.15)


def test_a_transition_pins_the_crossing_whatever_the_threshold():
    """The contrast: data whose snapshots change only at T = 1 (ordered below, random above) cannot be told
    apart within a phase, so the same fit crosses 0.5 at the transition for every threshold."""

    def step(T):
        return np.where(T < 1.0, 0.6, 0.0)

    found = [crossing(T_LINEAR, p_curve(0, T_LINEAR, thr, step)) for thr in (0.85, 0.95, 1.05)]
    assert max(found) - min(found) < 0.04 and all(0.975 < c < 1.025 for c in found), found


def test_balanced_weights_undo_the_class_prior_of_a_weak_thermometer():
    """On the study's grid (12 of 20 temperatures above 0.95) a weak thermometer (p(T) spans about 0.35-0.65)
    is pulled below the threshold by the class prior: -0.096 ± 0.006 (-0.080) over 100 seeds. Balanced weights
    remove the pull: +0.021 ± 0.006 (0.040)."""

    def weak(T):
        return np.clip(0.5 * (1.6 - T), 0.0, 1.0)

    plain = crossing(T_STUDY, p_curve(0, T_STUDY, 0.95, weak, n_train=400, n_test=2000))
    balanced = crossing(
        T_STUDY, p_curve(0, T_STUDY, 0.95, weak, class_weight="balanced", n_train=400, n_test=2000)
    )
    assert plain < 0.95 - 0.06
    assert balanced == pytest.approx(0.95, abs=0.045)


# ---------------------------------------------------------------- train and predict, files
@pytest.fixture(scope="module")
def thermometer_chunks(tmp_path_factory, synthetic_chunk):
    """Gaussian chunks (instances 0-5 and 6-11, 8 temperatures, 6 snapshots, L = 4) and bimodal chunks
    (instances 0-2 and 3-4, 4 temperatures) of ideal-thermometer snapshots."""
    rng = np.random.default_rng(5)
    folder = tmp_path_factory.mktemp("thermometer")
    T_gauss, T_bim = 0.75 + 0.05 * np.arange(8), np.array([1.0, 1.1, 1.2, 1.3])
    out = {"gaussian": [], "bimodal": []}
    for disorder, temps, ranges in (
        ("gaussian", T_gauss, [(0, 6), (6, 6)]),
        ("bimodal", T_bim, [(0, 3), (3, 2)]),
    ):
        for k, (first, n) in enumerate(ranges):
            _, q = synthetic_snapshots(rng, temps, n * 6, ideal)
            q = q.reshape(len(temps), n, 6, 4, 4, 4).swapaxes(0, 1)
            path = folder / disorder / f"chunk{k}.h5"
            out[disorder].append(synthetic_chunk(path, q, temps, first_instance=first, disorder=disorder))
    return out


def direct_features(paths, instances=None):
    """{(instance, T): features (n_con, k)} of every block, read in full with read_chunk."""
    out = {}
    for path in paths:
        data, attrs = read_chunk(path, ["overlaps", "temperatures"])
        for i, blocks in enumerate(data["overlaps"]):
            instance = int(attrs["first_instance"]) + i
            if instances is None or instance in instances:
                for t, temp in enumerate(data["temperatures"]):
                    out[instance, float(temp)] = snapshot_features(blocks[t])
    return out


def test_train_and_predict_write_the_cnn_contracts(thermometer_chunks, tmp_path):
    gaussian, bimodal = thermometer_chunks["gaussian"], thermometer_chunks["bimodal"]
    model_path = tmp_path / "models" / "thermometer" / "L4.thermometer.json"
    options = dict(seed=3, threshold=0.95, validation_fraction=0.25)
    paths = train_thermometer(model_path, gaussian[::-1], settings={"batch_size": 7}, **options)
    assert {k: p.name for k, p in paths.items()} == {
        "model": "L4.thermometer.json",
        "history": "L4.history.csv",
        "provenance": "L4.provenance.json",
        "flips": "L4.flips.npz",
    }
    data = training_data(gaussian, "clean", 3, threshold=0.95, validation_fraction=0.25)  # the CNN's split
    model = load_thermometer(paths["model"])
    assert model.L == 4 and model.settings["converged"] and model.settings["class_weight"] is None
    # the fit is that of every training example, in index order, read directly
    train_set = direct_features(gaussian, set(data.train.instances.tolist()))
    x = np.concatenate([train_set[key] for key in sorted(train_set)])
    y = np.repeat([T > 0.95 for _, T in sorted(train_set)], data.train.n_con)
    refit = fit_thermometer(x, y)
    np.testing.assert_array_equal(refit.weights, model.weights)
    # side files
    with open(paths["history"]) as fh:
        header, row = fh.readline().strip().split(","), fh.readline().strip().split(",")
        assert fh.read() == ""
    assert tuple(header) == HISTORY_COLUMNS and int(row[0]) == model.settings["n_iter"]
    val_set = direct_features(gaussian, set(data.validation.instances.tolist()))
    x_val = np.concatenate([val_set[key] for key in sorted(val_set)])
    y_val = np.repeat([T > 0.95 for _, T in sorted(val_set)], data.train.n_con)
    assert float(row[4]) == np.mean((model.predict_proba(x_val) > 0.5) == y_val)
    prov = json.loads(paths["provenance"].read_text())
    assert CNN_PROVENANCE_KEYS <= set(prov)
    assert prov["model"] == "thermometer" and prov["condition"] == "clean" and prov["seed"] == 3
    assert prov["n_train_examples"] == data.train.n_examples == x.shape[0] and "class_weight" not in prov
    assert prov["settings"]["thermometer"]["batch_size"] == 7 and prov["device"] == "CPU"
    with np.load(paths["flips"]) as z:
        assert sorted(z.files) == sorted(data.arrays())
        np.testing.assert_array_equal(z["validation_instances"], data.validation.instances)
    # predictions: the CSV contract, p the mean over each block's snapshots
    out = tmp_path / "predictions" / "thermometer"
    held_out = set(data.validation.instances.tolist())
    csvs = (out / "L4.csv", out / "gaussian" / "L4.csv")
    predict_thermometer(paths["model"], paths["flips"], bimodal, gaussian, *csvs, batch_size=5)
    for csv_path, chunks, instances in zip(csvs, (bimodal, gaussian), (None, held_out), strict=True):
        inst, T, p = read_predictions(csv_path)
        expected = direct_features(chunks, instances)
        assert list(zip(inst.tolist(), T.tolist(), strict=True)) == sorted(expected)
        want = [model.predict_proba(expected[key]).mean() for key in sorted(expected)]
        np.testing.assert_allclose(p, want, rtol=1e-13)
    assert sorted(set(read_predictions(out / "gaussian" / "L4.csv")[0])) == data.validation.instances.tolist()


def test_balanced_training_and_errors(thermometer_chunks, tmp_path):
    gaussian = thermometer_chunks["gaussian"]
    options = dict(seed=3, threshold=0.875, validation_fraction=0.25)  # 5 of 8 temperatures above
    balanced = {"class_weight": "balanced"}
    paths = train_thermometer(tmp_path / "L4.thermometer.json", gaussian, settings=balanced, **options)
    data = training_data(gaussian, "clean", 3, threshold=0.875, validation_fraction=0.25)
    n0, n1 = data.train.class_counts()
    assert (n0, n1) == (3 * data.train.n_examples // 8, 5 * data.train.n_examples // 8)
    prov = json.loads(paths["provenance"].read_text())
    assert prov["class_weight"] == {"0": (n0 + n1) / (2 * n0), "1": (n0 + n1) / (2 * n1)}
    assert load_thermometer(paths["model"]).settings["class_weight"] == "balanced"
    with pytest.raises(ValueError, match="unknown keys"):
        train_thermometer(tmp_path / "x.thermometer.json", gaussian, settings={"l3": 1}, **options)
    with pytest.raises(ValueError, match="must end in"):
        thermometer_paths(tmp_path / "L4.keras")
    with pytest.raises(ValueError, match="does not fit L = 4"):
        model = Thermometer(np.zeros(5), 0.0, np.zeros(5), np.ones(5), L=6)
        predict_thermometer_files(model, gaussian, tmp_path / "p.csv")


def test_thermometer_imports_no_tensorflow():
    code = "import sys, spinglass_ml.ml.thermometer; print('tensorflow' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "False"
