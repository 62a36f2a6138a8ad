#!/usr/bin/python3
"""Generates the reference fixtures for @optik/metrics' LocalizationMetrics (numpy + scikit-learn).

Run from anywhere with Debian's Python (apt-get install -y python3-sklearn python3-numpy):

    /usr/bin/python3 packages/metrics/scripts/make-localization-fixtures.py

Writes packages/metrics/src/__tests__/fixtures/localization-*.json. Every case is seeded. Localization = one object
per image: a true class and box, a predicted probability row and box. Boxes are absolute-pixel xyxy. The class
scores come from scikit-learn; the IoUs from a vectorised numpy computation written here, independently of the
TypeScript code. Cases include identical boxes, disjoint and touching boxes, empty and inverted predictions, IoUs of
exactly 0.5 and 0.75 (integer coordinates, so the threshold comparison is exact in both languages), tied
probabilities, a class never predicted and a class absent from the labels.
"""
import json
import os

import numpy as np
import sklearn
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "__tests__", "fixtures")


def iou_numpy(a, b):
    """Row-wise IoU of two [n, 4] xyxy arrays; inverted boxes have area 0; 0 where the union is empty."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    iw = np.clip(np.minimum(a[:, 2], b[:, 2]) - np.maximum(a[:, 0], b[:, 0]), 0, None)
    ih = np.clip(np.minimum(a[:, 3], b[:, 3]) - np.maximum(a[:, 1], b[:, 1]), 0, None)
    inter = iw * ih
    area_a = np.clip(a[:, 2] - a[:, 0], 0, None) * np.clip(a[:, 3] - a[:, 1], 0, None)
    area_b = np.clip(b[:, 2] - b[:, 0], 0, None) * np.clip(b[:, 3] - b[:, 1], 0, None)
    union = area_a + area_b - inter
    out = np.zeros(len(a))
    nonempty = union > 0
    out[nonempty] = inter[nonempty] / union[nonempty]
    return out


def special_pairs():
    """(true box, predicted box, expected IoU) pairs with known answers."""
    return [
        ([10, 10, 50, 40], [10, 10, 50, 40], 1.0),  # identical
        ([0, 0, 10, 10], [0, 0, 10, 5], 0.5),  # exactly 0.5
        ([0, 0, 100, 100], [0, 0, 100, 75], 0.75),  # exactly 0.75
        ([0, 0, 10, 10], [20, 20, 30, 30], 0.0),  # disjoint
        ([0, 0, 10, 10], [10, 0, 20, 10], 0.0),  # touching edges
        ([5, 5, 25, 25], [15, 15, 15, 30], 0.0),  # zero-width prediction
        ([5, 5, 25, 25], [30, 30, 10, 10], 0.0),  # inverted prediction
        ([0, 0, 10, 10], [5, 0, 15, 10], 1 / 3),  # half shifted
    ]


def localization_case(name, seed, n, c, width, height, thresholds, absent=None, never_predicted=None):
    rng = np.random.default_rng(seed)
    classes = [k for k in range(c) if k != absent]
    y_true = rng.choice(classes, size=n)
    y_true[: len(classes)] = rng.permutation(classes)

    weights = rng.integers(1, 6, size=(n, c)).astype(np.float64)
    boost = rng.random(n) < 0.65
    weights[np.arange(n)[boost], y_true[boost]] += rng.integers(1, 5, size=boost.sum())
    if never_predicted is not None:
        weights[:, never_predicted] = 0.0
    probs = weights / weights.sum(axis=1, keepdims=True)
    y_pred = np.argmax(probs, axis=1)  # first index on ties, like Optik's argmax
    if never_predicted is not None:
        assert never_predicted not in set(y_pred.tolist())

    # true boxes: random, at least 4 px wide and high, inside the image
    x1 = rng.uniform(0, width - 8, size=n)
    y1 = rng.uniform(0, height - 8, size=n)
    x2 = x1 + rng.uniform(4, width - x1)
    y2 = y1 + rng.uniform(4, height - y1)
    true_boxes = np.stack([x1, y1, x2, y2], axis=1)
    # predictions: the true box jittered by a per-sample noise level (from almost exact to far off)
    scale = np.stack([x2 - x1, y2 - y1, x2 - x1, y2 - y1], axis=1)
    noise = rng.choice([0.02, 0.1, 0.25, 0.6, 1.5], size=n)[:, None]
    pred_boxes = true_boxes + rng.normal(0, 1, size=(n, 4)) * scale * noise
    # the special pairs replace the first rows
    for i, (t, p, _) in enumerate(special_pairs()):
        true_boxes[i] = t
        pred_boxes[i] = p
    ious = iou_numpy(true_boxes, pred_boxes)
    for i, (_, _, expected) in enumerate(special_pairs()):
        assert abs(ious[i] - expected) < 1e-15, (i, ious[i], expected)

    labels = list(range(c))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, average=None, zero_division=0)
    right = y_true == y_pred
    per_class_mean_iou = [float(ious[y_true == k].mean()) if (y_true == k).any() else None for k in labels]
    loc = []
    per_class_loc = []
    for t in thresholds:
        hit = right & (ious >= t)
        loc.append({"threshold": t, "accuracy": float(hit.mean()), "boxAccuracy": float((ious >= t).mean())})
        per_class_loc.append([float(hit[y_true == k].mean()) if (y_true == k).any() else None for k in labels])

    def averaged(average):
        ap, ar, af, _ = precision_recall_fscore_support(
            y_true, y_pred, labels=labels, average=average, zero_division=0
        )
        return {"precision": float(ap), "recall": float(ar), "f1": float(af)}

    return {
        "name": name,
        "kind": "localization",
        "sklearnVersion": sklearn.__version__,
        "numpyVersion": np.__version__,
        "numClasses": c,
        "iouThresholds": thresholds,
        "yTrue": {"labels": [int(v) for v in y_true], "boxes": true_boxes.tolist()},
        "yPred": {"probabilities": probs.tolist(), "boxes": pred_boxes.tolist()},
        "expected": {
            "yPred": [int(v) for v in y_pred],
            "accuracy": float(accuracy_score(y_true, y_pred)),
            "macro": averaged("macro"),
            "weighted": averaged("weighted"),
            "confusionMatrix": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
            "meanIou": float(ious.mean()),
            "ious": [float(v) for v in ious],
            "locAccuracy": loc,
            "perClass": {
                "precision": [float(v) for v in p],
                "recall": [float(v) for v in r],
                "f1": [float(v) for v in f],
                "support": [int(v) for v in s],
                "meanIou": per_class_mean_iou,
                # locAccuracy[t][k]: threshold index t, class k
                "locAccuracy": per_class_loc,
            },
        },
    }


CASES = [
    localization_case("localization-3", seed=21, n=64, c=3, width=96, height=64, thresholds=[0.5, 0.75]),
    localization_case(
        "localization-5-absent-and-never-predicted",
        seed=22,
        n=150,
        c=5,
        width=128,
        height=128,
        thresholds=[0.3, 0.5, 0.7, 0.9],
        absent=3,
        never_predicted=4,
    ),
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
