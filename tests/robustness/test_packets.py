"""The packet-moment integrator against closed forms and 1D quadrature; the network packets' plumbing."""

import numpy as np
import pytest

from spinglass_ml.robustness.packets import BOUND, packet_moments


def product_packet(phi, dphi):
    """l(X) = prod_j phi(x_j) with its gradient, as a one-packet PacketFunction."""

    def packet(x):
        f, df = phi(x), dphi(x)
        total = f.prod(axis=1)
        # d/dx_j prod_k phi(x_k) = phi'(x_j) prod_{k != j} phi(x_k); phi > 0 here
        grad = total[:, None] * df / f
        return total[:, None], grad[:, None, :]

    return packet


def gaussian(sigma, mu=0.0):
    return (
        lambda x: np.exp(-((x - mu) ** 2) / (4 * sigma**2)),
        lambda x: -(x - mu) / (2 * sigma**2) * np.exp(-((x - mu) ** 2) / (4 * sigma**2)),
    )


def two_bumps(sigma, a):
    g1, d1 = gaussian(sigma, a)
    g2, d2 = gaussian(sigma, -a)
    return (lambda x: g1(x) + g2(x)), (lambda x: d1(x) + d2(x))


def quadrature_moments(phi, dphi, lo, hi):
    """1D moments of psi = phi / norm on [lo, hi] by the trapezoid rule (grid fine enough for 1e-6)."""
    x = np.linspace(lo, hi, 200_001)
    w2 = phi(x) ** 2
    norm = np.trapezoid(w2, x)
    mean = np.trapezoid(x * w2, x) / norm
    dx = np.sqrt(np.trapezoid((x - mean) ** 2 * w2, x) / norm)
    p_mean = np.trapezoid(phi(x) * dphi(x), x) / norm
    dp = np.sqrt(np.trapezoid(dphi(x) ** 2, x) / norm - p_mean**2)
    boundary = BOUND + np.trapezoid((x - mean) * phi(x) * dphi(x), x) / norm
    return {"beta": norm, "x_mean": mean, "dx": dx, "p_mean": p_mean, "dp": dp, "product": dx * dp,
            "boundary": boundary}  # fmt: skip


SEED = np.random.SeedSequence(2022)
# 5-sigma tolerances on jackknife errors: a false failure for a new seed has probability ~ 1e-6 per number


def test_gaussian_packet_saturates_the_bound():
    sigma, d = 0.3, 3
    half = 5 * sigma  # psi^2 at the faces ~ exp(-12.5): boundary terms negligible
    m = packet_moments(product_packet(*gaussian(sigma)), -half * np.ones(d), half * np.ones(d), 400_000, SEED,
                       batch_size=20_000)  # fmt: skip
    assert m.product.shape == (1, d)
    # closed form: Dx = sigma, Dp = 1/(2 sigma), product 1/2, beta = (sqrt(2 pi) sigma)^d, B = 0
    assert np.all(m.product_err < 0.03), m.product_err
    assert np.all(np.abs(m.product - BOUND) < 5 * m.product_err), (m.product, m.product_err)
    assert np.all(np.abs(m.dx - sigma) < 5 * m.dx_err)
    assert np.all(np.abs(m.dp - 1 / (2 * sigma)) < 5 * m.dp_err)
    assert np.all(np.abs(m.x_mean) < 5 * m.x_mean_err)
    assert np.all(np.abs(m.boundary) < 5 * m.boundary_err + 1e-4)
    beta = (np.sqrt(2 * np.pi) * sigma) ** d
    assert abs(m.beta[0] - beta) < 5 * m.beta_err[0] and m.beta_err[0] < 0.05 * beta


def test_two_bump_packet_exceeds_the_bound_as_quadrature_says():
    sigma, a, d = 0.3, 0.6, 2
    phi, dphi = two_bumps(sigma, a)
    half = a + 5 * sigma
    m = packet_moments(product_packet(phi, dphi), -half * np.ones(d), half * np.ones(d), 400_000, SEED,
                       batch_size=20_000)  # fmt: skip
    exact = quadrature_moments(phi, dphi, -half, half)
    assert exact["product"] > 0.6  # the 1D packet is far from minimum uncertainty
    for name in ("dx", "dp", "product"):
        got, err = getattr(m, name)[0], getattr(m, name + "_err")[0]
        assert np.all(np.abs(got - exact[name]) < 5 * err), (name, got, err, exact[name])
    assert np.all(m.product[0] > BOUND + 5 * m.product_err[0])
    assert abs(m.beta[0] - exact["beta"] ** d) < 5 * m.beta_err[0]


def test_truncated_packet_has_face_terms_as_quadrature_says():
    """A Gaussian cut by the lower face: <p> = (psi^2(hi) - psi^2(lo)) / 2 and B are face terms, far from 0
    here; every moment agrees with 1D quadrature and the box bound |1/2 - B| holds."""
    sigma, d, lo, hi = 0.3, 2, -0.2, 1.2
    phi, dphi = gaussian(sigma)
    m = packet_moments(product_packet(phi, dphi), lo * np.ones(d), hi * np.ones(d), 200_000, SEED,
                       batch_size=20_000)  # fmt: skip
    exact = quadrature_moments(phi, dphi, lo, hi)
    assert exact["p_mean"] < -0.5 and exact["boundary"] > 0.1  # the face terms do not vanish
    for name in ("x_mean", "dx", "p_mean", "dp", "product", "boundary"):
        got, err = getattr(m, name)[0], getattr(m, name + "_err")[0]
        assert np.all(np.abs(got - exact[name]) < 5 * err), (name, got, err, exact[name])
    assert np.all(m.product[0] >= m.lower_bound[0] - 1e-12)


def test_normalisation_with_the_estimated_beta():
    """int psi^2 = beta_B / beta_A with psi = l / sqrt(beta_A) from one sample set and the integral from an
    independent one: 1 within the combined error."""
    phi, dphi = two_bumps(0.4, 0.3)
    packet = product_packet(phi, dphi)
    low, high = -np.ones(4), np.ones(4)
    a = packet_moments(packet, low, high, 100_000, np.random.SeedSequence(1), batch_size=10_000)
    b = packet_moments(packet, low, high, 100_000, np.random.SeedSequence(2), batch_size=10_000)
    norm = b.beta[0] / a.beta[0]
    err = norm * np.hypot(a.beta_err[0] / a.beta[0], b.beta_err[0] / b.beta[0])
    assert err < 0.02 and abs(norm - 1) < 5 * err, (norm, err)
    assert a.beta[0] != b.beta[0]  # independent sample sets


def test_constant_packet_on_a_box_violates_the_claimed_bound():
    """psi = const on [-1, 1]^3: Dx = 1/sqrt(3), Dp = 0, B = 1/2 exactly. Boundary terms do not vanish, and
    the claimed bound fails (the product is 0); the box bound |1/2 - B| = 0 holds."""
    d = 3
    m = packet_moments(lambda x: (np.ones((len(x), 1)), np.zeros((len(x), 1, d))), -np.ones(d), np.ones(d),
                       40_000, SEED)  # fmt: skip
    np.testing.assert_allclose(m.dp, 0.0)
    np.testing.assert_allclose(m.boundary, 0.5, atol=1e-12)
    assert np.all(np.abs(m.dx - 1 / np.sqrt(3)) < 5 * m.dx_err)
    assert np.all(m.product < BOUND)
    np.testing.assert_allclose(m.beta, 2.0**d)


def test_box_bound_holds_for_a_logistic_loss_and_fixed_coordinates_are_nan():
    """The Cauchy-Schwarz bound Dx Dp >= |1/2 - B| holds for the sample moments exactly (not only in
    expectation), here for the cross-entropy of a random logistic classifier, a non-product packet."""
    rng = np.random.default_rng(5)
    w, c = rng.normal(size=6), 0.3

    def packet(x):
        z = x @ w + c
        return np.logaddexp(0, z)[:, None], (1 / (1 + np.exp(-z)))[:, None, None] * w[None, None, :]

    low, high = -np.ones(6), np.ones(6)
    low[2] = high[2] = 1.0  # held fixed
    m = packet_moments(packet, low, high, 20_000, SEED)
    free = np.arange(6) != 2
    assert np.all(np.isnan(m.product[0, ~free])) and np.all(np.isfinite(m.product[0, free]))
    assert np.all(m.product[0, free] >= m.lower_bound[0, free] - 1e-12)
    assert m.volume == 2.0**5


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_samples": 1001}, "multiple of n_blocks"),
        ({"n_blocks": 1}, "n_blocks >= 2"),
        ({"low": 2 * np.ones(3)}, "high >= low"),
        ({"batch_size": 0}, "batch_size"),
    ],
)
def test_bad_arguments_are_rejected(kwargs, match):
    args = {"low": -np.ones(3), "high": np.ones(3), "n_samples": 1000, "n_blocks": 10}
    args.update(kwargs)
    packet = product_packet(*gaussian(1.0))
    with pytest.raises(ValueError, match=match):
        packet_moments(packet, args.pop("low"), args.pop("high"), args.pop("n_samples"), SEED, **args)
