"""The conventional physics reference: Binder ratio and finite-size correlation length from the Monte Carlo data.

Definitions (per instance and temperature the chunk files hold window averages ``q2`` = ⟨q²⟩, ``q4`` = ⟨q⁴⟩
with q = (1/N) Σ_i q_i, and ``qk2`` = ⟨|Σ_i q_i e^{i k·x_i}|²⟩/N averaged over the three k_min = 2π/L axes;
brackets [·] are disorder averages):

- Binder ratio g = ½ (3 − [⟨q⁴⟩] / [⟨q²⟩]²): 1 for a fully ordered overlap, 0 for Gaussian q (high T).
- Spin-glass susceptibility χ(k) = N [⟨|q(k)|²⟩] with q(k) = (1/N) Σ_i q_i e^{i k·x_i}, so χ(0) = N [q2] and
  χ(k_min) = [qk2]; second-moment correlation length
  ξ_L = (1 / (2 sin(k_min/2))) √(χ(0)/χ(k_min) − 1), reported as ξ_L / L (Katzgraber, Körner, Young 2006).

Ratios are formed from the disorder averages of each bootstrap replica (the replicas of :mod:`spinglass_ml.fss`),
so g and ξ_L/L carry bootstrap errors and their finite-size scaling uses the same code as the CNN's p(T, L).

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

An analysis object is described in :mod:`spinglass_ml.fss` (curves with T, mean, err and smooth fits per L;
crossings per successive pair of sizes; derivative maxima; linear coefficient; collapse). Here its headline
``Tc``/``Tc_err`` is the crossing of the largest pair of sizes (``method: "crossing"``; the literature quotes
pair crossings, see REFERENCES.md) and its ``nu``/``nu_err`` the collapse's ν (null when the collapse fails).
"""
