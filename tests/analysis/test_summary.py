"""The summary table and the comparison series (:mod:`spinglass_ml.analysis.summary`) from seed-ensemble
records of synthetic predictions with known critical points.

Model k of a condition sees p_i(T) = F(L^{1/ν}(T − T_c,k)) + η_i(T) + ε_ik(T), η shared by every model (the
same instances), F exactly cubic; the condition's T_c,k are its centre plus a known seed offset."""

import numpy as np
import pytest

from spinglass_ml.analysis import bootstrap, ensemble, fss, records, summary

NU = 1.2
SIZES = (4, 6, 8)


def F(x):
    return 0.5 + 0.6 * x - 0.2 * x**3


def condition_jsons(name, centres, rep=0, n_i=80, sigma=0.1, tau=0.02, samples=40):
    """Condition JSONs (bimodal and Gaussian-check analyses, with replicas) of one model per T_c,k."""
    rng = np.random.default_rng(rep)
    curves = [{} for _ in centres]
    for j, L in enumerate(SIZES):
        y = L ** (1 / NU)
        T = np.linspace(1.1 - 0.9 / y, 1.1 + 0.9 / y, 9 + j)
        eta = sigma * np.random.default_rng(100 + j).standard_normal((n_i, T.size))  # the same instances
        idx = bootstrap.bootstrap_indices(n_i, samples, 7, L, "bimodal")
        for k, t in enumerate(centres):
            table = F(y * (T - t))[None, :] + eta + tau * rng.standard_normal((n_i, T.size))
            curves[k][L] = bootstrap.Curve(T, bootstrap.replicas_of_means(table, idx), n_i)
    out = []
    for c in curves:
        a = fss.analyze(c, quantity="p", method="linear_coefficient", keep_replicas=True)
        g = fss.analyze(c, quantity="p", method="crossing", keep_replicas=True)
        out.append({"condition": name, **a, "gaussian_check": g})
    return out


OFFSETS = (-0.012, 0.0, 0.012)


@pytest.fixture(scope="module")
def study():
    """Ensemble records: clean (3 models), flip-0.01 (3, T_c + 0.03), adv-0.1 (1 model), thermometer
    (deterministic, T_c + 0.05)."""
    clean = condition_jsons("clean", [1.1 + o for o in OFFSETS])
    flip = condition_jsons("flip-0.01", [1.13 + o for o in OFFSETS])
    adv = condition_jsons("adv-0.1", [1.2])
    thermo = condition_jsons("thermometer", [1.15])
    make = ensemble.condition_ensemble
    return {
        "clean": make("clean", clean, clean),
        "flip-0.01": make("flip-0.01", flip, clean),
        "adv-0.1": make("adv-0.1", adv, clean),
        "thermometer": make("thermometer", thermo, clean, deterministic=True),
    }


def test_rows_quote_total_errors_seed_spreads_and_paired_shifts(study, tmp_path):
    physics = {"bimodal": {"binder": records.failed("g", "crossing", "no data"), "xi": records.failed(
        "xi_over_L", "crossing", "xi undefined")}}  # fmt: skip
    rows = summary.summary_rows(list(study.values()), physics)
    by = {(r["condition"], r["method"]): r for r in rows}
    assert [m for c, m in by if c == "clean"] == [
        "crossing_L4_L6", "crossing_L4_L8", "crossing_L6_L8", "linear_coefficient", "collapse",
    ]  # fmt: skip
    clean = by["clean", "collapse"]
    entry = study["clean"]["bimodal"]["estimates"]["collapse.Tc"]
    assert clean["Tc"] == entry["value"] == pytest.approx(np.mean(entry["per_seed"]))
    assert clean["Tc_err"] == entry["total_err"] > clean["Tc_err_disorder"] == entry["disorder_err"]
    assert clean["n_seeds"] == 3 and clean["Tc_seed_spread"] == pytest.approx(0.012, rel=0.5)
    assert clean["dTc"] is None and clean["Tc"] == pytest.approx(1.1, abs=3 * clean["Tc_err"])
    for method in ("linear_coefficient", "collapse", "crossing_L4_L8"):
        flip = by["flip-0.01", method]
        assert flip["dTc"] == pytest.approx(0.03, abs=max(3 * flip["dTc_err"], 1e-3))
        assert flip["dTc_err"] < flip["Tc_err"]  # the paired models' shared offsets cancel
    thermo = by["thermometer", "collapse"]
    assert thermo["n_seeds"] == 1 and thermo["Tc_seed_spread"] == 0.0
    assert thermo["Tc_err"] == thermo["Tc_err_disorder"] > 0
    assert thermo["dTc"] == pytest.approx(0.05, abs=3 * thermo["dTc_err"])
    adv = by["adv-0.1", "collapse"]  # one CNN model: no seed spread, so no total error, and it says so
    assert adv["Tc"] is not None and adv["Tc_err"] is None and adv["Tc_err_disorder"] > 0
    assert "single seed" in adv["reason"]
    assert by["physics-bimodal", "xi_analysis"]["reason"] == "xi undefined"
    path = tmp_path / "summary.csv"
    summary.write_summary(path, rows)
    lines = path.read_text().splitlines()
    assert lines[0] == ",".join(summary.SUMMARY_COLUMNS) and len(lines) == len(rows) + 1
    assert lines[-1] == "physics-gaussian,xi_analysis,,,,,,,,,,no gaussian data"
    rounded = {(r["condition"], r["method"]): r for r in summary.rounded_rows(rows)}
    assert rounded["adv-0.1", "collapse"]["Tc"].endswith("disorder only")
    assert rounded["clean", "collapse"]["Tc"] == summary.with_error(clean["Tc"], clean["Tc_err"])


def test_dose_response_and_threshold_response_read_the_ensembles(study):
    doses = summary.dose_response([study["flip-0.01"]])
    ((dose, shift, err),) = doses["flip"]["collapse"]
    assert dose == 0.01 and shift == pytest.approx(0.03, abs=3 * err) and doses["therm"]["collapse"] == []
    assert summary.clean_tc(study["clean"])["collapse"][0] == study["clean"]["bimodal"]["estimates"][
        "collapse.Tc"]["value"]  # fmt: skip
    points = summary.threshold_response(list(study.values()), 0.95)
    assert [p[0] for p in points["cnn"]] == [0.95] and [p[0] for p in points["thermometer"]] == [0.95]
    Tc, err, method = summary.ensemble_tc(study["thermometer"])
    assert points["thermometer"][0][1:] == (Tc, err, method)
    rows = summary.ensemble_tc_rows(study["clean"])
    est = study["clean"]["bimodal"]["estimates"]
    assert [r[0] for r in rows[2:]] == ["CNN p 4/6", "CNN p 4/8", "CNN p 6/8"]
    assert rows[1][1:] == (est["collapse.Tc"]["value"], est["collapse.Tc"]["total_err"])


@pytest.mark.parametrize(
    "value, err, text",
    [(1.1783, 0.0071, "1.178(7)"), (1.0, 0.0123, "1.000(12)"), (0.9751, 0.036, "0.98(4)"),
     (1.8, 0.2, "1.8(2)"), (123.4, 15.0, "123(15)"), (1.2, None, "1.2"), (None, 0.1, "")],
)  # fmt: skip
def test_values_are_rounded_to_their_errors(value, err, text):
    assert summary.with_error(value, err) == text


def test_best_crossing_is_the_most_precise_pair_else_the_collapse():
    obj = {
        "crossings": [
            {"L1": 4, "L2": 6, "T": 1.13, "T_err": 0.06},
            {"L1": 4, "L2": 8, "T": 1.17, "T_err": 0.02},
            {"L1": 6, "L2": 8, "T": None, "T_err": None},
        ],
        "collapse": {"Tc": 1.15, "Tc_err": 0.03},
    }
    assert summary.best_crossing(obj) == (1.17, 0.02, "crossing (4, 8)")
    assert summary.best_crossing({**obj, "crossings": obj["crossings"][2:]}) == (1.15, 0.03, "collapse")
