"""Adversarial robustness of trained phase classifiers on held-out Gaussian snapshots: the record of
``results/robustness/adversarial/L{L}.json``.

For each model (the clean one and every adversarially trained ``adv-<epsilon>`` one of the same L), on the
same test examples (the held-out validation instances of the clean model, in the fixed shuffled order of the
validation stream):

* every continuous attack of :data:`ATTACKS` over the ε ladder: robust accuracy, robust accuracy after
  mapping the adversarial examples back to ±1 (:func:`spinglass_ml.robustness.attacks.sign_project`), the mean
  confidence (probability of the wrong class) of the fooled predictions, and the fraction of correctly
  classified examples fooled near the transition (|T - threshold| <= ``near_tc``) and far from it;
* the discrete site-flip attack: robust accuracy against the number of flipped sites, and the flips needed
  per example;
* the fraction fooled per temperature (PGD at ``report_epsilon``, and within ``max_flips`` flips);
* symmetry violations (:func:`spinglass_ml.robustness.symmetry.symmetry_violations`) on the first
  ``symmetry_examples`` examples;
* mean convolution activation maps of ordered (label 0), disordered (label 1) and adversarial examples
  (PGD at ``report_epsilon``, grouped by their true label).

An example is "fooled" if it was classified correctly and its adversarial example is not. Accuracies are
fractions of all test examples.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from spinglass_ml.ml.blocks import iter_batches
from spinglass_ml.ml.dataset import ExampleIndex, build_index
from spinglass_ml.ml.model import load_model
from spinglass_ml.robustness.attacks import fgsm, flip_attack, momentum_iterative, pgd, sign_project
from spinglass_ml.robustness.records import write_adversarial_record
from spinglass_ml.robustness.symmetry import class_probabilities, mean_activation_maps, symmetry_violations
from spinglass_ml.seeds import STREAM_ATTACK, STREAM_SHUFFLE, stream_seed

ATTACKS = ("fgsm", "pgd", "pgd_random_start", "momentum")


@dataclass(frozen=True)
class HeldOutSet:
    """Held-out examples.

    Attributes
    ----------
    x : float32 (n, L, L, L) ±1 overlaps
    y : int32 (n,) labels (1: T > threshold)
    T : float64 (n,) temperatures
    instance : int64 (n,) disorder instance ids
    threshold : the labelling temperature
    """

    x: np.ndarray
    y: np.ndarray
    T: np.ndarray
    instance: np.ndarray
    threshold: float


def held_out_examples(index: ExampleIndex, seed: int, limit: int | None) -> HeldOutSet:
    """The first ``limit`` examples (all if None) of ``index`` in the order of the validation stream
    (``stream_seed(seed, STREAM_SHUFFLE, L, 1)``), as a :class:`HeldOutSet`."""
    batches = iter_batches(index, 4096, stream_seed(seed, STREAM_SHUFFLE, index.L, 1), limit=limit)
    xs, ys, ps = zip(*batches, strict=True)
    rows = index.table(np.concatenate(ps))
    return HeldOutSet(
        x=np.concatenate(xs).astype(np.float32),
        y=np.concatenate(ys),
        T=index.temperatures[rows["t"]],
        instance=rows["instance"],
        threshold=index.threshold,
    )


def run_attack(
    model: keras.Model, name: str, x: np.ndarray, y: np.ndarray, epsilon: float, settings: Mapping, seed
) -> np.ndarray:
    """One continuous attack of :data:`ATTACKS` at radius ``epsilon``: float32 adversarial examples.

    ``settings`` holds ``steps``, ``step_fraction`` (step size = step_fraction x epsilon), ``momentum_decay``
    and ``loss_on``; ``seed`` seeds the random start of "pgd_random_start".
    """
    step = max(settings["step_fraction"] * epsilon, 1e-12)  # epsilon = 0: any step, the ball is a point
    common = dict(loss_on=settings["loss_on"])
    if name == "fgsm":
        return fgsm(model, x, y, epsilon, **common)
    if name in ("pgd", "pgd_random_start"):
        rs = name == "pgd_random_start"
        return pgd(model, x, y, epsilon, step, settings["steps"], random_start=rs, seed=seed, **common)
    if name == "momentum":
        return momentum_iterative(model, x, y, epsilon, step, settings["steps"], settings["momentum_decay"],
                                  **common)  # fmt: skip
    raise ValueError(f"attack: expected one of {ATTACKS}, got {name!r}")


def attack_settings(name: str, settings: Mapping) -> dict:
    """What an attack records: its settings (the step size is step_fraction x epsilon)."""
    out = {"loss_on": settings["loss_on"], "norm": "Linf", "input_range": [-1.0, 1.0]}
    if name == "fgsm":
        return {**out, "steps": 1, "step_size": "epsilon", "random_start": False}
    out.update(steps=settings["steps"], step_size=f"{settings['step_fraction']} x epsilon")
    out["random_start"] = name == "pgd_random_start"
    if name == "momentum":
        out["momentum_decay"] = settings["momentum_decay"]
    return out


def _fooled_summary(probs_adv: np.ndarray, correct: np.ndarray, test: HeldOutSet, near: np.ndarray) -> dict:
    pred = probs_adv.argmax(axis=1)
    fooled = correct & (pred != test.y)
    n_near, n_far = (correct & near).sum(), (correct & ~near).sum()
    return {
        "accuracy": float(np.mean(pred == test.y)),
        "fooled_confidence": float(probs_adv[fooled].max(axis=1).mean()) if fooled.any() else None,
        "fooled_near_tc": float((fooled & near).sum() / n_near) if n_near else None,
        "fooled_far": float((fooled & ~near).sum() / n_far) if n_far else None,
    }


def by_temperature(test: HeldOutSet, correct: np.ndarray, fooled: np.ndarray) -> list[float | None]:
    """Fraction of the correctly classified examples at each temperature that are fooled (None if none)."""
    out = []
    for T in np.unique(test.T):
        at = correct & (test.T == T)
        out.append(float(fooled[at].sum() / at.sum()) if at.any() else None)
    return out


def evaluate_model(model: keras.Model, test: HeldOutSet, settings: Mapping, seed: int) -> dict:
    """The robustness record of one model (see the module docstring).

    Parameters
    ----------
    model : trained classifier for the test set's L
    test : held-out examples
    settings : the ``robustness.adversarial`` config section (epsilons, steps, step_fraction,
        momentum_decay, loss_on, max_flips, report_epsilon, near_tc, symmetry_examples)
    seed : the config seed; random starts use ``SeedSequence(seed, spawn_key=(STREAM_ATTACK, L, k))`` for
        the k-th epsilon

    Returns
    -------
    JSON-ready dict: ``clean_accuracy``, ``attacks`` (per attack: ``settings``, ``epsilon`` and, per
    epsilon, ``robust_accuracy``, ``robust_accuracy_sign``, ``fooled_confidence``, ``fooled_near_tc``,
    ``fooled_far``), ``flips`` (``max_flips``, ``robust_accuracy`` for k = 0..max_flips flipped sites,
    ``flips_needed`` quantiles of the fooled examples, ``fooled_within_budget``), ``by_temperature``
    (``T``, ``pgd_fooled`` at report_epsilon, ``flip_fooled``), ``symmetry`` and ``activation_maps``
    (name -> nested list (m, m, m, channels)).
    """
    L = test.x.shape[1]
    probs = class_probabilities(model, test.x)
    correct = probs.argmax(axis=1) == test.y
    near = np.abs(test.T - test.threshold) <= settings["near_tc"]
    epsilons = [float(e) for e in settings["epsilons"]]
    report = float(settings["report_epsilon"])
    x_report = None  # PGD examples at report_epsilon: taken from the ladder when it holds that radius
    attacks = {}
    for name in ATTACKS:
        rows = {k: [] for k in ("robust_accuracy", "robust_accuracy_sign", "fooled_confidence",
                                "fooled_near_tc", "fooled_far")}  # fmt: skip
        for k, eps in enumerate(epsilons):
            rs_seed = np.random.default_rng(stream_seed(seed, STREAM_ATTACK, L, k))
            x_adv = run_attack(model, name, test.x, test.y, eps, settings, rs_seed)
            if name == "pgd" and eps == report:
                x_report = x_adv
            summary = _fooled_summary(class_probabilities(model, x_adv), correct, test, near)
            rows["robust_accuracy"].append(summary["accuracy"])
            pred_sign = class_probabilities(model, sign_project(x_adv, test.x)).argmax(axis=1)
            rows["robust_accuracy_sign"].append(float(np.mean(pred_sign == test.y)))
            for key in ("fooled_confidence", "fooled_near_tc", "fooled_far"):
                rows[key].append(summary[key])
        attacks[name] = {"settings": attack_settings(name, settings), "epsilon": epsilons, **rows}

    max_flips = int(settings["max_flips"])
    _, flips = flip_attack(model, test.x, test.y, max_flips)
    fooled_flips = flips[correct & np.isfinite(flips)]
    if x_report is None:
        x_report = run_attack(model, "pgd", test.x, test.y, report, settings, None)
    pgd_fooled = correct & (class_probabilities(model, x_report).argmax(axis=1) != test.y)
    groups = {
        "ordered": test.x[test.y == 0],
        "disordered": test.x[test.y == 1],
        "adversarial_ordered": x_report[test.y == 0],
        "adversarial_disordered": x_report[test.y == 1],
    }
    n_sym = min(int(settings["symmetry_examples"]), len(test.x))
    return {
        "clean_accuracy": float(correct.mean()),
        "attacks": attacks,
        "flips": {
            "settings": {
                "method": "greedy single-site flips, gradient of the logit margin",
                "max_flips": max_flips,
            },
            "k": list(range(max_flips + 1)),
            "robust_accuracy": [float(np.mean(correct & (flips > k))) for k in range(max_flips + 1)],
            "fooled_within_budget": float(fooled_flips.size / max(correct.sum(), 1)),
            "flips_needed_quantiles": {
                q: float(np.quantile(fooled_flips, float(q))) if fooled_flips.size else None
                for q in ("0.1", "0.5", "0.9")
            },
            "flips_needed_fraction_of_sites_median": (
                float(np.median(fooled_flips) / L**3) if fooled_flips.size else None
            ),
        },
        "by_temperature": {
            "T": [float(T) for T in np.unique(test.T)],
            "pgd_epsilon": report,
            "pgd_fooled": by_temperature(test, correct, pgd_fooled),
            "flip_fooled": by_temperature(test, correct, np.isfinite(flips) & correct),
        },
        "symmetry": {"examples": n_sym, **symmetry_violations(model, test.x[:n_sym])},
        "activation_maps": {
            "pgd_epsilon": report,
            "maps": {k: v.tolist() for k, v in mean_activation_maps(model, groups).items()},
        },
    }


def robustness_record(
    models: Mapping[str, str | Path],
    held_out: Mapping[str, np.ndarray],
    chunks: Sequence[str | Path],
    settings: Mapping,
    *,
    seed: int,
    threshold: float,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Evaluate every model of one L on the same held-out examples: the content of ``L{L}.json``.

    Parameters
    ----------
    models : condition name -> model path (``results/models/{condition}/L{L}.keras``)
    held_out : condition name -> its held-out (validation) instance ids, from the model's flips file; they
        must agree (the split does not depend on the condition)
    chunks : the equilibrated Gaussian chunk files of this L
    settings : the ``robustness.adversarial.evaluation`` config section
    seed, threshold : the config seed and the labelling temperature (``ml.threshold``)
    progress : called with a line per evaluated model

    Returns
    -------
    JSON-ready dict: ``L``, ``seed``, ``settings``, ``test_set`` (examples, instances, threshold, near_tc
    counts) and ``models`` (condition -> :func:`evaluate_model`).
    """
    names = list(models)
    instances = np.asarray(held_out[names[0]], np.int64)
    for name in names[1:]:
        if not np.array_equal(np.sort(held_out[name]), np.sort(instances)):
            raise ValueError(f"model {name}: its held-out instances differ from those of {names[0]}")
    index = build_index(chunks, threshold).select_instances(instances)
    if index.blocks.size == 0:
        raise ValueError("robustness_record: none of the held-out instances is in the chunk files")
    test = held_out_examples(index, seed, settings["test_examples"])
    near = np.abs(test.T - threshold) <= settings["near_tc"]
    record = {
        "L": index.L,
        "seed": seed,
        "settings": dict(settings),
        "test_set": {
            "examples": int(test.y.size),
            "instances": [int(i) for i in np.unique(test.instance)],
            "label_1_fraction": float(test.y.mean()),
            "threshold": threshold,
            "near_tc_examples": int(near.sum()),
        },
        "models": {},
    }
    for name in names:
        record["models"][name] = evaluate_model(load_model(models[name]), test, settings, seed)
        if progress:
            m = record["models"][name]
            progress(f"{name}: clean accuracy {m['clean_accuracy']:.4f}, PGD robust accuracy "
                     + ", ".join(f"{e:g}: {a:.3f}" for e, a in zip(m["attacks"]["pgd"]["epsilon"],
                                                                   m["attacks"]["pgd"]["robust_accuracy"],
                                                                   strict=True)))  # fmt: skip
    return record


def write_robustness_record(
    path: str | Path,
    models: Mapping[str, str | Path],
    flips: Mapping[str, str | Path],
    chunks: Sequence[str | Path],
    settings: Mapping,
    *,
    seed: int,
    threshold: float,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """:func:`robustness_record` of the models, their held-out instances read from each model's flips file
    (``validation_instances``), written as JSON to ``path``."""
    held_out = {name: np.load(f)["validation_instances"] for name, f in flips.items()}
    record = robustness_record(models, held_out, chunks, settings, seed=seed, threshold=threshold,
                               progress=progress)  # fmt: skip
    write_adversarial_record(path, record)
    return record
