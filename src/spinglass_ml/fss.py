"""Finite-size scaling of a dimensionless quantity Q(T, L): the CNN's p(T, L) (paper Sec. II C, Fig. 1) and,
with the same code, the Binder ratio and ξ_L/L of the physics reference (:mod:`spinglass_ml.observables`).

Method (every step is repeated on every bootstrap replica, so errors are bootstrap errors of the whole chain)
-----------------------------------------------------------------------------------------------------------
1. **Curves.** Q(T, L) is a disorder average. Replica 0 is the full sample; replicas 1..B resample the disorder
   instances of size L with replacement, from ``SeedSequence(seed, spawn_key=(STREAM_BOOTSTRAP, L, d))`` (d the
   disorder code of :data:`spinglass_ml.simulation.DISORDER_CODE`), over the instances sorted by id. The same
   replicas serve every later step, and the CNN's bimodal predictions and the bimodal physics reference of one
   L share them. ``err`` = standard deviation over replicas 1..B.
2. **Smooth fit** of each L: a polynomial of degree ``smooth_degree`` in T, weighted by 1/err² of the full
   sample, over that L's temperatures (grids may differ per L).
3. **Crossings** of successive sizes (L_k, L_k+1): the real roots of the difference of the two smooth fits
   inside the overlap of their temperature ranges. Exactly one root: the crossing; none or several: null with
   the reason. The error is the spread over the replicas that have exactly one root; fewer than
   ``min_valid_fraction`` of them → null.
4. **ν from the maximum of |dQ/dT|** of each smooth fit (an interior extremum of the fitted derivative; at the
   edge of the range → null for that L), then a weighted straight line log max|dQ/dT| = a + (1/ν) log L.
5. **T_c from the linear coefficient**: at each T of a common grid (the overlap of all ranges), the weighted
   least-squares line Q(T, L) = c0 + c1 L^{1/ν} over the sizes; c1(T) normalised by max |c1| over the grid
   (paper Fig. 1c); T_c is its unique sign change.
6. **Collapse**: all points (T, L, Q, err) fitted to Q = a0 + a1 x + a2 x² + a3 x³, x = L^{1/ν}(T − T_c),
   varying T_c, ν and a_k together (weighted least squares); χ²/dof with dof = points − 6.

JSON layout (results/analysis/{condition}.json; the figures read only this)
------------------------------------------------------------------------------
Numbers are JSON numbers; an estimate that does not exist is ``null`` with a string in the ``reason`` next to
it (``reason`` is ``null`` when the estimate exists). Keys of per-L dicts are the sizes as strings, e.g.
``"4"``. Temperatures in units of the coupling scale (k_B = 1).

An **analysis object** (the output of :func:`analyze`, one quantity of one data set)::

    {
      "quantity": "p" | "g" | "xi_over_L",
      "sizes": [4, 5, 6],                          # ascending
      "Tc": float|null, "Tc_err": float|null,       # headline estimate: method named below
      "nu": float|null, "nu_err": float|null,
      "method": "linear_coefficient" | "crossing" | "collapse",
      "reason": str|null,
      "curves": {"4": {"T": [n_T], "mean": [n_T], "err": [n_T], "instances": int,
                       "fit": {"T": [n_fine], "mean": [n_fine], "err": [n_fine],   # smooth fit, bootstrap band
                               "degree": int, "coefficients": [degree+1] (highest power first, np.polyfit),
                               "chi2_dof": float|null}}, ...},
      "crossings": [{"L1": 4, "L2": 5, "T": float|null, "T_err": float|null, "Q": float|null,
                     "valid_fraction": float, "reason": str|null}, ...],          # successive pairs
      "derivative": {
          "per_L": {"4": {"T_star": float|null, "T_star_err": float|null,          # where |dQ/dT| is largest
                          "max": float|null, "max_err": float|null,               # max |dQ/dT|
                          "reason": str|null}, ...},
          "slope": float|null, "slope_err": float|null,                           # 1/ν of the log-log line
          "intercept": float|null, "intercept_err": float|null,                   # natural logs
          "n_sizes": int, "chi2_dof": float|null,                                 # null when n_sizes = 2
          "nu": float|null, "nu_err": float|null, "reason": str|null},
      "linear_coefficient": {"T": [n_grid], "c1": [n_grid], "c1_err": [n_grid],   # normalised, max |c1| = 1
                             "nu_used": float|null,
                             "Tc": float|null, "Tc_err": float|null, "reason": str|null},
                             # T, c1, c1_err are [] when there is no ν or no common range
      "collapse": {"Tc": float|null, "Tc_err": float|null, "nu": float|null, "nu_err": float|null,
                   "coefficients": [a0, a1, a2, a3] | null, "coefficients_err": [4] | null,
                   "chi2": float|null, "dof": int, "chi2_dof": float|null,
                   "points": {"L": [n], "T": [n], "x": [n], "Q": [n], "err": [n]},  # x uses the fitted Tc, ν
                   "curve": {"x": [n_fine], "Q": [n_fine]},                        # the fitted cubic
                   "valid_fraction": float, "reason": str|null},
    }

``results/analysis/{condition}.json`` = the analysis object of the bimodal predictions (quantity ``p``,
headline method ``linear_coefficient``: T_c from the sign change, ν = ν_ml) at the top level, plus::

    "condition": "clean", "data": "results/predictions/clean/L{L}.csv",
    "gaussian_check": <analysis object of the held-out Gaussian predictions, headline "crossing">
                      | {"reason": str} when it cannot be analysed,
    "bootstrap": {"samples": B, "seed": int, "stream": "SeedSequence(seed, spawn_key=(3, L, d))"},
    "settings": {the analysis config slice}

``results/analysis/physics_reference.json`` is described in :mod:`spinglass_ml.observables`.
"""
