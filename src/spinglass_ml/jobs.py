"""The prologue every rule script of the workflow shares (``workflow/scripts/``).

A rule script is an adapter: it reads its inputs, makes one call into the package and writes its outputs,
inside ``with job(snakemake) as log:``. :func:`job` sends logging to the job's log file (the rule's own
lines and the package's at INFO, other libraries' at WARNING, so that e.g. fontTools' subsetting chatter
stays out), logs a failure with its traceback before Snakemake sees it, and can set TensorFlow's threads to
the job's ``threads``.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any


def configure_logging(snakemake: Any) -> logging.Logger:
    """Log to ``snakemake.log[0]``; returns the logger of the rule, named after it."""
    logging.basicConfig(filename=snakemake.log[0], level=logging.WARNING, format="%(asctime)s %(message)s")
    logging.getLogger("spinglass_ml").setLevel(logging.INFO)
    logger = logging.getLogger(snakemake.rule)
    logger.setLevel(logging.INFO)
    return logger


def set_tensorflow_threads(threads: int) -> None:
    """TensorFlow's intra- and inter-op thread pools to ``threads`` (before any TensorFlow op runs)."""
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)


@contextlib.contextmanager
def job(snakemake: Any, *, tensorflow: bool = False) -> Iterator[logging.Logger]:
    """The body of a rule script: logging configured, TensorFlow threads set if ``tensorflow``, and an
    exception logged with its traceback (then re-raised, so the job fails)."""
    logger = configure_logging(snakemake)
    try:
        if tensorflow:
            set_tensorflow_threads(snakemake.threads)
        yield logger
    except Exception:
        logger.exception("%s failed", snakemake.rule)
        raise
