"""The threshold control's slope (:mod:`spinglass_ml.analysis.threshold`) on synthetic seed ensembles with a
known slope: model k's T_c at label threshold x is T_c + a (x − 0.95) + σ_seed z_k, its seed offset z_k shared
by every threshold (the same seed k), the instances and resamples shared by all (test_ensemble.py's model)."""

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest

from spinglass_ml.analysis.threshold import threshold_response, threshold_slope

_spec = importlib.util.spec_from_file_location("synthetic", Path(__file__).with_name("test_ensemble.py"))
synthetic = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(synthetic)

THRESHOLDS = (0.85, 0.95, 1.05)
SIGMA_SEED = 0.02


def ensembles(rep, slope, K=4):
    """{threshold: K analyses} with T_c,k(x) = TC + slope (x − 0.95) + σ_seed z_k."""
    z = np.random.default_rng(1000 + rep).standard_normal(K)
    sets = [synthetic.TC + slope * (x - 0.95) + SIGMA_SEED * z for x in THRESHOLDS]
    return dict(zip(THRESHOLDS, synthetic.seed_analyses(rep, sets, n_i=60, samples=40), strict=True))


@pytest.mark.parametrize("slope", [0.0, 0.2])
def test_slope_recovers_the_known_answer_within_its_total_error(slope):
    """Two data sets per slope; the seed offsets, shared by every threshold, cancel in each seed's slope, so
    its seed spread is far below σ_seed / Δx (the spread of a slope from unpaired seeds, 0.1)."""
    for rep in range(2):
        entry = threshold_slope(ensembles(rep, slope), "collapse.Tc")
        assert entry["reason"] is None and entry["n_seeds_valid"] == 4
        assert abs(entry["value"] - slope) < 3.5 * entry["total_err"], entry
        assert entry["seed_spread"] < 0.3 * SIGMA_SEED / 0.1
        assert 0 < entry["disorder_err"] <= entry["total_err"]


def test_a_detector_and_a_thermometer_are_told_apart():
    """Slope 0 against slope 0.25 on the same instances: the difference is many total errors."""
    detector = threshold_slope(ensembles(3, 0.0), "collapse.Tc")
    thermometer = threshold_slope(ensembles(3, 0.2), "collapse.Tc")
    gap = thermometer["value"] - detector["value"]
    assert gap > 4 * math.hypot(detector["total_err"], thermometer["total_err"]), (detector, thermometer)


def test_deterministic_single_models_get_their_disorder_error():
    by = {x: a[:1] for x, a in ensembles(0, 0.2).items()}
    entry = threshold_slope(by, "collapse.Tc", deterministic=True)
    assert entry["seed_spread"] == 0 and entry["total_err"] == pytest.approx(entry["disorder_err"])
    single = threshold_slope(by, "collapse.Tc")  # a CNN with one model has no total error, and says why
    assert single["total_err"] is None or math.isnan(single["total_err"])
    assert "single seed" in single["reason"]


def test_missing_estimates_are_named_and_one_threshold_gives_no_slope():
    by = ensembles(0, 0.1)
    for analysis in by[1.05]:
        analysis["Tc"], analysis["reason"] = None, "no sign change"
    entry = threshold_slope(by, "Tc")
    assert entry["value"] is None and "threshold 1.05: no sign change" in entry["reason"]
    record = threshold_response({"cnn": by, "thermometer": {0.95: by[0.95]}},
                                {"cnn": ["threshold-0.85", "clean", "threshold-1.05"],
                                 "thermometer": ["thermometer"]})  # fmt: skip
    assert record["thresholds"] == {"cnn": list(THRESHOLDS), "thermometer": [0.95]}
    assert set(record["slopes"]) == {"cnn"} and set(record["slopes"]["cnn"]) == {"Tc", "collapse.Tc"}
    with pytest.raises(ValueError, match="two label thresholds"):
        threshold_slope({0.95: by[0.95]}, "Tc")
