#!/usr/bin/python3
"""Optuna 3.1's side of `npm run bench:sweeps` (bench/sweeps/main.ts starts it).

Runs Optuna's RandomSampler and TPESampler (defaults; seed = the run's seed) sequentially on the
objectives of bench/sweeps/objectives.ts and bench/sweeps/mnist.ts, defined identically here, and
writes every trial's observed and noise-free value as JSON:

    /usr/bin/python3 scripts/sweeps/optuna-bench.py --data DIR --seeds 20 --trials 100 --out FILE
        [--only branin,hartmann6,training,mnist] [--shard I --shards K]

DIR holds the MNIST arrays bench/sweeps/mnist.ts exports. With --shards K this process runs the
seeds s with s % K == I only (the bench starts K of them side by side). Debian's python3-optuna
(3.1.0) is installed with apt-get when missing (as root).
"""
import argparse
import json
import math
import os
import subprocess
import sys
import time


def ensure_optuna():
    try:
        import optuna  # noqa: F401
    except ImportError:
        print("optuna-bench: installing python3-optuna with apt-get", file=sys.stderr)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "install", "-y", "-q", "python3-optuna"], check=True, env=env, stdout=sys.stderr)


ensure_optuna()

import numpy as np  # noqa: E402
import optuna  # noqa: E402

optuna.logging.set_verbosity(optuna.logging.WARNING)

M32 = 0xFFFFFFFF


def imul(a, b):
    return (a * b) & M32


def mix(h, x):
    h = (h ^ (x & M32)) & M32
    h = imul(h ^ (h >> 16), 0x85EBCA6B)
    h = imul(h ^ (h >> 13), 0xC2B2AE35)
    return (h ^ (h >> 16)) & M32


def mulberry32(a):
    state = [a & M32]

    def next_uniform():
        state[0] = (state[0] + 0x6D2B79F5) & M32
        t = state[0]
        t = imul(t ^ (t >> 15), t | 1)
        t ^= (t + imul(t ^ (t >> 7), t | 61)) & M32
        return ((t ^ (t >> 14)) & M32) / 4294967296

    return next_uniform


def noise(seed, number):
    """A standard normal draw that depends only on (seed, number): bench/sweeps/objectives.ts's noise."""
    h = mix(0x9E3779B9, seed)
    h = mix((h + 0x9E3779B9) & M32, number)
    h = mix((h + 0x9E3779B9) & M32, 0x5EED)
    u = mulberry32(h)
    u1 = u()
    u2 = u()
    return math.sqrt(-2 * math.log(1 - u1)) * math.cos(2 * math.pi * u2)


def branin(p):
    x1, x2 = p["x1"], p["x2"]
    b = 5.1 / (4 * math.pi**2)
    c = 5 / math.pi
    t = 1 / (8 * math.pi)
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


H_ALPHA = [1.0, 1.2, 3.0, 3.2]
H_A = [
    [10, 3, 17, 3.5, 1.7, 8],
    [0.05, 10, 17, 0.1, 8, 14],
    [3, 3.5, 1.7, 10, 17, 8],
    [17, 8, 0.05, 10, 0.1, 14],
]
H_P = [
    [v * 1e-4 for v in row]
    for row in [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
]


def hartmann6(p):
    total = 0.0
    for i in range(4):
        inner = 0.0
        for j in range(6):
            inner += H_A[i][j] * (p[f"x{j + 1}"] - H_P[i][j]) ** 2
        total -= H_ALPHA[i] * math.exp(-inner)
    return total


OPTIMIZER_OFFSET = {"sgd": 0.3, "adam": 0.0, "rmsprop": 0.1, "adagrad": 0.2}
NOISE_SD = 0.05


def training_like(p):
    return (
        0.5 * (math.log10(p["lr"]) + 2.5) ** 2
        + 2 * (p["momentum"] - 0.9) ** 2
        + 0.1 * (math.log2(p["batch"]) - 6) ** 2
        + OPTIMIZER_OFFSET[p["optimizer"]]
    )


def suggest_branin(trial):
    return {"x1": trial.suggest_float("x1", -5, 10), "x2": trial.suggest_float("x2", 0, 15)}


def suggest_hartmann(trial):
    return {f"x{j + 1}": trial.suggest_float(f"x{j + 1}", 0, 1) for j in range(6)}


def suggest_training(trial):
    return {
        "lr": trial.suggest_float("lr", 1e-5, 1, log=True),
        "momentum": trial.suggest_float("momentum", 0, 0.99),
        "batch": trial.suggest_int("batch", 8, 1024, log=True),
        "optimizer": trial.suggest_categorical("optimizer", ["sgd", "adam", "rmsprop", "adagrad"]),
    }


def suggest_mnist(trial):
    return {
        "lr": trial.suggest_float("lr", 1e-3, 10, log=True),
        "momentum": trial.suggest_float("momentum", 0, 0.99),
        "batch": trial.suggest_int("batch", 4, 128, log=True),
    }


class Mnist:
    """bench/sweeps/mnist.ts's softmax regression, on the arrays it exported."""

    def __init__(self, directory):
        meta = json.load(open(os.path.join(directory, "meta.json")))
        d, k = meta["features"], meta["classes"]
        self.train_x = np.fromfile(os.path.join(directory, "train_x.f64"), dtype="<f8").reshape(meta["train"], d)
        self.train_y = np.fromfile(os.path.join(directory, "train_y.u8"), dtype=np.uint8).astype(np.int64)
        self.val_x = np.fromfile(os.path.join(directory, "val_x.f64"), dtype="<f8").reshape(meta["validation"], d)
        self.val_y = np.fromfile(os.path.join(directory, "val_y.u8"), dtype=np.uint8).astype(np.int64)
        self.batches = np.fromfile(os.path.join(directory, "batches.i32"), dtype="<i4").astype(np.int64)
        self.steps, self.cap, self.d, self.k = meta["steps"], meta["loss_cap"], d, k
        self.eye = np.eye(k)

    def loss(self, p):
        lr, mu, batch = p["lr"], p["momentum"], p["batch"]
        w = np.zeros((self.k, self.d))
        b = np.zeros(self.k)
        vw = np.zeros_like(w)
        vb = np.zeros_like(b)
        with np.errstate(all="ignore"):
            for t in range(self.steps):
                idx = self.batches[t * batch : (t + 1) * batch]
                x = self.train_x[idx]
                z = x @ w.T + b
                z -= z.max(axis=1, keepdims=True)
                e = np.exp(z)
                g = e / e.sum(axis=1, keepdims=True) - self.eye[self.train_y[idx]]
                vw = mu * vw + (g.T @ x) / batch
                vb = mu * vb + g.sum(axis=0) / batch
                w = w - lr * vw
                b = b - lr * vb
            z = self.val_x @ w.T + b
            m = z.max(axis=1, keepdims=True)
            log_sum = m[:, 0] + np.log(np.exp(z - m).sum(axis=1))
            loss = float(np.mean(log_sum - z[np.arange(len(self.val_y)), self.val_y]))
        return loss if math.isfinite(loss) and loss <= self.cap else self.cap


def objectives(mnist):
    return {
        "branin": (suggest_branin, lambda p, s, n: branin(p), branin),
        "hartmann6": (suggest_hartmann, lambda p, s, n: hartmann6(p), hartmann6),
        "training": (suggest_training, lambda p, s, n: training_like(p) + NOISE_SD * noise(s, n), training_like),
        "mnist": (suggest_mnist, lambda p, s, n: mnist.loss(p), None),
    }


def run(sampler_name, seed, trials, suggest, evaluate, truth):
    sampler = (
        optuna.samplers.TPESampler(seed=seed)
        if sampler_name == "tpe"
        else optuna.samplers.RandomSampler(seed=seed)
    )
    study = optuna.create_study(direction="minimize", sampler=sampler)
    values, truths, params = [], [], []
    for number in range(trials):
        trial = study.ask()
        p = suggest(trial)
        value = evaluate(p, seed, number)
        study.tell(trial, value)
        values.append(value)
        truths.append(truth(p) if truth is not None else value)
        params.append(p)
    return {"values": values, "truths": truths, "params": params}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--only", default="", help="comma-separated objective keys (default: all)")
    parser.add_argument("--shard", type=int, default=0)
    parser.add_argument("--shards", type=int, default=1)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    mnist = Mnist(args.data)
    chosen = [k for k in args.only.split(",") if k]
    seeds = [s for s in range(args.seeds) if s % args.shards == args.shard]
    # runs[key/sampler][str(seed)]; cpu: this process's CPU seconds per key/sampler.
    results = {"optuna": optuna.__version__, "numpy": np.__version__, "runs": {}, "cpu": {}}
    for key, (suggest, evaluate, truth) in objectives(mnist).items():
        if chosen and key not in chosen:
            continue
        for sampler_name in ("random", "tpe"):
            start = time.process_time()
            results["runs"][f"{key}/{sampler_name}"] = {
                str(seed): run(sampler_name, seed, args.trials, suggest, evaluate, truth) for seed in seeds
            }
            results["cpu"][f"{key}/{sampler_name}"] = time.process_time() - start
            print(
                f"optuna-bench[{args.shard}]: {key} {sampler_name} {time.process_time() - start:.1f} s CPU",
                file=sys.stderr,
            )
    with open(args.out, "w") as f:
        json.dump(results, f)


if __name__ == "__main__":
    main()
