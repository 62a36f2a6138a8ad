#!/usr/bin/python3
"""Generates the scikit-learn reference fixtures for @optik/metrics' SegmentationMetrics.

Run from anywhere with Debian's Python (apt-get install -y python3-sklearn python3-numpy):

    /usr/bin/python3 packages/metrics/scripts/make-segmentation-fixtures.py

Writes packages/metrics/src/__tests__/fixtures/segmentation-*.json. Every case is seeded. Class maps are
[n, h, w] (non-square), flattened; true pixels equal to 255 are ignored. References: confusion_matrix,
jaccard_score(average=None) and f1_score(average=None) (= Dice) on the flattened, unignored pixels, with every class
listed in `labels` so absent classes keep their row. A class with no true and no predicted pixel (an empty union) is
`null` in the expected scores and left out of the means (mmseg's nanmean); scikit-learn scores it 0.
"""
import json
import os

import numpy as np
import sklearn
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, jaccard_score

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "__tests__", "fixtures")
IGNORE = 255


def case(name, seed, n, h, w, k, ignore_share, absent=(), never_predicted=(), agreement=0.6, batches=3):
    rng = np.random.default_rng(seed)
    present = [c for c in range(k) if c not in absent]
    y_true = rng.choice(present, size=(n, h, w))
    # Predictions: right with probability `agreement`, otherwise any class not excluded.
    predictable = [c for c in range(k) if c not in never_predicted and c not in absent]
    noise = rng.choice(predictable, size=(n, h, w))
    y_pred = np.where(rng.random((n, h, w)) < agreement, y_true, noise)
    for c in never_predicted:
        y_pred[y_pred == c] = predictable[0]
    y_true = np.where(rng.random((n, h, w)) < ignore_share, IGNORE, y_true)
    t = y_true.ravel()
    p = y_pred.ravel()
    keep = t != IGNORE
    labels = list(range(k))
    cm = confusion_matrix(t[keep], p[keep], labels=labels)
    jac = jaccard_score(t[keep], p[keep], labels=labels, average=None, zero_division=0)
    f1 = f1_score(t[keep], p[keep], labels=labels, average=None, zero_division=0)
    union = cm.sum(axis=0) + cm.sum(axis=1) - np.diag(cm)
    nonempty = union > 0
    iou = [float(v) if nonempty[c] else None for c, v in enumerate(jac)]
    dice = [float(v) if nonempty[c] else None for c, v in enumerate(f1)]
    freq = cm.sum(axis=1) / cm.sum()
    return {
        "name": name,
        "sklearn": sklearn.__version__,
        "numClasses": k,
        "shape": [n, h, w],
        "batches": batches,
        "yTrue": [int(v) for v in t],
        "yPred": [int(v) for v in p],
        "expected": {
            "pixels": int(keep.sum()),
            "ignoredPixels": int((~keep).sum()),
            "pixelAccuracy": float(accuracy_score(t[keep], p[keep])),
            "confusionMatrix": cm.tolist(),
            "iou": iou,
            "dice": dice,
            "meanIou": float(jac[nonempty].mean()),
            "meanDice": float(f1[nonempty].mean()),
            "frequencyWeightedIou": float((freq[nonempty] * jac[nonempty]).sum()),
        },
    }


CASES = [
    case("segmentation-4-ignore", 1, 2, 16, 24, 4, 0.1),
    case("segmentation-5-absent-never-predicted", 2, 3, 12, 20, 5, 0.05, absent=(3,), never_predicted=(1,)),
    case("segmentation-2-binary", 3, 2, 20, 12, 2, 0.0, agreement=0.8, batches=2),
    case("segmentation-6-mostly-right", 4, 4, 8, 16, 6, 0.2, agreement=0.9, batches=4),
]

for c in CASES:
    with open(os.path.join(OUT, c["name"] + ".json"), "w") as f:
        json.dump(c, f, separators=(",", ":"))
        f.write("\n")
    print("wrote", c["name"])
