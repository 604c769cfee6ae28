"""Shared test fixtures."""

from __future__ import annotations

import numpy as np
import pytest


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
