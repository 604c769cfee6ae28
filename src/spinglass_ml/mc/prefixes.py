"""Prefix data sets: the first S' sweeps of a run, recorded on the way as if they were a run of S' sweeps.

A data set simulated with fewer sweeps (the training data of ``therm-<fraction>``) need not be simulated
again: with the same instance seeds its chain is the first S' sweeps of the full run's chain, so the full
run measures it on the way (:func:`spinglass_ml.mc.simulation.run_pt` with ``prefixes``) and goes on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from spinglass_ml.mc.schedule import MEASURE_EVERY, n_log_bins
from spinglass_ml.mc.state import MultispinState, PTState


def prefix_stages(sweeps: int, prefixes: Sequence[int], n_con: int) -> list[int]:
    """The sweeps at which a run with prefix data sets finishes one: the prefixes ascending, then ``sweeps``.

    A prefix data set of S' sweeps is the first S' sweeps of the chain measured as a run of S' sweeps: its
    chain is the same (measurements draw no random numbers), its window the last S' // 2 of them. The longer
    run carries on from the same state with its own window sums, so each prefix must end before the window
    of the next data set begins (S' <= S - S // 2), and be a multiple of MEASURE_EVERY, so that both runs
    measure the same sweeps below S' and the log bins up to S' are the same sums, added in the same order.
    """
    stages = sorted({int(s) for s in prefixes}) + [int(sweeps)]
    for s, nxt in zip(stages[:-1], stages[1:], strict=False):
        if s != int(s) or s < 2 or s % MEASURE_EVERY:
            raise ValueError(f"prefixes: need multiples of {MEASURE_EVERY} of at least 4, got {s}")
        if s > nxt - nxt // 2:
            raise ValueError(
                f"prefixes: {s} sweeps reach into the measurement window of the {nxt}-sweep data set "
                f"(its last {nxt // 2} sweeps)"
            )
        if n_con > s // 2:
            raise ValueError(f"n_con: need n_con <= {s // 2} for the {s}-sweep prefix, got {n_con}")
    return stages


def carry_on(state: PTState | MultispinState, sweeps: int) -> PTState | MultispinState:
    """The state at the end of a prefix, ready to go on as a run of ``sweeps``: the same chain and log-bin
    sums (more bins), and empty window sums and snapshots."""
    bins = np.zeros((*state.bins.shape[:-1], n_log_bins(sweeps)))
    bins[..., : state.bins.shape[-1]] = state.bins
    zero = {k: np.zeros_like(getattr(state, k)) for k in ("acc", "swaps", "snaps")}
    return replace(state, bins=bins, **zero)


def chainable(sweeps: int, candidates: Sequence[int], n_con: int) -> list[int]:
    """The candidate sweeps a run of ``sweeps`` can record as prefix data sets (:func:`prefix_stages`),
    ascending: from the longest down, each that ends before the window of the last one kept. The others
    (a fraction above 1/2, sweeps not a multiple of MEASURE_EVERY) are simulated on their own."""
    kept: list[int] = []
    for s in sorted({int(c) for c in candidates if c < sweeps}, reverse=True):
        try:
            prefix_stages(kept[-1] if kept else sweeps, [s], n_con)
        except ValueError:
            continue
        kept.append(s)
    return kept[::-1]
