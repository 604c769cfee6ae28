"""Seed ensembles: the estimates of K CNNs per (condition, L), trained with different seeds, combined into one
estimate whose error counts both the disorder and the training randomness; and the paired shift of a
condition's T_c from clean's, seed k against seed k. Method and how to read the numbers:
``docs/methods/ensembles.md``.

Every seed's model predicts the same bimodal instances and every analysis uses the same bootstrap resamples
(:mod:`spinglass_ml.analysis.bootstrap`: the resamples depend on the config seed and L, not on the model), so
the inputs are analysis objects from ``analyze(..., keep_replicas=True)`` (or the condition JSON of
``records.condition_analysis(..., keep_replicas=True)``), one per seed. For one estimate with per-seed values
t_k (the full sample, k in the set S of seeds that have the estimate, n = |S|) and replicas t_k[b]:

* ``value`` = mean_k t_k; ``seed_spread`` = sd_k t_k (ddof = 1): how far apart the models are on the same
  data;
* ``disorder_err`` = sd over b = 1..B of the seed mean on resample b, value + mean_k (t_k[b] − t_k[0]) (the
  mean over the seeds that have replica b): the disorder error of ``value``. The instances and resamples are
  shared, so this part does not shrink with n;
* ``total_err`` = sqrt(disorder_err² + seed_spread² / n): the error of ``value`` as an estimate of the centre
  of the seed distribution;
* ``disorder_err_single`` = sqrt(mean_k err_k²) (err_k: seed k's own bootstrap error) and ``single_model_err``
  = sqrt(disorder_err_single² + seed_spread²): how far one model's estimate scatters, to compare with the
  error a single-model analysis quotes (err_k alone).

JSON layout of :func:`seed_ensemble` (names of ``estimates``: :func:`estimate_names`)::

    {"quantity": str, "method": str, "sizes": [..], "condition": str|null, "n_seeds": K,
     "min_valid_fraction": float,
     "estimates": {"Tc" | "nu" | "crossing_L4_L5.T" | ... | "derivative.nu" | "linear_coefficient.Tc"
                   | "collapse.Tc" | "collapse.nu": {
         "value": float|null, "per_seed": [K] float|null, "per_seed_reason": [K] str|null,
         "n_seeds_valid": int, "seed_spread": float|null, "disorder_err": float|null,
         "disorder_err_single": float|null, "total_err": float|null, "single_model_err": float|null,
         "disorder_valid_fraction": float, "reason": str|null}, ...}}

:func:`paired_shift` has the same entries (of the per-seed differences) plus ``unpaired_err``, under
``{"condition": str|null, "reference": str|null, "n_seeds": K, "min_valid_fraction": float, "estimates"}``.
Temperatures in units of the coupling scale (k_B = 1).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from spinglass_ml.analysis.bootstrap import bootstrap_error, json_number

SECTION_ESTIMATES = ("derivative.nu", "linear_coefficient.Tc", "collapse.Tc", "collapse.nu")
PAIRED_ESTIMATES = ("Tc", "collapse.Tc")  # the default estimates of paired_shift


def estimate_names(sizes: Sequence[int]) -> list[str]:
    """Names of the scalar estimates of an analysis object with these sizes (ascending): ``Tc``, ``nu`` (the
    headline), ``crossing_L{L1}_L{L2}.T`` for every pair, then :data:`SECTION_ESTIMATES`."""
    pairs = [f"crossing_L{a}_L{b}.T" for i, a in enumerate(sizes) for b in sizes[i + 1 :]]
    return ["Tc", "nu", *pairs, *SECTION_ESTIMATES]


def _locate(analysis: Mapping, name: str) -> tuple[Mapping | None, str]:
    """The dict holding estimate ``name`` of an analysis object and its key; (None, key) if it has none (a
    failed analysis, or a crossing of sizes it does not have)."""
    section, _, key = name.rpartition(".")
    if not section:
        return analysis, key
    if section.startswith("crossing_L"):
        L1, L2 = (int(s) for s in section.removeprefix("crossing_L").split("_L"))
        found = [c for c in analysis.get("crossings", []) if (c["L1"], c["L2"]) == (L1, L2)]
        return (found[0] if found else None), key
    return analysis.get(section), key


def _per_seed(analyses: Sequence[Mapping], name: str) -> tuple[np.ndarray, np.ndarray, list, np.ndarray]:
    """Per-seed (values (K,), errors (K,), reasons [K], replicas (K, B + 1)) of one estimate, NaN where a
    seed has none (its replicas row is NaN too).

    Raises
    ------
    ValueError
        If a seed has the estimate but not its replicas (analysed without ``keep_replicas=True``).
    """
    K, n_rep = len(analyses), _n_replicas(analyses)
    values, errs, replicas = np.full(K, math.nan), np.full(K, math.nan), np.full((K, n_rep), math.nan)
    reasons: list[str | None] = [None] * K
    for k, analysis in enumerate(analyses):
        part, key = _locate(analysis, name)
        if part is None or part.get(key) is None:
            reasons[k] = (part or analysis).get("reason") or f"no {name} in this analysis"
            continue
        if f"{key}_replicas" not in part:
            raise ValueError(
                f"seed {k}: {name} has no bootstrap replicas; analyse with keep_replicas=True "
                "(the disorder error of a seed ensemble needs every seed's replicas)"
            )
        values[k] = part[key]
        errs[k] = math.nan if part.get(f"{key}_err") is None else part[f"{key}_err"]
        replicas[k] = np.asarray(part[f"{key}_replicas"], float)
    return values, errs, reasons, replicas


def _n_replicas(analyses: Sequence[Mapping]) -> int:
    """B + 1 of the analyses (that of the first estimate with replicas; 1 if none has any)."""
    for analysis in analyses:
        for name in ("Tc", "nu", *SECTION_ESTIMATES):
            part, key = _locate(analysis, name)
            if part is not None and f"{key}_replicas" in part:
                return len(part[f"{key}_replicas"])
    return 1


def _check_shared(analyses: Sequence[Mapping]) -> dict:
    """Check that the analyses are of the same quantity, headline method, sizes, instances, temperatures and
    bootstrap resamples (failed analyses, without curves, are skipped); return the first analysed one's
    ``quantity``, ``method`` and ``sizes``.

    Raises
    ------
    ValueError
        If there are no analyses or two of them differ in any of these.
    """
    if not analyses:
        raise ValueError("a seed ensemble needs at least one analysis")
    done = [(k, a) for k, a in enumerate(analyses) if a.get("curves")] or [(0, analyses[0])]
    first, ref = done[0]

    def signature(a: Mapping) -> tuple:
        grids = {L: (c["instances"], tuple(c["T"])) for L, c in a.get("curves", {}).items()}
        return a["quantity"], a["method"], tuple(a["sizes"]), grids, a.get("bootstrap")

    for k, a in done[1:]:
        if signature(a) != signature(ref):
            raise ValueError(
                f"analysis {k} differs from analysis {first} in quantity, method, sizes, instances, "
                "temperatures or bootstrap resamples: a seed ensemble needs every seed on the same data and "
                "resamples"
            )
    lengths = {_n_replicas([a]) for _, a in done} - {1}  # 1: no replicas, which _per_seed reports
    if len(lengths) > 1:
        raise ValueError(
            f"the analyses have {sorted(lengths)} bootstrap replicas: a seed ensemble needs every seed on "
            "the same data and resamples"
        )
    return {"quantity": ref["quantity"], "method": ref["method"], "sizes": list(ref["sizes"])}


def _combine(
    values: np.ndarray,
    errs: np.ndarray,
    reasons: Sequence[str | None],
    replicas: np.ndarray,
    min_fraction: float,
    what: str,
    deterministic: bool = False,
) -> dict:
    """One ensemble entry (layout in the module docstring) from per-seed values (K,), bootstrap errors (K,),
    reasons [K] and replicas (K, B + 1), NaN where a seed has no estimate. ``deterministic``: the training has
    no randomness (seed spread 0 by construction, so one model has a total error: its disorder error)."""
    K = values.size
    ok = np.isfinite(values)
    n = int(ok.sum())
    out = {
        "value": None,
        "per_seed": [json_number(v) for v in values],
        "per_seed_reason": list(reasons),
        "n_seeds_valid": n,
        "seed_spread": None,
        "disorder_err": None,
        "disorder_err_single": None,
        "total_err": None,
        "single_model_err": None,
        "disorder_valid_fraction": 0.0,
        "reason": None,
    }
    if n == 0 or n < min_fraction * K - 1e-12:
        first = next((f"seed {k}: {r}" for k, r in enumerate(reasons) if r), None)
        out["reason"] = f"{what} exists for only {n} of {K} seeds (required: {min_fraction:.0%})" + (
            f"; {first} (every seed's reason: per_seed_reason)" if first else ""
        )
        return out
    spread = 0.0 if deterministic else (float(np.std(values[ok], ddof=1)) if n > 1 else math.nan)
    # replica b of the seed mean, centred seed by seed: value + mean_k (t_k[b] - t_k[0]) over the seeds that
    # have replica b (a missing seed's deviation is taken to be the others' mean: the seeds share resample b)
    dev = replicas[ok, 1:] - replicas[ok, :1]  # (n, B)
    have = np.isfinite(dev)
    usable = have.any(axis=0)
    mean_dev = np.where(have, dev, 0.0).sum(axis=0) / np.maximum(have.sum(axis=0), 1)
    fraction = float(usable.mean()) if usable.size else 0.0
    disorder = bootstrap_error(np.concatenate([[0.0], mean_dev]), np.concatenate([[True], usable]))
    if fraction < min_fraction - 1e-12:
        disorder = math.nan
    e = errs[ok][np.isfinite(errs[ok])]
    single = math.sqrt(np.mean(e**2)) if e.size else math.nan
    out.update(
        value=json_number(values[ok].mean()),
        seed_spread=json_number(spread),
        disorder_err=json_number(disorder),
        disorder_err_single=json_number(single),
        total_err=json_number(math.sqrt(disorder**2 + spread**2 / n)),
        single_model_err=json_number(math.sqrt(single**2 + spread**2)),
        disorder_valid_fraction=fraction,
    )
    if n < 2 and not deterministic:
        out["reason"] = f"{what} from a single seed: no seed spread, hence no total error"
    elif not math.isfinite(disorder):
        out["reason"] = (
            f"the seed mean of {what} exists in only {fraction:.0%} of the bootstrap resamples "
            f"(required: {min_fraction:.0%}): no disorder error"
        )
    return out


def seed_ensemble(
    per_seed: Sequence[Mapping], *, min_valid_fraction: float = 0.8, deterministic: bool = False
) -> dict:
    """Combine the analyses of K seeds into one estimate per scalar estimate (layout in the module docstring).

    Parameters
    ----------
    per_seed : K analysis objects (``analyze(..., keep_replicas=True)``) or condition JSONs, one per training
        seed, all on the same instances, temperatures and bootstrap resamples; failed analyses count as seeds
        without any estimate
    min_valid_fraction : an ensemble estimate needs a value from at least this fraction of the K seeds (each
        seed's value already exists in this fraction of its resamples), its disorder error this fraction of
        resamples in which at least one of those seeds has the estimate
    deterministic : the classifier's training has no randomness (e.g. the thermometer's convex fit): its
        seed spread is 0 and a single model's total error is its disorder error

    Returns
    -------
    dict, JSON-ready: ``estimates`` maps each name of :func:`estimate_names` to its entry

    Raises
    ------
    ValueError
        If the analyses are not on the same data and resamples, or a seed's estimate has no replicas.
    """
    shared = _check_shared(per_seed)
    conditions = {a.get("condition") for a in per_seed}
    estimates = {}
    for name in estimate_names(shared["sizes"]):
        values, errs, reasons, replicas = _per_seed(per_seed, name)
        estimates[name] = _combine(values, errs, reasons, replicas, min_valid_fraction, name, deterministic)
    return {
        **shared,
        "condition": conditions.pop() if len(conditions) == 1 else None,
        "n_seeds": len(per_seed),
        "deterministic": deterministic,
        "min_valid_fraction": min_valid_fraction,
        "estimates": estimates,
    }


def paired_shift(
    condition: Sequence[Mapping],
    clean: Sequence[Mapping],
    *,
    estimates: Sequence[str] = PAIRED_ESTIMATES,
    min_valid_fraction: float = 0.8,
) -> dict:
    """Shift Δ = t(condition) − t(clean) of each named estimate, seed k of the condition paired with seed k of
    clean, on the same bootstrap replicas.

    Per seed, Δ_k = t_k(condition) − t_k(clean) on the full sample and on every replica; the entry is that
    of :func:`seed_ensemble` for the Δ_k (``value`` = mean Δ_k, ``seed_spread`` = sd Δ_k, ``disorder_err``
    from the replica-wise differences of the seed means, ``total_err`` = sqrt(disorder_err² +
    seed_spread²/n), ``disorder_err_single`` from each pair's replica differences), plus ``unpaired_err`` =
    sqrt(total_err(condition)² + total_err(clean)²): the error if the two ensembles were independent. Disorder
    and training randomness shared by a pair cancel in Δ_k, so ``total_err`` can be far below it.

    Parameters
    ----------
    condition, clean : K analyses each (as for :func:`seed_ensemble`), seed k of one paired with seed k of
        the other; the same instances, temperatures, resamples and headline method throughout
    estimates : names of :func:`estimate_names` (default: the headline ``Tc`` and ``collapse.Tc``)
    min_valid_fraction : as for :func:`seed_ensemble`; a pair counts when both seeds have the estimate

    Raises
    ------
    ValueError
        If the two lists differ in length, the analyses are not on the same data, resamples and method, or an
        estimate has no replicas.
    """
    if len(condition) != len(clean):
        raise ValueError(f"paired seeds: {len(condition)} condition analyses but {len(clean)} clean ones")
    shared = _check_shared([*condition, *clean])
    out = {}
    for name in estimates:
        a, b = _per_seed(condition, name), _per_seed(clean, name)
        values, replicas = a[0] - b[0], a[3] - b[3]
        errs = np.array(
            [
                bootstrap_error(r, np.isfinite(r)) if np.isfinite(v) else math.nan
                for v, r in zip(values, replicas, strict=True)
            ]
        )
        reasons = [
            None
            if np.isfinite(v)
            else "; ".join(f"{side}: {r}" for side, r in (("condition", ra), ("clean", rb)) if r)
            for v, ra, rb in zip(values, a[2], b[2], strict=True)
        ]
        entry = _combine(values, errs, reasons, replicas, min_valid_fraction, f"the shift of {name}")
        sides = [_combine(*s, min_valid_fraction, name)["total_err"] for s in (a, b)]
        unpaired = math.hypot(*sides) if None not in sides else None
        out[name] = {**entry, "unpaired_err": json_number(unpaired)}
    names = [{x.get("condition") for x in side} for side in (condition, clean)]
    return {
        "condition": names[0].pop() if len(names[0]) == 1 else None,
        "reference": names[1].pop() if len(names[1]) == 1 else None,
        "quantity": shared["quantity"],
        "method": shared["method"],
        "n_seeds": len(condition),
        "min_valid_fraction": min_valid_fraction,
        "estimates": out,
    }


def shift_estimates(sizes: Sequence[int]) -> list[str]:
    """The temperature estimates of :func:`estimate_names` (every T_c and crossing; not the ν's): what
    :func:`condition_ensemble` shifts."""
    return [name for name in estimate_names(sizes) if not name.endswith("nu")]


def condition_ensemble(
    condition: str,
    analyses: Sequence[Mapping],
    clean: Sequence[Mapping],
    *,
    deterministic: bool = False,
    min_valid_fraction: float = 0.8,
) -> dict:
    """The content of ``results/analysis/ensemble/{condition}.json``: one condition's seed ensemble.

    Parameters
    ----------
    condition : its name
    analyses : the condition JSONs (``records.condition_analysis(..., keep_replicas=True)``) of its K models,
        model k at position k
    clean : those of clean's K_clean >= K models (the paired reference; ignored for clean itself)
    deterministic : the classifier has no training randomness (the thermometer): K = 1, and in the shift
        its one model is paired with each of clean's
    min_valid_fraction : as for :func:`seed_ensemble`

    Returns
    -------
    ``{"condition", "n_seeds", "deterministic", "bimodal": seed_ensemble of the bimodal analyses,
    "gaussian_check": seed_ensemble of the held-out Gaussian checks, "shift": paired_shift of the bimodal
    temperature estimates (:func:`shift_estimates`) from clean's, or null for clean}``
    """
    if deterministic and len(analyses) != 1:
        raise ValueError(f"{condition}: a deterministic classifier has one model, got {len(analyses)}")
    if not deterministic and len(analyses) > len(clean):
        raise ValueError(f"{condition}: {len(analyses)} models but clean has only {len(clean)} to pair with")
    options = {"min_valid_fraction": min_valid_fraction, "deterministic": deterministic}
    bimodal = seed_ensemble(analyses, **options)
    shift = None
    if condition != "clean":
        paired = list(analyses) * len(clean) if deterministic else list(analyses)
        shift = paired_shift(
            paired, clean[: len(paired)], estimates=shift_estimates(bimodal["sizes"]),
            min_valid_fraction=min_valid_fraction,
        )  # fmt: skip
    return {
        "condition": condition,
        "n_seeds": len(analyses),
        "deterministic": deterministic,
        "bimodal": bimodal,
        "gaussian_check": seed_ensemble([a["gaussian_check"] for a in analyses], **options),
        "shift": shift,
    }
