#!/usr/bin/python3
"""Optuna peer for tpe-vs-optuna.mjs: runs Optuna's TPESampler and RandomSampler on the same synthetic objectives.

    /usr/bin/python3 packages/tune/bench/objectives.py '{"objectives": ["branin"], "seeds": [0, 1], "nTrials": 60}'

Prints one JSON object: { objective: { "tpe": [best per seed], "random": [best per seed] } }. The objectives mirror
OBJECTIVES in tpe-vs-optuna.mjs formula for formula (same parameter names, bounds, scales and choices).
"""
import json
import math
import sys

import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)

QUAD_OFFSETS = {"a": 1.0, "b": 0.0, "c": 0.5, "d": 2.0}
BRANIN_OFFSETS = {"a": 2.0, "b": 0.0, "c": 1.0}
H6_ALPHA = [1.0, 1.2, 3.0, 3.2]
H6_A = [
    [10, 3, 17, 3.5, 1.7, 8],
    [0.05, 10, 17, 0.1, 8, 14],
    [3, 3.5, 1.7, 10, 17, 8],
    [17, 8, 0.05, 10, 0.1, 14],
]
H6_P = [
    [0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886],
    [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
    [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650],
    [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381],
]


def shifted_quadratic(t):
    x = t.suggest_float("x", -5, 5)
    y = t.suggest_float("y", -5, 5)
    lr = t.suggest_float("lr", 1e-5, 1, log=True)
    k = t.suggest_int("k", 1, 9)
    c = t.suggest_categorical("c", ["a", "b", "c", "d"])
    return (x - 1.3) ** 2 + (y + 0.7) ** 2 + (math.log10(lr) + 2.5) ** 2 + 0.1 * (k - 6) ** 2 + QUAD_OFFSETS[c]


def branin(t):
    x1 = t.suggest_float("x1", -5, 10)
    x2 = t.suggest_float("x2", 0, 15)
    c = t.suggest_categorical("c", ["a", "b", "c"])
    b = 5.1 / (4 * math.pi**2)
    r = 5 / math.pi
    s = 1 / (8 * math.pi)
    return (x2 - b * x1**2 + r * x1 - 6) ** 2 + 10 * (1 - s) * math.cos(x1) + 10 + BRANIN_OFFSETS[c]


def hartmann6(t):
    xs = [t.suggest_float(f"x{i}", 0, 1) for i in range(6)]
    total = 0.0
    for i in range(4):
        inner = sum(H6_A[i][j] * (xs[j] - H6_P[i][j]) ** 2 for j in range(6))
        total -= H6_ALPHA[i] * math.exp(-inner)
    return total


def conditional(t):
    blocks = t.suggest_int("blocks", 1, 4)
    pooling = t.suggest_categorical("pooling", ["max", "avg"])
    lr = t.suggest_float("lr", 1e-4, 1e-1, log=True)
    base = (math.log10(lr) + 2) ** 2 + (0 if pooling == "max" else 0.3)
    if blocks >= 3:
        width = t.suggest_int("width", 8, 128, step=8)
        return base + ((width - 96) / 64) ** 2
    return base + 1.0 + 0.1 * (3 - blocks)


OBJECTIVES = {
    "shifted-quadratic": shifted_quadratic,
    "branin": branin,
    "hartmann6": hartmann6,
    "conditional": conditional,
}


def main():
    config = json.loads(sys.argv[1])
    out = {}
    for name in config["objectives"]:
        out[name] = {}
        for kind in ("tpe", "random"):
            bests = []
            for seed in config["seeds"]:
                sampler = (
                    optuna.samplers.TPESampler(seed=seed) if kind == "tpe" else optuna.samplers.RandomSampler(seed=seed)
                )
                study = optuna.create_study(direction="minimize", sampler=sampler)
                study.optimize(OBJECTIVES[name], n_trials=config["nTrials"])
                bests.append(study.best_value)
            out[name][kind] = bests
    out["optunaVersion"] = optuna.__version__
    print(json.dumps(out))


if __name__ == "__main__":
    main()
