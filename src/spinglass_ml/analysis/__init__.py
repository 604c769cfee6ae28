"""The analysis stage: finite-size scaling of the CNN's p(T, L) and the physics reference of the same data.

============================  ================================================================================
:mod:`.bootstrap`             instance resamples, per-size curves with replicas, bootstrap errors and validity
:mod:`.smooth`                each size's smooth fit and the crossings of pairs of sizes
:mod:`.fss`                   the estimators on curves, without file I/O: crossings, nu from max |dQ/dT|,
                              ``analyze`` (the analysis object)
:mod:`.linear_coefficient`    c1(T) of Q = c0 + c1 L^{1/nu} over the sizes and T_c from its sign change
:mod:`.collapse`              the cubic data collapse, T_c and nu fitted together
:mod:`.observables`           Binder ratio and xi_L/L from the Monte Carlo chunks; ``physics_reference.json``
:mod:`.records`               ``results/analysis/{model}.json``: the analysis of one model's predictions
:mod:`.ensemble`              seed ensembles: estimates of K models with disorder, seed and total errors;
                              paired shifts from clean; ``results/analysis/ensemble/{condition}.json``
:mod:`.threshold`             the threshold control's slope dT_c/d(label threshold) with total errors;
                              ``results/analysis/threshold_response.json``
:mod:`.summary`               ``results/tables/summary.csv`` and the series of the comparison figures
============================  ================================================================================
"""
