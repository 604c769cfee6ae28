"""CNN phase classification of the 3D Edwards-Anderson spin glass with poisoned training sets.

One subpackage per stage of the pipeline, in the order the data flow; each imports only the stages before it
and the ground floor:

=================  ===========================================================================================
``mc``             parallel-tempering Monte Carlo: lattice, kernel wrapper, HDF5 chunks, equilibration
``ml``             training conditions and poisoning, training sets, the Table III CNN, training, predictions
``analysis``       bootstrap and finite-size scaling of p(T, L); Binder ratio and xi_L/L; the study's records
``robustness``     adversarial attacks and training, symmetries, the accuracy-robustness trade-off, packets
``figures``        one style, one module per stage drawn, and the tables
=================  ===========================================================================================

Ground floor: :mod:`spinglass_ml.seeds` (every random stream's spawn key), :mod:`spinglass_ml.provenance`
(versions), :mod:`spinglass_ml.jobs` (the prologue of the workflow's rule scripts). The compiled kernel is
``spinglass_ml._ptmc``, built from ``ext/ptmc.pyx``.

Subpackages import nothing on import (``import spinglass_ml.ml`` does not load TensorFlow); import the
module you need, e.g. ``from spinglass_ml.mc.simulation import simulate_chunk``.
"""
