"""The Monte Carlo stage: parallel tempering of the 3D Edwards-Anderson Ising spin glass.

=====================  ======================================================================================
:mod:`.lattice`        geometry, couplings, energy and overlaps of configurations (NumPy)
:mod:`.schedule`       temperature grids; which sweeps are measured; log bins and the measurement window
:mod:`.state`          the kernels' state between calls and its random initialisation
:mod:`.checkpoint`     atomic checkpoints that resume only the run that wrote them
:mod:`.simulation`     the kernel's Python side: ``run_pt``, ``simulate_chunk`` (one chunk of instances)
:mod:`.readout`        a run's results from the kernels' state, in the contract's shapes
:mod:`.prefixes`       prefix data sets: the first S' sweeps of a run recorded on the way (therm data)
:mod:`.chunks`         the HDF5 chunk contract: ``write_chunk``, ``read_chunk``, ``CorruptChunkError``
:mod:`.equilibration`  the certificate (log bins of e, q_l, q^2; Gaussian identity), training gate, reports
:mod:`.exact`          exact averages of tiny lattices (enumeration, plane transfer matrix) for tests
:mod:`.numpy_baseline` the same algorithm as a vectorised NumPy checkerboard, the speed baseline
:mod:`.benchmark`      ``python -m spinglass_ml.mc.benchmark``: ns per attempted flip of every kernel path
=====================  ======================================================================================
"""
