"""The prologue every rule script of the workflow shares (``workflow/scripts/``).

A rule script is an adapter: it reads its inputs, makes one call into the package and writes its outputs,
inside ``with job(snakemake) as log:``. :func:`job` sends logging and standard error to the job's log file
(the rule's own lines and the package's at INFO, other libraries' at WARNING, so that e.g. fontTools'
subsetting chatter stays out), logs a failure with its traceback before Snakemake sees it, and can set
TensorFlow's threads to the job's ``threads``.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def configure_logging(snakemake: Any) -> logging.Logger:
    """Log to ``snakemake.log[0]``, and send the process's standard error there too (TensorFlow's C++
    start-up lines, library warnings), so the job's log keeps everything and the terminal only Snakemake's
    own lines; returns the logger of the rule, named after it."""
    Path(snakemake.log[0]).parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(snakemake.log[0], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.dup2(fd, 2)
    os.close(fd)
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
