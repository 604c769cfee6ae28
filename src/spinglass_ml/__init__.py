"""CNN phase classification of the 3D Edwards-Anderson spin glass with poisoned training sets.

Modules, one concern each: ``lattice`` (geometry and reference observables), ``simulation`` (the
parallel-tempering kernel's Python side), ``mcio`` (the Monte Carlo HDF5 contract), ``exact`` (exact
enumeration of tiny lattices), ``reference`` (the NumPy baseline implementation), ``diagnostics``
(equilibration checks), ``benchmark`` (kernel timing); the machine-learning half: ``poison`` (training
conditions, label flips), ``dataset`` (streaming training sets from HDF5), ``model`` (the Table III CNN),
``train`` and ``predict``; the analysis: ``fss`` (finite-size scaling of p(T, L)) and ``observables``
(Binder ratio, xi_L/L); the extensions: ``attacks``, ``adversarial``, ``symmetry``, ``tradeoff`` and
``uncertainty``; and the output: ``plotting`` and ``tables``.
"""
