#!/usr/bin/python3
"""Generates the scikit-learn reference fixtures for @optik/metrics tests.

Run from anywhere with Debian's Python (python3-sklearn):

    /usr/bin/python3 packages/metrics/scripts/make-fixtures.py

Writes packages/metrics/src/__tests__/fixtures/*.json. Every case is seeded, so reruns give identical files for a
given scikit-learn version (recorded in each file). Probabilities are built from small integer weights so that
scores tie across samples and inside rows, which is where ranking metrics usually go wrong.
"""
import json
import os

import numpy as np
import sklearn
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    confusion_matrix,
    log_loss,
    precision_recall_curve,
    precision_recall_fscore_support,
    roc_auc_score,
    roc_curve,
    top_k_accuracy_score,
)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "__tests__", "fixtures")


def floats(values):
    return [float(v) for v in np.asarray(values).ravel()]


def averaged(y_true, y_pred, labels, average):
    p, r, f, _ = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, average=average, zero_division=0
    )
    return {"precision": float(p), "recall": float(r), "f1": float(f)}


def multiclass_case(name, seed, n, c, never_predicted=None, continuous=False):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, c, size=n)
    # every class occurs at least once, so one-vs-rest AUC is defined for all of them
    y_true[:c] = rng.permutation(c)
    if continuous:
        weights = rng.gamma(1.0, 1.0, size=(n, c))
        weights[np.arange(n), y_true] += rng.gamma(1.0, 1.5, size=n)
    else:
        weights = rng.integers(1, 7, size=(n, c)).astype(np.float64)
        boost = rng.random(n) < 0.6
        weights[np.arange(n)[boost], y_true[boost]] += rng.integers(1, 5, size=boost.sum())
    if never_predicted is not None:
        # lowest possible weight and last column: argmax (first index on ties) never picks it
        weights[:, never_predicted] = 1.0 if not continuous else 0.0
    probs = weights / weights.sum(axis=1, keepdims=True)
    y_pred = np.argmax(probs, axis=1)
    labels = list(range(c))
    if never_predicted is not None:
        assert never_predicted not in set(y_pred.tolist())

    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, average=None, zero_division=0)
    onehot = np.eye(c)[y_true]
    roc_per_class = [float(roc_auc_score(onehot[:, j], probs[:, j])) for j in labels]
    ap_per_class = [float(average_precision_score(onehot[:, j], probs[:, j])) for j in labels]
    pr_p, pr_r, pr_t = precision_recall_curve(onehot[:, 0], probs[:, 0])
    roc_fpr, roc_tpr, roc_t = roc_curve(onehot[:, 0], probs[:, 0], drop_intermediate=False)
    top_k = {}
    for k in range(2, c):
        top_k[str(k)] = float(top_k_accuracy_score(y_true, probs, k=k, labels=labels))
    return {
        "name": name,
        "kind": "multiclass",
        "sklearnVersion": sklearn.__version__,
        "numClasses": c,
        "yTrue": [int(v) for v in y_true],
        "probs": [floats(row) for row in probs],
        "expected": {
            "yPred": [int(v) for v in y_pred],
            "accuracy": float(accuracy_score(y_true, y_pred)),
            "topK": top_k,
            "confusionMatrix": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
            "perClass": {
                "precision": floats(p),
                "recall": floats(r),
                "f1": floats(f),
                "support": [int(v) for v in s],
            },
            "macro": averaged(y_true, y_pred, labels, "macro"),
            "micro": averaged(y_true, y_pred, labels, "micro"),
            "weighted": averaged(y_true, y_pred, labels, "weighted"),
            "rocAuc": {
                "perClass": roc_per_class,
                "macro": float(roc_auc_score(y_true, probs, multi_class="ovr", average="macro", labels=labels)),
            },
            "averagePrecision": {
                "perClass": ap_per_class,
                "macro": float(average_precision_score(onehot, probs, average="macro")),
            },
            "logLoss": float(log_loss(y_true, probs, labels=labels)),
            "class0Curves": {
                "pr": {"precision": floats(pr_p), "recall": floats(pr_r), "thresholds": floats(pr_t)},
                "roc": {"fpr": floats(roc_fpr), "tpr": floats(roc_tpr), "thresholds": floats(roc_t)},
            },
        },
    }


def binary_case(name, seed, n, threshold, steps):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 2, size=n)
    y_true[:2] = [0, 1]
    # scores on a coarse grid (0, 1/steps, …, 1): many ties, and exact 0 and 1 to exercise log-loss clipping
    noisy = np.clip(0.4 * y_true + 0.65 * rng.random(n), 0, 1)
    probs = np.round(noisy * steps) / steps
    y_pred = (probs > threshold).astype(int)
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=[0, 1], average=None, zero_division=0)
    pr_p, pr_r, pr_t = precision_recall_curve(y_true, probs)
    roc_fpr, roc_tpr, roc_t = roc_curve(y_true, probs, drop_intermediate=False)
    bp, br, bf, _ = precision_recall_fscore_support(y_true, y_pred, average="binary", zero_division=0)
    return {
        "name": name,
        "kind": "binary",
        "sklearnVersion": sklearn.__version__,
        "threshold": threshold,
        "yTrue": [int(v) for v in y_true],
        "probs": floats(probs),
        "expected": {
            "yPred": [int(v) for v in y_pred],
            "accuracy": float(accuracy_score(y_true, y_pred)),
            "precision": float(bp),
            "recall": float(br),
            "f1": float(bf),
            "confusionMatrix": confusion_matrix(y_true, y_pred, labels=[0, 1]).tolist(),
            "perClass": {
                "precision": floats(p),
                "recall": floats(r),
                "f1": floats(f),
                "support": [int(v) for v in s],
            },
            "macro": averaged(y_true, y_pred, [0, 1], "macro"),
            "weighted": averaged(y_true, y_pred, [0, 1], "weighted"),
            "rocAuc": float(roc_auc_score(y_true, probs)),
            "averagePrecision": float(average_precision_score(y_true, probs)),
            "logLoss": float(log_loss(y_true, probs, labels=[0, 1])),
            "curves": {
                "pr": {"precision": floats(pr_p), "recall": floats(pr_r), "thresholds": floats(pr_t)},
                "roc": {"fpr": floats(roc_fpr), "tpr": floats(roc_tpr), "thresholds": floats(roc_t)},
            },
        },
    }


CASES = [
    binary_case("binary-ties", seed=1, n=80, threshold=0.5, steps=10),
    binary_case("binary-threshold-0.3", seed=2, n=57, threshold=0.3, steps=20),
    multiclass_case("multiclass-3", seed=3, n=45, c=3),
    multiclass_case("multiclass-4-continuous", seed=4, n=70, c=4, continuous=True),
    multiclass_case("multiclass-5-never-predicted", seed=5, n=90, c=5, never_predicted=4),
    multiclass_case("multiclass-10-ties", seed=10, n=240, c=10),
]


def main():
    os.makedirs(OUT, exist_ok=True)
    for case in CASES:
        path = os.path.join(OUT, case["name"] + ".json")
        with open(path, "w") as fh:
            json.dump(case, fh, separators=(",", ":"))
            fh.write("\n")
        print("wrote", os.path.relpath(path))


if __name__ == "__main__":
    main()
