"""The Monte Carlo chains are versioned: a fixed small run of every kernel path must give the bits recorded
for the current CHAIN_VERSION. A change of the numerics without a new version (which reruns rule simulate)
fails here; with a new version, record its digests below.

The digests cover the outputs of the first chunk format (CHAIN_DATASETS): the couplings, the snapshots, the
final spins and every average pin the chain bit for bit. Datasets the contract gained since (``logbins/q2``)
are further measurements of the same chain, so they leave the digests of a version unchanged; they are
checked against the NumPy reference and the window averages in test_kernel.py."""

import hashlib

import numpy as np
import pytest

from spinglass_ml.mc.schedule import temperature_grid
from spinglass_ml.mc.simulation import CHAIN_VERSION, simulate_chunk

GOLDEN = {  # CHAIN_VERSION -> case -> SHA-256 of the CHAIN_DATASETS arrays, in that order
    1: {
        "simd-gaussian-L3": "34d31fa7cae5235b2604aa66f55b863d7e6c79bfc848f36f94846e83e4726734",
        "plain-gaussian-L2": "fc1f59bfe351beec1052e1a06f55d4d9bab33455bab65918ccc422638a78d36e",
        "multispin-bimodal-L4": "a017ff2b664a34a3abe311a49722c77e45bf634f2dc8612c802d94195b9ee7cf",
        "simd-bimodal-L3": "ccce213e0ac8376fad5e35c6206cbabd61105b2632371a4dcc226d55117ea861",
    },
}
CHAIN_DATASETS = ("couplings", "energy", "final_spins", "link_overlap", "logbins/energy",
                  "logbins/link_overlap", "overlaps", "q2", "q4", "qk2", "swap_acceptance",
                  "temperatures")  # fmt: skip
CASES = {  # case -> (disorder, L, kernel)
    "simd-gaussian-L3": ("gaussian", 3, "auto"),
    "plain-gaussian-L2": ("gaussian", 2, "plain"),
    "multispin-bimodal-L4": ("bimodal", 4, "auto"),
    "simd-bimodal-L3": ("bimodal", 3, "simd"),
}


def chain_digest(disorder: str, L: int, kernel: str) -> str:
    grid = temperature_grid(0.5, 1.5, 4)
    data = simulate_chunk(disorder=disorder, L=L, temperatures=grid, sweeps=64, n_con=2, seed=2020,
                          first_instance=3, n_instances=3, threads=1, kernel=kernel)  # fmt: skip
    h = hashlib.sha256()
    for key in CHAIN_DATASETS:
        h.update(key.encode() + np.ascontiguousarray(data[key]).tobytes())
    return h.hexdigest()


@pytest.mark.parametrize("case", sorted(CASES))
def test_chains_match_the_digests_of_their_version(case):
    assert CHAIN_VERSION in GOLDEN, f"CHAIN_VERSION {CHAIN_VERSION} has no recorded digests"
    assert chain_digest(*CASES[case]) == GOLDEN[CHAIN_VERSION][case], (
        f"{case}: the chain differs from version {CHAIN_VERSION}'s; a change of the numerics needs a new "
        "CHAIN_VERSION (mc/simulation.py), and its digests recorded here"
    )
