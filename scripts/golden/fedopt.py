#!/usr/bin/env python3
"""Golden numbers of the server optimizers of federated learning, computed in float64 straight
from the update equations of the papers, with nothing of shardstep's code:

  Reddi et al., "Adaptive Federated Optimization" (ICLR 2021), Algorithm 2 (FedAdagrad, FedAdam,
  FedYogi); McMahan et al. 2017 (FedAvg); Hsu et al. 2019 (FedAvgM).

Each round t: Delta_t = sum_i n_i Delta_i / sum_i n_i (clients' model deltas weighted by their
sample counts), then
  FedAvg:     x <- x + Delta_t
  FedAvgM:    v <- beta * v + Delta_t;            x <- x + eta * v
  FedAdagrad: m <- b1 m + (1 - b1) Delta;  v <- v + Delta^2
  FedYogi:    m <- b1 m + (1 - b1) Delta;  v <- v - (1 - b2) Delta^2 sign(v - Delta^2)
  FedAdam:    m <- b1 m + (1 - b1) Delta;  v <- b2 v + (1 - b2) Delta^2
              x <- x + eta m / (sqrt(v) + tau)      (the three adaptive ones; v starts at tau^2)

Writes test/golden/fedopt.json. Plain python3, no third-party module: `npm run golden:fed`.
"""
import json
import math
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "test", "golden", "fedopt.json")


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


class Lcg:
    """A fixed 64-bit LCG, so the inputs are the same everywhere."""

    def __init__(self, seed):
        self.state = seed

    def uniform(self):
        self.state = (self.state * 6364136223846793005 + 1442695040888963407) % 2**64
        return (self.state >> 11) / 2**53


def inputs(dim, rounds, clients, seed):
    rng = Lcg(seed)
    x0 = [f32(rng.uniform() * 2 - 1) for _ in range(dim)]
    plan = []
    for _ in range(rounds):
        deltas = [[f32((rng.uniform() * 2 - 1) * 0.1) for _ in range(dim)] for _ in range(clients)]
        counts = [1 + int(rng.uniform() * 50) for _ in range(clients)]
        plan.append({"deltas": deltas, "counts": counts})
    return x0, plan


def mean_delta(r):
    total = sum(r["counts"])
    dim = len(r["deltas"][0])
    return [sum(n * d[k] for n, d in zip(r["counts"], r["deltas"])) / total for k in range(dim)]


def fedavg(x, plan, h):
    out = []
    for r in plan:
        d = mean_delta(r)
        x = [xi + di for xi, di in zip(x, d)]
        out.append(x)
    return out


def fedavgm(x, plan, h):
    v = [0.0] * len(x)
    out = []
    for r in plan:
        d = mean_delta(r)
        v = [h["beta"] * vi + di for vi, di in zip(v, d)]
        x = [xi + h["eta"] * vi for xi, vi in zip(x, v)]
        out.append(x)
    return out


def adaptive(second_moment):
    def run(x, plan, h):
        b1, b2, eta, tau = h["beta1"], h["beta2"], h["eta"], h["tau"]
        m = [0.0] * len(x)
        v = [tau * tau] * len(x)
        out = []
        for r in plan:
            d = mean_delta(r)
            m = [b1 * mi + (1 - b1) * di for mi, di in zip(m, d)]
            v = [second_moment(vi, di, b2) for vi, di in zip(v, d)]
            x = [xi + eta * mi / (math.sqrt(vi) + tau) for xi, mi, vi in zip(x, m, v)]
            out.append(x)
        return out

    return run


def sign(z):
    return (z > 0) - (z < 0)


def delta_as_first_moment(x, plan, h):
    """A known slip (Flower's FedAdam once shipped it): Delta_t used where m_t belongs. A decoy the
    test must tell apart from FedAdam."""
    b2, eta, tau = h["beta2"], h["eta"], h["tau"]
    v = [tau * tau] * len(x)
    out = []
    for r in plan:
        d = mean_delta(r)
        v = [b2 * vi + (1 - b2) * di * di for vi, di in zip(v, d)]
        x = [xi + eta * di / (math.sqrt(vi) + tau) for xi, di, vi in zip(x, d, v)]
        out.append(x)
    return out


fedadagrad = adaptive(lambda v, d, b2: v + d * d)
fedyogi = adaptive(lambda v, d, b2: v - (1 - b2) * d * d * sign(v - d * d))
fedadam = adaptive(lambda v, d, b2: b2 * v + (1 - b2) * d * d)

# name, algorithm, its hyperparameters, and the shardstep rule that should implement it.
CASES = [
    ("FedAvg", fedavg, {}, {"rule": "sgd", "hyper": {"lr": 1}}),
    ("FedAvgM", fedavgm, {"beta": 0.9, "eta": 0.7}, {"rule": "sgd", "hyper": {"lr": 0.7, "momentum": 0.9}}),
    ("FedAdagrad", fedadagrad, {"beta1": 0.0, "beta2": 0.0, "eta": 0.1, "tau": 1e-2},
     {"rule": "adagrad", "hyper": {"lr": 0.1, "eps": 1e-2, "initial_accumulator_value": 1e-4}}),
    ("FedAdam", fedadam, {"beta1": 0.9, "beta2": 0.99, "eta": 0.03, "tau": 1e-3},
     {"rule": "adam", "hyper": {"lr": 0.03, "betas": [0.9, 0.99], "eps": 1e-3, "bias_correction": False, "initial_accumulator_value": 1e-6}}),
    ("FedYogi", fedyogi, {"beta1": 0.9, "beta2": 0.99, "eta": 0.03, "tau": 1e-3},
     {"rule": "yogi", "hyper": {"lr": 0.03, "betas": [0.9, 0.99], "eps": 1e-3, "initial_accumulator_value": 1e-6}}),
]


def main():
    dim, rounds, clients = 9, 5, 4
    x0, plan = inputs(dim, rounds, clients, seed=20210503)
    cases = []
    for name, algorithm, h, server in CASES:
        cases.append({"name": name, "paper": h, "server": server, "expected": algorithm(list(x0), plan, h)})
    adam = next(c for c in CASES if c[0] == "FedAdam")
    decoy = delta_as_first_moment(list(x0), plan, adam[2])
    doc = {
        "reference": "Reddi et al. 2021 Algorithm 2; McMahan et al. 2017; Hsu et al. 2019 — float64, scripts/golden/fedopt.py",
        "x0": x0,
        "rounds": plan,
        "cases": cases,
        "decoys": {"FedAdam": decoy},
    }
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
