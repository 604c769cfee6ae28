"""Every random stream of the study, in one table.

Each stream is a ``numpy.random.SeedSequence(seed, spawn_key=key)`` of the config's ``seed`` and a key
naming the item it belongs to, so a number depends only on the config seed and the item's identity (never
on chunking, thread count, job order or the other conditions):

============================  ==========================================  ==================================
stream                        spawn key                                   drawn in (``spinglass_ml.``)
============================  ==========================================  ==================================
couplings of an instance      ``(d, L, i, STREAM_COUPLINGS)``             ``mc.simulation``
Monte Carlo of an instance    ``(d, L, i, STREAM_MC)``                    ``mc.state`` (spins, lanes, swaps)
train/validation split        ``(STREAM_SPLIT, L)``                       ``ml.dataset``
label flips                   ``(STREAM_FLIP, L)``                        ``ml.conditions``
training order of epoch e     ``(STREAM_SHUFFLE, L, 0, e)``               ``ml.blocks``
validation order              ``(STREAM_SHUFFLE, L, 1, 0)``               ``ml.blocks``
bootstrap of instances        ``(STREAM_BOOTSTRAP, L, d)``                ``analysis.bootstrap``
weight initialisation         ``seed``; model k >= 1: ``(STREAM_INIT, k)``  ``ml.train`` (:func:`init_seed`)
attack random starts          ``(STREAM_ATTACK, L, epsilon index)``       ``robustness.adversarial``
adversarial training starts   ``(STREAM_ADVERSARIAL_TRAINING, L)``        ``robustness.adversarial_training``
packet moments                ``(STREAM_MOMENTS, L, model, epoch, k)``    ``robustness.tradeoff``
============================  ==========================================  ==================================

``d`` is :data:`DISORDER_CODE` of the disorder, ``i`` the instance's index. Model k of a seed ensemble
(``ml.seeds``; k = 0 is the single model of a one-seed study) appends :func:`model_key` ``(k,)`` to its
label-flip, training-order and adversarial-training keys and draws its initialisation from
``(STREAM_INIT, k)``; for k = 0 every key is as above, and the train/validation split and the validation order
are shared by all k (every model of an ensemble sees the same instances). Keys of different lengths are
different streams, so the short machine-learning keys never meet the four-element instance keys.
"""

from __future__ import annotations

import numpy as np

DISORDER_CODE = {"gaussian": 0, "bimodal": 1}
STREAM_COUPLINGS, STREAM_MC = 0, 1  # last element of an instance's key
STREAM_SPLIT, STREAM_FLIP, STREAM_SHUFFLE = 0, 1, 2
STREAM_BOOTSTRAP = 3
STREAM_INIT = 4
STREAM_ATTACK = 10
STREAM_ADVERSARIAL_TRAINING = 11
STREAM_MOMENTS = 80


def instance_seed(seed: int, disorder: str, L: int, instance: int, stream: int) -> np.random.SeedSequence:
    """The seed sequence of one random stream (``STREAM_COUPLINGS`` or ``STREAM_MC``) of one instance."""
    return np.random.SeedSequence(seed, spawn_key=(DISORDER_CODE[disorder], L, instance, stream))


def stream_seed(seed: int, stream: int, L: int, *key: int) -> np.random.SeedSequence:
    """The seed sequence of a per-size stream: ``spawn_key=(stream, L, *key)``."""
    return np.random.SeedSequence(seed, spawn_key=(stream, L, *key))


def model_key(model: int) -> tuple[int, ...]:
    """The key suffix of model ``model`` of a seed ensemble: ``()`` for model 0 (so a one-seed study draws the
    streams it always drew), ``(model,)`` for the others."""
    if model < 0:
        raise ValueError(f"model index must be >= 0, got {model}")
    return (model,) if model else ()


def init_seed(seed: int, model: int) -> int:
    """The weight-initialisation seed of model ``model``: the config seed itself for model 0, else a 32-bit
    integer drawn from ``SeedSequence(seed, spawn_key=(STREAM_INIT, model))``."""
    if not model_key(model):
        return int(seed)
    return int(np.random.SeedSequence(seed, spawn_key=(STREAM_INIT, model)).generate_state(1)[0])
