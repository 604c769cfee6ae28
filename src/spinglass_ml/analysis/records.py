"""The analysis of one model's predictions: ``results/analysis/{model}.json`` (``{condition}.json`` for
model 0, ``{condition}/seed{k}.json`` for model k of a seed ensemble; the ensemble of a condition is
:func:`spinglass_ml.analysis.ensemble.condition_ensemble`, the summary table
:mod:`spinglass_ml.analysis.summary`).

Layout of ``results/analysis/{model}.json``: the analysis object (:mod:`spinglass_ml.analysis.fss`) of
the bimodal predictions (quantity ``p``, headline method ``linear_coefficient``: T_c from the sign change,
ν = ν_ml) at the top level, plus::

    "condition": "clean", "data": {"4": "results/predictions/clean/L4.csv", ...},
    "gaussian_check": <analysis object of the held-out Gaussian predictions, headline "crossing">,
    "bootstrap": {"samples": B, "seed": int, "stream": "SeedSequence(seed, spawn_key=(3, L, d))"},
    "settings": {the analysis config slice}

``results/analysis/physics_reference.json`` is described in :mod:`spinglass_ml.analysis.observables`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from spinglass_ml.analysis.bootstrap import (
    Curve,
    bootstrap_indices,
    per_instance_table,
    replicas_of_means,
    window,
)
from spinglass_ml.analysis.fss import analyze
from spinglass_ml.ml.predictions import read_predictions
from spinglass_ml.seeds import STREAM_BOOTSTRAP


def prediction_curve(path: str | Path, samples: int, seed: int, L: int, disorder: str) -> Curve:
    """p(T) of one size from a prediction CSV, with bootstrap replicas over its instances."""
    instances, T, p = read_predictions(path)
    temps, table = per_instance_table(instances, T, p)
    return Curve(
        temps,
        replicas_of_means(table, bootstrap_indices(table.shape[0], samples, seed, L, disorder)),
        table.shape[0],
    )


def failed(quantity: str, method: str, reason: str) -> dict:
    """The analysis object of a data set that cannot be analysed at all (reason: the ValueError's text)."""
    return {
        "quantity": quantity,
        "sizes": [],
        "Tc": None,
        "Tc_err": None,
        "nu": None,
        "nu_err": None,
        "method": method,
        "reason": reason,
        "crossings": [],
    }


def bootstrap_record(settings: Mapping, seed: int) -> dict:
    """The ``bootstrap`` entry of the analysis JSON files."""
    return {
        "samples": settings["bootstrap_samples"],
        "seed": seed,
        "stream": f"SeedSequence(seed, spawn_key=({STREAM_BOOTSTRAP}, L, d))",
    }


def _analyze_predictions(
    paths: Mapping[int, str | Path],
    settings: Mapping,
    seed: int,
    disorder: str,
    method: str,
    keep_replicas: bool = False,
) -> dict:
    """Analysis object of one set of prediction CSVs (size → path); bad data → null with the reason."""
    lim = settings["window"][disorder]
    try:
        curves = {
            L: window(
                prediction_curve(p, settings["bootstrap_samples"], seed, L, disorder), lim["min"], lim["max"]
            )
            for L, p in paths.items()
        }
        return analyze(
            curves,
            quantity="p",
            method=method,
            smooth_degree=settings["smooth_degree"],
            grid_points=settings["grid_points"],
            min_valid_fraction=settings["min_valid_fraction"],
            keep_replicas=keep_replicas,
        )
    except ValueError as err:
        return failed("p", method, str(err))


def condition_analysis(
    condition: str,
    bimodal: Mapping[int, str | Path],
    gaussian: Mapping[int, str | Path],
    settings: Mapping,
    seed: int,
    *,
    keep_replicas: bool = False,
) -> dict:
    """The content of ``results/analysis/{model}.json`` (layout in the module docstring).

    Parameters
    ----------
    condition : training condition (clean, flip-<rate>, therm-<fraction>)
    bimodal, gaussian : size L → prediction CSV of the bimodal data / of the held-out Gaussian instances
    settings : the ``analysis`` config slice
    seed : the config seed
    keep_replicas : also store the bootstrap replicas of every estimate (``analyze(keep_replicas=True)``),
        in both analysis objects: what :func:`spinglass_ml.analysis.ensemble.seed_ensemble` needs
    """
    result = _analyze_predictions(bimodal, settings, seed, "bimodal", "linear_coefficient", keep_replicas)
    return {
        "condition": condition,
        **result,
        "data": {str(L): str(p) for L, p in sorted(bimodal.items())},
        "gaussian_check": _analyze_predictions(
            gaussian, settings, seed, "gaussian", "crossing", keep_replicas
        ),
        "bootstrap": bootstrap_record(settings, seed),
        "settings": dict(settings),
    }
