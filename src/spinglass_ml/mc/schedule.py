"""When the kernels measure: the temperature grid, the thinned measured sweeps, log bins and the window.

Log bin k averages the measured sweeps with 0-based index u in [2^k, 2^(k+1)) (u = 0 joins bin 0), so for a
power-of-two number of sweeps the last bin is exactly the measurement window, the last ``sweeps // 2``
sweeps. The C kernels apply the same rule (``ptmc_measured``, ``ptmc_log_bin`` in ``ext/``); a test checks
that both count the same sweeps.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

MEASURE_EVERY = 4  # measure on every 4th sweep (plus the first 8 and the last): see measured_sweeps


def temperature_grid(tmin: float, tmax: float, n: int, spacing: str = "geometric") -> np.ndarray:
    """Ascending temperatures, float64 (n,): geometric (constant ratio, the usual PT choice) or linear."""
    if not 0 < tmin < tmax:
        raise ValueError(f"temperatures: need 0 < min < max, got min={tmin}, max={tmax}")
    if n < 2:
        raise ValueError(f"temperatures: need n >= 2, got {n}")
    if spacing == "geometric":
        return np.geomspace(tmin, tmax, n)
    if spacing == "linear":
        return np.linspace(tmin, tmax, n)
    raise ValueError(f"temperatures: spacing must be 'geometric' or 'linear', got {spacing!r}")


def temperature_ladder(spec: Mapping) -> np.ndarray:
    """The parallel-tempering ladder of a grid spec ``{min, max, n, spacing[, hot]}``, float64 ascending.

    Its first ``n`` temperatures are :func:`temperature_grid`, the measured ones. ``hot: {max, n}`` appends
    ``hot.n`` temperatures above ``max``, geometric up to ``hot.max``: they are simulated, never measured, and
    give the low temperatures a fast-decorrelating hot end (a grid that stops near T_c equilibrates slowly).
    """
    grid = temperature_grid(spec["min"], spec["max"], spec["n"], spec.get("spacing", "geometric"))
    hot = spec.get("hot")
    if not hot:
        return grid
    if not hot["max"] > spec["max"] or int(hot["n"]) != hot["n"] or hot["n"] < 1:
        raise ValueError(f"temperatures.hot: need max > {spec['max']} and n >= 1, got {dict(hot)}")
    return np.concatenate([grid, np.geomspace(spec["max"], hot["max"], int(hot["n"]) + 1)[1:]])


def measured_sweeps(sweeps: int) -> np.ndarray:
    """Which sweeps the kernels measure, bool (sweeps,): the first 2 MEASURE_EVERY (the short early log bins),
    every sweep u with u % MEASURE_EVERY == MEASURE_EVERY - 1, and the last one, so that no log bin and no
    window is empty. Consecutive sweeps are strongly correlated, so skipping the others costs little
    precision and most of the measurement time; exchanges and snapshots are not thinned."""
    u = np.arange(sweeps)
    m = MEASURE_EVERY
    return (u < 2 * m) | (u % m == m - 1) | (u == sweeps - 1)


def n_log_bins(sweeps: int) -> int:
    """Number of log bins [2^k, 2^(k+1)) covering the 0-based sweep indices 0..sweeps-1 (0 joins bin 0)."""
    return max(int(sweeps - 1).bit_length(), 1)


def log_bin_counts(sweeps: int) -> np.ndarray:
    """Measured sweeps (see :func:`measured_sweeps`) in each log bin, int64 (n_bins,)."""
    u = np.maximum(np.arange(sweeps), 1)[measured_sweeps(sweeps)]
    return np.bincount(np.floor(np.log2(u)).astype(int), minlength=n_log_bins(sweeps))


def window_count(sweeps: int) -> int:
    """Measured sweeps in the measurement window (the last sweeps // 2)."""
    return int(np.count_nonzero(measured_sweeps(sweeps)[sweeps - sweeps // 2 :]))
