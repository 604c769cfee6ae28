"""The multispin-coded kernel for ±1 couplings: its random streams, its acceptance thresholds, agreement with
the plain kernel, independence of the 64 samples of a word, and determinism across threads and groupings
(across instruction-set paths: tests/mc/test_kernel.py, which runs a bimodal chunk on every path)."""

from __future__ import annotations

import numpy as np
import pytest

from spinglass_ml import _ptmc
from spinglass_ml.mc.lattice import energy
from spinglass_ml.mc.schedule import temperature_grid
from spinglass_ml.mc.simulation import (
    LANES,
    STREAM_MC,
    acceptance_thresholds,
    instance_couplings,
    instance_seed,
    multispin_applies,
    pack_lanes,
    run_pt,
    simulate_chunk,
)
from spinglass_ml.mc.state import unpack_lanes

BIMODAL_T = temperature_grid(1.05, 1.25, 6)


def _gf2_square(p: int, nbytes: int, spread: list[bytes]) -> int:
    """p(x)^2 over GF(2): the bits of p spread to the even positions."""
    return int.from_bytes(b"".join(spread[c] for c in p.to_bytes(nbytes, "little")), "little")


def test_shift_register_polynomial_is_primitive():
    """x_n = x_{n-471} ^ x_{n-1586} ^ x_{n-6988} ^ x_{n-9689} has the characteristic polynomial
    f = x^9689 + x^9218 + x^8103 + x^2701 + 1. Its degree 9689 is prime and so is 2^9689 - 1 (a Mersenne
    prime), so f is primitive (every lane has period 2^9689 - 1) iff it is irreducible, iff
    x^(2^9689) = x mod f (all factors then have degree 1 or 9689) and f has no root in GF(2). The same
    check rejects a neighbouring lag (470), so it can fail."""
    n = _ptmc.MULTISPIN_RING
    spread = [sum(1 << (2 * k) for k in range(8) if b >> k & 1).to_bytes(2, "little") for b in range(256)]

    def x_to_2_to_n_is_x(taps: list[int]) -> bool:
        mask, p, nbytes = (1 << n) - 1, 2, n // 8 + 2
        for _ in range(n):
            p = _gf2_square(p, nbytes, spread)
            while p >> n:  # reduce with x^n = x^a + x^b + x^c + 1
                hi = p >> n
                p = (p & mask) ^ hi
                for t in taps:
                    p ^= hi << t
        return p == 2

    taps = [n - 471, n - 1586, n - 6988]
    assert taps == [9218, 8103, 2701]
    assert x_to_2_to_n_is_x(taps)  # f(0) = f(1) = 1 (five terms): no root
    assert not x_to_2_to_n_is_x([n - 470, n - 1586, n - 6988])


def test_lane_packing_round_trip():
    rng = np.random.default_rng(0)
    bits = rng.integers(0, 2, size=(128, 5, 3), dtype=np.uint8)
    words = pack_lanes(bits)
    assert words.shape == (2, 5, 3) and words.dtype == np.uint64
    assert int(words[1, 2, 0]) == sum(int(bits[64 + b, 2, 0]) << b for b in range(64))
    np.testing.assert_array_equal(unpack_lanes(words), bits)


def test_acceptance_thresholds():
    """p32 / 2^32 is exp(-beta dE) rounded down to 32 bits, and the digit words are its leading bits."""
    betas = 1.0 / np.array([0.3, 1.0, 5.0])
    p32, digits = acceptance_thresholds(betas)
    exact = np.exp(-np.tile(betas, 2)[:, None] * np.array([4.0, 8.0, 12.0]))
    err = exact - p32[:6] / 2.0**32
    assert np.all((err >= 0) & (err < 2.0**-32))
    D = _ptmc.MULTISPIN_DIGITS
    assert p32.shape == (8, 3) and np.all(p32[6:] == 0)  # 2 n_T = 6 slots padded to 8
    assert digits.shape == (2, 3, D, 4) and set(np.unique(digits)) <= {0, 2**64 - 1}
    by_slot = digits.transpose(0, 3, 1, 2).reshape(8, 3, D)  # [r // 4, c, d, r % 4] -> [r, c, d]
    top = sum((by_slot[:, :, d] != 0).astype(np.int64) << (D - 1 - d) for d in range(D))
    np.testing.assert_array_equal(top, p32 >> (32 - D))


def test_auto_chooses_multispin_only_for_bimodal_couplings_beyond_L2(ring_couplings):
    bimodal = np.stack([instance_couplings(1, "bimodal", 3, i) for i in range(2)])
    assert multispin_applies(bimodal)
    assert not multispin_applies(np.stack([instance_couplings(1, "gaussian", 3, i) for i in range(2)]))
    assert not multispin_applies(ring_couplings[None])  # L = 2: the simd path
    seeds = [instance_seed(1, "bimodal", 3, i, STREAM_MC) for i in range(2)]
    auto = run_pt(bimodal, BIMODAL_T, 64, 2, seeds, threads=1)
    simd = run_pt(bimodal, BIMODAL_T, 64, 2, seeds, threads=1, kernel="simd")
    assert not np.array_equal(auto["energy"], simd["energy"])  # different streams: a different path ran
    L2 = np.repeat(ring_couplings[None].astype(np.float32), 2, axis=0)
    a2 = run_pt(L2, BIMODAL_T, 64, 2, seeds, threads=1)
    p2 = run_pt(L2, BIMODAL_T, 64, 2, seeds, threads=1, kernel="simd")
    for key in a2:
        np.testing.assert_array_equal(a2[key], p2[key], err_msg=key)
    with pytest.raises(ValueError, match="^kernel"):
        run_pt(bimodal, BIMODAL_T, 64, 2, seeds, kernel="fast")


@pytest.mark.parametrize("L", [3, 4])
def test_multispin_agrees_with_plain_kernel(L):
    """96 ±J samples (two words, the second partly padding), the multispin path and the scalar reference
    (``kernel="plain"``) from the same couplings: the per-sample differences of every window average have
    mean zero within 4.5 standard errors at each of the 6 temperatures and 6 observables (false failure
    about 2.5e-4 for new seeds)."""
    n = 96
    J = np.stack([instance_couplings(9, "bimodal", L, i) for i in range(n)])
    seeds = [instance_seed(9, "bimodal", L, i, STREAM_MC) for i in range(n)]
    fast = run_pt(J, BIMODAL_T, 2048, 1, seeds, threads=2)
    plain = run_pt(J, BIMODAL_T, 2048, 1, seeds, threads=2, kernel="plain")
    for key in ("energy", "link_overlap", "q2", "q4", "qk2", "swap_acceptance"):
        diff = fast[key] - plain[key]
        sem = diff.std(axis=0, ddof=1) / np.sqrt(n)
        assert np.all(np.abs(diff.mean(axis=0)) <= 4.5 * sem), (key, diff.mean(axis=0) / sem)


def test_samples_of_one_word_are_independent():
    """One ±J sample in all 512 lanes of 8 words, each lane with its own seed, after 32 sweeps (far from
    equilibrium, so the window energies still differ strongly between runs). Lanes that shared random
    numbers would have identical or strongly correlated energies. The mean correlation of the window
    energy over the 8 x 64 x 63 / 2 pairs of lanes of one word must vanish within 4 standard errors,
    1 / sqrt(pairs) for independent lanes, at each of the 6 temperatures (false failure about 4e-4)."""
    L, words = 4, 8
    n = LANES * words
    J = np.repeat(instance_couplings(2, "bimodal", L, 0)[None], n, axis=0)
    seeds = [instance_seed(2, "bimodal", L, i, STREAM_MC) for i in range(n)]
    e = run_pt(J, BIMODAL_T, 32, 1, seeds, threads=2)["energy"]  # (n, n_T)
    assert np.all(e.std(axis=0) > 0.01)
    z = ((e - e.mean(axis=0)) / e.std(axis=0)).reshape(words, LANES, -1)
    pairs = words * LANES * (LANES - 1) / 2
    mean_corr = ((z.sum(axis=1) ** 2 - (z**2).sum(axis=1)) / 2).sum(axis=0) / pairs
    assert np.all(np.abs(mean_corr) < 4 / np.sqrt(pairs)), mean_corr * np.sqrt(pairs)


def test_final_spins_reproduce_tracked_energies():
    n, L = 3, 5
    J = np.stack([instance_couplings(4, "bimodal", L, i) for i in range(n)])
    seeds = [instance_seed(4, "bimodal", L, i, STREAM_MC) for i in range(n)]
    res = run_pt(J, BIMODAL_T, 128, 2, seeds, threads=1)
    recomputed = np.stack([energy(res["final_spins"][i], J[i]) for i in range(n)])
    np.testing.assert_array_equal(res["final_energy"], recomputed)  # integer energies, exact
    q_last = res["final_spins"][:, :, 0] * res["final_spins"][:, :, 1]
    np.testing.assert_array_equal(res["overlaps"][:, :, -1], q_last)


def _chunk(**kw):
    args = dict(disorder="bimodal", L=3, temperatures=BIMODAL_T, sweeps=64, n_con=4, seed=5, first_instance=0,
                n_instances=70, threads=1)  # fmt: skip
    args.update(kw)
    return simulate_chunk(**args)


def test_thread_count_and_grouping_do_not_change_results():
    """70 instances fill one word and part of a second; 2 threads take one word each. The same instances
    simulated alone or in other groupings (instance 66 lands in lane 2, 0 or 56) give identical data."""
    whole = _chunk()
    two = _chunk(threads=2)
    for key in whole:
        np.testing.assert_array_equal(whole[key], two[key], err_msg=key)
    for first, count in [(64, 6), (66, 1), (10, 57)]:
        part = _chunk(first_instance=first, n_instances=count)
        for key in whole:
            if key != "temperatures":
                np.testing.assert_array_equal(part[key], whole[key][first : first + count], err_msg=key)
