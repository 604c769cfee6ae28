"""The results of a run from the kernels' state: window averages, log-bin averages, swap rates, snapshots and
the final configurations, in the shapes of the Monte Carlo HDF5 contract (:mod:`spinglass_ml.mc.chunks`)."""

from __future__ import annotations

import numpy as np

from spinglass_ml.mc.schedule import log_bin_counts, window_count
from spinglass_ml.mc.state import unpack_lanes


def readout(state, path: str, n_i: int, n_T: int, sweeps: int) -> dict[str, np.ndarray]:
    """The results of a run of ``sweeps`` that ends in ``state`` (``simulation.run_pt``)."""
    L = round(state.snaps.shape[-1] ** (1 / 3))  # snaps: (n, n_T, n_con, L^3)
    if path == "multispin":
        bits = unpack_lanes(state.spins)[:n_i, :, : 2 * n_T]  # (n_i, N, 2 n_T), slot c n_T + t
        final = (1 - 2 * bits.astype(np.int8)).reshape(n_i, -1, 2, n_T).transpose(0, 3, 2, 1)
        final_energy = state.energy[:n_i].reshape(n_i, 2, n_T).transpose(0, 2, 1).astype(np.float64)
        return _results(state, final, final_energy, n_i, L, sweeps)
    idx = np.arange(state.perm.shape[0])[:, None, None]
    slots = state.perm.transpose(0, 2, 1)  # (n_i, n_T, 2)
    final = state.spins.transpose(0, 2, 1)[idx, slots]  # (n_i, n_T, 2, N)
    return _results(state, final, state.energy[idx, slots], state.perm.shape[0], L, sweeps)


def _results(state, final: np.ndarray, final_energy: np.ndarray, n_i: int, L: int, sweeps: int) -> dict:
    """Turn the kernel's sums (first n_i rows) into window averages and contract-shaped arrays; final:
    (n_i, n_T, 2, N) spins, final_energy: (n_i, n_T, 2) their tracked energies."""
    n_meas = sweeps // 2
    acc = state.acc[:n_i] / window_count(sweeps)
    bins = state.bins[:n_i] / log_bin_counts(sweeps)
    n_T = acc.shape[-1]
    return {
        "energy": acc[:, 0],
        "link_overlap": acc[:, 1],
        "q2": acc[:, 2],
        "q4": acc[:, 3],
        "qk2": acc[:, 4],
        "logbins/energy": bins[:, 0],
        "logbins/link_overlap": bins[:, 1],
        "logbins/q2": bins[:, 2],
        "swap_acceptance": state.swaps[:n_i] / (2.0 * n_meas),
        "overlaps": state.snaps[:n_i].reshape(n_i, n_T, -1, L, L, L),
        "final_spins": final.astype(np.int8).reshape(n_i, n_T, 2, L, L, L),
        "final_energy": final_energy,
    }
