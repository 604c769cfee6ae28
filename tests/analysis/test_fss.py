"""Finite-size scaling on synthetic p(T, L) = F(L^{1/ν}(T − T_c)) + noise with known T_c and ν.

F is a cubic, F(x) = 0.5 + 0.6 x − 0.4 x³, so the per-L smooth fits (cubic in T) and the collapse (cubic in
x) are exact models and every estimator is unbiased up to its non-linearity: |dp/dT| peaks at x = 0 with
height 0.6 L^{1/ν}; every pair of curves crosses at T_c (their other crossings, at |x| ≥ 0.7, lie outside the
simulated windows |x| ≤ 0.6); the linear coefficient vanishes at T_c. Grids differ per L in range and number.
"""

import json

import numpy as np
import pytest

from spinglass_ml.analysis import bootstrap, ensemble, fss, records


def F(x):
    return 0.5 + 0.6 * x - 0.4 * x**3


def synthetic_curves(Tc, nu, seed, *, sizes=(4, 6, 8), n_i=100, sigma=0.1, samples=200, shift=0.0):
    """Per-instance p_i(T) = F(x) + N(0, sigma²) (+ shift·L: curves that never cross), bootstrapped."""
    rng = np.random.default_rng(seed)
    curves = {}
    for k, L in enumerate(sizes):
        y = L ** (1 / nu)
        T = np.linspace(Tc - 0.6 / y * (1 - 0.05 * k), Tc + 0.6 / y * (1 - 0.03 * k), 9 + k)
        table = F(y * (T - Tc))[None, :] + shift * L + sigma * rng.standard_normal((n_i, T.size))
        idx = bootstrap.bootstrap_indices(n_i, samples, seed, L, "bimodal")
        curves[L] = bootstrap.Curve(T, bootstrap.replicas_of_means(table, idx), n_i)
    return curves


def estimates(result):
    """(name, value, error) of every estimator of an analysis object."""
    out = [(f"crossing {c['L1']}-{c['L2']}", c["T"], c["T_err"]) for c in result["crossings"]]
    lin, der, col = result["linear_coefficient"], result["derivative"], result["collapse"]
    return out + [
        ("linear coefficient Tc", lin["Tc"], lin["Tc_err"]),
        ("nu_ml", der["nu"], der["nu_err"]),
        ("collapse Tc", col["Tc"], col["Tc_err"]),
        ("collapse nu", col["nu"], col["nu_err"]),
    ]


@pytest.mark.parametrize("Tc, nu, seed", [(1.1, 1.2, 1), (0.95, 2.0, 2), (1.2, 0.8, 3)])
def test_every_method_recovers_Tc_and_nu(Tc, nu, seed):
    """Each estimate lies within 3.5 of its own bootstrap errors of the truth (false-failure rate for a new
    seed about 5e-4 per estimate, a few 1e-3 per case)."""
    result = fss.analyze(synthetic_curves(Tc, nu, seed), quantity="p", method="linear_coefficient")
    json.dumps(result)  # the whole object is JSON
    assert result["reason"] is None and result["Tc"] == result["linear_coefficient"]["Tc"]
    for name, value, err in estimates(result):
        truth = nu if "nu" in name else Tc
        assert value is not None and 0 < err < 0.2 * truth, (name, value, err)
        assert abs(value - truth) < 3.5 * err, (name, value, err, truth)
    assert result["derivative"]["n_sizes"] == 3
    assert result["derivative"]["slope"] == pytest.approx(1 / result["derivative"]["nu"])
    for L, d in result["derivative"]["per_L"].items():  # |dp/dT| peaks at T_c with height 0.6 L^{1/nu}
        assert abs(d["T_star"] - Tc) < 3.5 * d["T_star_err"]
        assert abs(d["max"] - 0.6 * int(L) ** (1 / nu)) < 3.5 * d["max_err"]
    assert 0.3 < result["collapse"]["chi2_dof"] < 2.5  # noise only: chi2/dof ~ 1 (dof = 30)
    c1 = np.array(result["linear_coefficient"]["c1"])
    assert np.max(np.abs(c1)) == pytest.approx(1.0) and c1[0] < 0 < c1[-1]
    assert result["linear_coefficient"]["nu_source"] == "nu_ml"
    assert result["linear_coefficient"]["collapse_nu"] is None


def steepening_curves(Tc, nu, seed, *, sizes=(4, 6, 8), n_i=100, sigma=0.05, samples=200):
    """Per-instance p_i(T) = sigmoid(L^{1/ν}(T − T_c) − 1.5) + N(0, sigma²) over x = L^{1/ν}(T − T_c) in
    [−1.2, 0.8]: every curve still steepens at the top of its range (the default study's case), so |dp/dT| has
    no interior maximum, while all sizes cross at T_c."""
    rng = np.random.default_rng(seed)
    curves = {}
    for k, L in enumerate(sizes):
        y = L ** (1 / nu)
        T = np.linspace(Tc - 1.2 / y, Tc + 0.8 / y, 9 + k)
        p = 1.0 / (1.0 + np.exp(1.5 - y * (T - Tc)))
        table = p[None, :] + sigma * rng.standard_normal((n_i, T.size))
        idx = bootstrap.bootstrap_indices(n_i, samples, seed, L, "bimodal")
        curves[L] = bootstrap.Curve(T, bootstrap.replicas_of_means(table, idx), n_i)
    return curves


@pytest.mark.parametrize("Tc, nu, seed", [(1.1, 1.2, 1), (0.95, 2.0, 2), (1.2, 0.8, 3)])
def test_without_nu_ml_the_coefficient_with_the_collapse_nu_changes_sign_at_Tc(Tc, nu, seed):
    """No ν_ml: the linear coefficient keeps its nulls, and ``collapse_nu`` holds it with the collapse's ν,
    whose sign change lies within 3.5 of its bootstrap errors of the true T_c."""
    result = fss.analyze(steepening_curves(Tc, nu, seed), quantity="p", method="linear_coefficient")
    json.dumps(result, allow_nan=False)
    lin = result["linear_coefficient"]
    assert result["derivative"]["nu"] is None and result["Tc"] is None
    assert (lin["T"], lin["c1"], lin["nu_used"], lin["Tc"]) == ([], [], None, None)
    assert lin["nu_source"] == "collapse"
    curve = lin["collapse_nu"]
    assert curve["nu_used"] == result["collapse"]["nu"] and curve["reason"] is None
    assert len(curve["T"]) == len(curve["c1"]) == len(curve["c1_err"]) == 201
    assert 0 < curve["Tc_err"] < 0.1 * Tc and abs(curve["Tc"] - Tc) < 3.5 * curve["Tc_err"]
    c1 = np.array(curve["c1"])
    assert np.max(np.abs(c1)) == pytest.approx(1.0) and c1[0] < 0 < c1[-1]
    kept = fss.analyze(steepening_curves(Tc, nu, seed), quantity="p", method="collapse", keep_replicas=True)
    assert kept["linear_coefficient"]["collapse_nu"] == curve  # no replicas kept, the same for any headline
    names = ensemble.estimate_names(result["sizes"])  # what seed ensembles and the summary quote
    assert "linear_coefficient.Tc" in names and not [n for n in names if "collapse_nu" in n]  # figure-only
    assert result["linear_coefficient"]["Tc"] is None and result["reason"].startswith("T_c: needs ν")


@pytest.mark.slow
def test_one_sigma_intervals_cover_the_truth_at_the_nominal_rate():
    """Over 40 noise draws the ±1σ bootstrap intervals of each method contain the truth 68% of the time. With
    40 draws the count's standard deviation is 3 (7%); accepting 45-90% is a ±3σ band (false failures about
    3e-3 per method)."""
    Tc, nu, draws = 1.1, 1.2, 40
    hits = {}
    for seed in range(100, 100 + draws):
        result = fss.analyze(synthetic_curves(Tc, nu, seed, samples=100), quantity="p", method="collapse")
        for name, value, err in estimates(result):
            truth = nu if "nu" in name else Tc
            hits.setdefault(name, []).append(value is not None and abs(value - truth) <= err)
    rates = {name: float(np.mean(h)) for name, h in hits.items()}
    assert all(0.45 <= r <= 0.90 for r in rates.values()), rates


def test_curves_that_never_cross_give_null_with_reason():
    curves = synthetic_curves(1.1, 1.2, 4, shift=0.1)  # p shifted up by 0.1 L: larger L always higher
    result = fss.analyze(curves, quantity="p", method="linear_coefficient")
    json.dumps(result)
    for c in result["crossings"]:
        assert c["T"] is None and c["T_err"] is None and "do not cross" in c["reason"]
    lin = result["linear_coefficient"]
    assert lin["Tc"] is None and "does not change sign" in lin["reason"]
    assert result["Tc"] is None and result["Tc_err"] is None and "does not change sign" in result["reason"]
    crossing = fss.analyze(curves, quantity="p", method="crossing")
    assert crossing["Tc"] is None and "do not cross" in crossing["reason"]


def test_flat_curves_have_no_derivative_maximum_and_no_collapse():
    """p independent of L and linear in T: no interior maximum of |dp/dT|, so no ν and no linear-coefficient
    T_c; the collapse cannot fix T_c either (null with a reason each)."""
    rng = np.random.default_rng(5)
    T = np.linspace(1.0, 1.2, 8)
    curves = {}
    for L in (4, 6, 8):
        table = 0.2 + 2.0 * (T - 1.0) + 0.05 * rng.standard_normal((60, T.size))
        curves[L] = bootstrap.Curve(
            T, bootstrap.replicas_of_means(table, bootstrap.bootstrap_indices(60, 50, 5, L, "bimodal")), 60
        )
    result = fss.analyze(curves, quantity="p", method="linear_coefficient")
    der = result["derivative"]
    assert der["nu"] is None and "at least two sizes" in der["reason"]
    assert all("edge of the range" in d["reason"] for d in der["per_L"].values())
    lin = result["linear_coefficient"]
    assert lin["Tc"] is None and "needs ν" in lin["reason"]
    assert result["collapse"]["Tc"] is None and result["collapse"]["reason"]
    assert lin["nu_source"] is None and lin["collapse_nu"] is None  # neither ν exists


def test_same_seed_same_numbers_and_replicas_per_size():
    a = bootstrap.bootstrap_indices(50, 20, 7, 4, "bimodal")
    assert np.array_equal(a, bootstrap.bootstrap_indices(50, 20, 7, 4, "bimodal"))
    assert np.array_equal(a[0], np.arange(50)) and a.shape == (21, 50)
    assert not np.array_equal(a, bootstrap.bootstrap_indices(50, 20, 7, 5, "bimodal"))
    assert not np.array_equal(a, bootstrap.bootstrap_indices(50, 20, 8, 4, "bimodal"))
    r1 = fss.analyze(synthetic_curves(1.1, 1.2, 9, samples=30), quantity="p", method="collapse")
    r2 = fss.analyze(synthetic_curves(1.1, 1.2, 9, samples=30), quantity="p", method="collapse")
    assert json.dumps(r1) == json.dumps(r2)
    assert (r1["Tc"], r1["Tc_err"], r1["nu"], r1["nu_err"]) == tuple(
        r1["collapse"][k] for k in ("Tc", "Tc_err", "nu", "nu_err")
    )


def test_prediction_csv_to_curve(tmp_path):
    """Mean and bootstrap error of p from a CSV in the predict contract; rows may come in any order."""
    rng = np.random.default_rng(3)
    n_i, temps = 400, np.array([1.05, 1.1, 1.2])
    p = rng.random((n_i, temps.size))
    rows = [(i, float(t), float(p[i, k])) for i in range(n_i) for k, t in enumerate(temps)][::-1]
    path = tmp_path / "L4.csv"
    path.write_text("instance,T,p\n" + "".join(f"{i},{t!r},{v!r}\n" for i, t, v in rows))
    curve = records.prediction_curve(path, 300, 1, 4, "bimodal")
    assert np.array_equal(curve.T, temps) and curve.instances == n_i
    assert np.allclose(curve.replicas[0], p.mean(axis=0))
    # bootstrap error of a mean = std / sqrt(n) within the ~4% scatter of 300 resamples (5 sigma: 20%)
    assert np.allclose(curve.replicas[1:].std(axis=0, ddof=1), p.std(axis=0) / np.sqrt(n_i), rtol=0.2)


def test_invalid_inputs_are_rejected_with_a_clear_message():
    good = synthetic_curves(1.1, 1.2, 1, samples=10)
    with pytest.raises(ValueError, match="at least two sizes"):
        fss.analyze({4: good[4]}, quantity="p", method="collapse")
    one_T = {**good, 6: bootstrap.Curve(good[6].T[:1], good[6].replicas[:, :1], 100)}
    with pytest.raises(ValueError, match="L = 6: needs at least two temperatures"):
        fss.analyze(one_T, quantity="p", method="collapse")
    nan = good[8].replicas.copy()
    nan[3, 2] = np.nan
    with pytest.raises(ValueError, match="L = 8: the curve contains NaN"):
        fss.analyze({**good, 8: bootstrap.Curve(good[8].T, nan, 100)}, quantity="p", method="collapse")
    with pytest.raises(ValueError, match="unknown headline method"):
        fss.analyze(good, quantity="p", method="best")
    with pytest.raises(ValueError, match="NaN"):
        bootstrap.per_instance_table(np.array([0, 1]), np.array([1.0, 1.0]), np.array([0.5, np.nan]))
    with pytest.raises(ValueError, match="one row per"):
        bootstrap.per_instance_table(
            np.array([0, 0, 1]), np.array([1.0, 1.1, 1.0]), np.array([0.1, 0.2, 0.3])
        )
