"""Shared test fixtures."""

from __future__ import annotations

import numpy as np
import pytest

from spinglass_ml.mc.chunks import write_synthetic_chunk


@pytest.fixture(scope="session")
def ring_couplings() -> np.ndarray:
    """±1 couplings whose effective pair couplings J_+ + J_- vanish except on a ferromagnetic 8-site ring.

    On L = 2 each pair of neighbours is joined by two bonds; they cancel (+1, -1) everywhere except on the
    Hamiltonian cycle 000-001-011-010-110-111-101-100 of the cube, where both are +1. Every site then has two
    ring neighbours, a local field 0 or ±4 and, at a domain wall, zero-energy flips.
    """
    J = np.empty((3, 2, 2, 2))
    for d in range(3):
        J[d] = np.where(np.indices((2, 2, 2))[d] == 0, 1.0, -1.0)
    # ring edges: (axis, coordinates of the two other axes in order)
    for d, a, b in [(2, 0, 0), (1, 0, 1), (2, 0, 1), (0, 1, 0), (2, 1, 1), (1, 1, 1), (2, 1, 0), (0, 0, 0)]:
        index: list[int | slice] = [a, b]
        index.insert(d, slice(None))
        J[(d, *index)] = 1.0
    return J


# ---------------------------------------------------------------- Monte Carlo chunk files for the ML tests
def simulate_chunks(folder, disorder, ranges, *, L=4, n_T=4, sweeps=64, n_con=4, seed=1):
    """Simulate and write one tiny chunk per (first_instance, n_instances) in ``ranges``; paper temperature
    ranges (Gaussian 0.80-1.21, bimodal 1.05-1.25). Returns the paths."""
    from spinglass_ml.mc.chunks import write_chunk
    from spinglass_ml.mc.schedule import temperature_grid
    from spinglass_ml.mc.simulation import simulate_chunk

    tmin, tmax = (0.80, 1.21) if disorder == "gaussian" else (1.05, 1.25)
    paths = []
    for k, (first, n) in enumerate(ranges):
        data = simulate_chunk(disorder=disorder, L=L, temperatures=temperature_grid(tmin, tmax, n_T),
                              sweeps=sweeps, n_con=n_con, seed=seed, first_instance=first, n_instances=n,
                              threads=1)  # fmt: skip
        attrs = dict(L=L, disorder=disorder, sweeps=sweeps, seed=seed, first_instance=first, n_instances=n,
                     n_con=n_con, config_hash="test")  # fmt: skip
        paths.append(folder / f"chunk{k}.h5")
        write_chunk(paths[-1], data, attrs)
    return paths


@pytest.fixture(scope="session")
def synthetic_chunk():
    """The writer of synthetic chunks, :func:`spinglass_ml.mc.chunks.write_synthetic_chunk`."""
    return write_synthetic_chunk


@pytest.fixture(scope="session")
def simulated_chunks():
    """The writer of tiny simulated chunks, :func:`simulate_chunks`."""
    return simulate_chunks


@pytest.fixture(scope="session")
def gaussian_chunks(tmp_path_factory):
    """Two Gaussian L = 4 chunks: instances 0-2 and 3-5, 4 temperatures around 0.95, 4 snapshots each."""
    return simulate_chunks(tmp_path_factory.mktemp("gaussian"), "gaussian", [(0, 3), (3, 3)])


@pytest.fixture(scope="session")
def bimodal_chunks(tmp_path_factory):
    """Two bimodal L = 4 chunks: instances 0-1 and 2-4, 4 temperatures, 4 snapshots each."""
    return simulate_chunks(tmp_path_factory.mktemp("bimodal"), "bimodal", [(0, 2), (2, 3)])


# ---------------------------------------------------------------- classifiers with known answers
def linear_softmax_model(L, weights, bias):
    """Flatten + Dense softmax with the given weights (L**3, 2) and bias (2,): logits z = x . W + b.

    Its last layer is named "softmax", as in :func:`spinglass_ml.ml.model.build_model`."""
    import keras

    inputs = keras.Input(shape=(L, L, L, 1))
    out = keras.layers.Dense(2, activation="softmax", name="softmax")(keras.layers.Flatten()(inputs))
    model = keras.Model(inputs, out)
    model.get_layer("softmax").set_weights([np.asarray(weights, np.float32), np.asarray(bias, np.float32)])
    return model


@pytest.fixture(scope="session")
def linear_model():
    """The builder of linear softmax classifiers, :func:`linear_softmax_model`."""
    return linear_softmax_model
