"""The conventional physics reference: Binder ratio and correlation length ξ_L/L of the Monte Carlo data.

Definitions (per instance and temperature the chunk files hold window averages ``q2`` = ⟨q²⟩, ``q4`` = ⟨q⁴⟩
with q = (1/N) Σ_i q_i, and ``qk2`` = ⟨|Σ_i q_i e^{i k·x_i}|²⟩/N averaged over the three k_min = 2π/L axes;
brackets [·] are disorder averages):

- Binder ratio g = ½ (3 − [⟨q⁴⟩] / [⟨q²⟩]²): 1 for a fully ordered overlap, 0 for Gaussian q (high T).
- Spin-glass susceptibility χ(k) = N [⟨|q(k)|²⟩] with q(k) = (1/N) Σ_i q_i e^{i k·x_i}, so χ(0) = N [q2] and
  χ(k_min) = [qk2]; second-moment correlation length
  ξ_L = (1 / (2 sin(k_min/2))) √(χ(0)/χ(k_min) − 1), reported as ξ_L / L (Katzgraber, Körner, Young 2006).

Ratios are formed from the disorder averages of each bootstrap replica (the replicas of
:mod:`spinglass_ml.analysis.fss`), so g and ξ_L/L carry bootstrap errors and their finite-size scaling uses
the same code as the CNN's p(T, L).

JSON layout (results/analysis/physics_reference.json; the physics-reference figure reads only this)
----------------------------------------------------------------------------------------------------
::

    {
      "bimodal":  {"binder": <analysis object, quantity "g">,
                   "xi": <analysis object, quantity "xi_over_L">} | {"reason": str},
      "gaussian": {"binder": ..., "xi": ...} | {"reason": str},
      "data": {"bimodal": {"4": {"sweeps": int, "files": [str, ...]}, ...}, "gaussian": {...}},
      "bootstrap": {"samples": B, "seed": int, "stream": "SeedSequence(seed, spawn_key=(3, L, d))"},
      "settings": {the analysis config slice}
    }

An analysis object is described in :mod:`spinglass_ml.analysis.fss` (curves with T, mean, err and smooth fits
per L; crossings per pair of sizes; derivative maxima; linear coefficient; collapse). Here its headline
``Tc``/``Tc_err`` is the crossing of the largest pair of sizes (``method: "crossing"``; the literature quotes
pair crossings, docs/references.md) and its ``nu``/``nu_err`` the collapse's ν (null when the collapse fails).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from spinglass_ml.analysis.bootstrap import Curve, bootstrap_indices, replicas_of_means, window
from spinglass_ml.analysis.fss import analyze
from spinglass_ml.analysis.records import bootstrap_record, failed
from spinglass_ml.mc.chunks import read_chunk
from spinglass_ml.mc.lattice import overlap_k2

QUANTITIES = {"binder": "g", "xi": "xi_over_L"}  # JSON key → quantity name of the analysis object


def overlap_moments(overlaps: np.ndarray) -> dict[str, np.ndarray]:
    """Snapshot averages of q², q⁴ and |q(k_min)|²/N from site overlaps, as the kernel measures them.

    Parameters
    ----------
    overlaps : ±1 site overlaps q_i = s_i^a s_i^b, shape (..., n_con, L, L, L)

    Returns
    -------
    dict of float64 arrays of shape (...): ``q2``, ``q4``, ``qk2`` (averages over the n_con snapshots).
    """
    q_sites = np.asarray(overlaps, dtype=np.float64)
    q = q_sites.reshape(*q_sites.shape[:-3], -1).mean(axis=-1)
    return {"q2": (q**2).mean(axis=-1), "q4": (q**4).mean(axis=-1), "qk2": overlap_k2(q_sites).mean(axis=-1)}


def binder_ratio(q2: np.ndarray, q4: np.ndarray) -> np.ndarray:
    """g = ½ (3 − [⟨q⁴⟩]/[⟨q²⟩]²) from disorder averages of ⟨q²⟩ and ⟨q⁴⟩ (any matching shapes)."""
    q2, q4 = np.asarray(q2, dtype=np.float64), np.asarray(q4, dtype=np.float64)
    return 0.5 * (3.0 - q4 / q2**2)


def xi_over_L(q2: np.ndarray, qk2: np.ndarray, L: int) -> np.ndarray:
    """ξ_L / L = √(χ(0)/χ(k_min) − 1) / (2 L sin(π/L)), with χ(0) = N [⟨q²⟩] and χ(k_min) = [⟨|q(k)|²⟩/N].

    Parameters
    ----------
    q2, qk2 : disorder averages of the kernel's ``q2`` and ``qk2`` (matching shapes)
    L : linear size (N = L³)

    Returns
    -------
    float64 array of the input shape; NaN where χ(0) ≤ χ(k_min) (ξ² ≤ 0, no correlation length), inf where
    χ(k_min) = 0 < χ(0) (a perfectly uniform overlap).
    """
    with np.errstate(divide="ignore", invalid="ignore"):  # χ(k_min) = 0: ξ = inf; χ(0) <= χ(k_min): NaN
        ratio = L**3 * np.asarray(q2, dtype=np.float64) / np.asarray(qk2, dtype=np.float64)
        return np.where(ratio > 1, np.sqrt(ratio - 1), np.nan) / (2 * L * math.sin(math.pi / L))


def physics_curves(paths: Sequence[str | Path], samples: int, seed: int, disorder: str) -> dict[str, Curve]:
    """g(T) and ξ_L/L(T) of one size from its chunk files, with bootstrap replicas over the instances.

    Returns
    -------
    {"binder": Curve, "xi": Curve}; the ξ curve may hold NaN (see :func:`xi_over_L`).

    Raises
    ------
    ValueError
        If the files disagree on L, disorder or temperatures, or repeat an instance.
    """
    parts, Ls, temps = [], set(), None
    for path in paths:
        data, attrs = read_chunk(path, ["temperatures", "q2", "q4", "qk2"])
        Ls.add(int(attrs["L"]))
        if attrs["disorder"] != disorder:
            raise ValueError(f"{path}: disorder {attrs['disorder']!r}, expected {disorder!r}")
        if temps is not None and not np.array_equal(temps, data["temperatures"]):
            raise ValueError(f"{path}: temperatures differ from the other chunks of this size")
        temps = data["temperatures"]
        parts.append((int(attrs["first_instance"]), data))
    if len(Ls) != 1:
        raise ValueError(f"chunk files of one size expected, got L = {sorted(Ls)}")
    (L,) = Ls
    parts.sort(key=lambda part: part[0])
    first = [f for f, _ in parts]
    ids = np.concatenate([f + np.arange(d["q2"].shape[0]) for f, d in parts])
    if np.unique(ids).size != ids.size:
        raise ValueError(f"L = {L}: chunks starting at instances {first} overlap")
    table = np.stack([np.concatenate([d[k] for _, d in parts]) for k in ("q2", "q4", "qk2")], axis=-1)
    idx = bootstrap_indices(ids.size, samples, seed, L, disorder)
    means = replicas_of_means(table, idx)  # (B + 1, n_T, 3)
    return {
        "binder": Curve(temps, binder_ratio(means[..., 0], means[..., 1]), ids.size),
        "xi": Curve(temps, xi_over_L(means[..., 0], means[..., 2], L), ids.size),
    }


def physics_reference(
    files: Mapping[str, Mapping[int, Sequence[str | Path]]], settings: Mapping, seed: int
) -> dict[str, dict]:
    """Finite-size scaling of g and ξ_L/L for each disorder: the ``"bimodal"``/``"gaussian"`` entries of the
    physics-reference JSON (see the module docstring).

    Parameters
    ----------
    files : disorder → L → chunk files of that size
    settings : the ``analysis`` config slice (bootstrap_samples, smooth_degree, grid_points,
        min_valid_fraction, window)
    seed : the config seed (bootstrap streams)

    A data set that cannot be analysed gets an analysis object with a null estimate and the reason; nothing
    raises for bad data.
    """
    out = {}
    for disorder, by_L in files.items():
        lim = settings["window"][disorder]
        try:
            curves = {
                L: {
                    k: window(c, lim["min"], lim["max"])
                    for k, c in physics_curves(paths, settings["bootstrap_samples"], seed, disorder).items()
                }
                for L, paths in by_L.items()
            }
        except ValueError as err:
            out[disorder] = {"reason": str(err)}
            continue
        out[disorder] = {}
        for key, quantity in QUANTITIES.items():
            per_L = {L: c[key] for L, c in curves.items()}
            bad = [L for L, c in per_L.items() if not np.all(np.isfinite(c.replicas))]
            try:
                if bad:
                    raise ValueError(
                        f"{quantity} is undefined (χ(0) <= χ(k_min), so ξ² <= 0) for L = {bad} at some "
                        "temperature in the full sample or a bootstrap resample"
                    )
                out[disorder][key] = analyze(
                    per_L,
                    quantity=quantity,
                    method="crossing",
                    smooth_degree=settings["smooth_degree"],
                    grid_points=settings["grid_points"],
                    min_valid_fraction=settings["min_valid_fraction"],
                )
            except ValueError as err:
                out[disorder][key] = failed(quantity, "crossing", str(err))
    return out


def chunks_by_size(paths: Sequence[str | Path]) -> dict[int, list[str]]:
    """Group chunk files by their ``L`` attribute (each one validated by ``mcio.read_chunk``)."""
    out: dict[int, list[str]] = {}
    for path in paths:
        out.setdefault(int(read_chunk(path, [])[1]["L"]), []).append(str(path))
    return dict(sorted(out.items()))


def physics_reference_json(paths: Mapping[str, Sequence[str | Path]], settings: Mapping, seed: int) -> dict:
    """The content of ``results/analysis/physics_reference.json`` (layout in the module docstring).

    Parameters
    ----------
    paths : disorder → its chunk files (any sizes, any order)
    settings : the ``analysis`` config slice
    seed : the config seed
    """
    files = {disorder: chunks_by_size(p) for disorder, p in paths.items()}
    data = {
        disorder: {
            str(L): {"sweeps": int(read_chunk(f[0], [])[1]["sweeps"]), "files": f} for L, f in by_L.items()
        }
        for disorder, by_L in files.items()
    }
    return {
        **physics_reference(files, settings, seed),
        "data": data,
        "bootstrap": bootstrap_record(settings, seed),
        "settings": dict(settings),
    }


def disorder_analyses(reference: Mapping, disorder: str) -> tuple[dict, dict]:
    """The Binder-ratio and xi_L/L analysis objects of one disorder of ``physics_reference.json``; a data set
    that could not be analysed at all (``{"reason": ...}``) gives failed analysis objects with that reason."""
    entry = reference[disorder]
    reason = entry.get("reason", "missing")
    return (
        entry.get("binder") or failed("g", "crossing", reason),
        entry.get("xi") or failed("xi_over_L", "crossing", reason),
    )
