#!/usr/bin/env python3
"""Golden trajectories of SGD in the classic lecture notes' forms, computed in float64 with numpy
straight from their equations, with nothing of shardstep's code:

  bias-corrected momentum:  b <- mu b + (1 - mu) g    (b starts at 0)
                            x <- x - lr_t b / (1 - mu^t)
  velocity form:            v <- mu v - lr_t g        (v starts at 0)
                            x <- x + v
  look-ahead Nesterov:      the gradient g is taken at the point x + mu v, then
                            v <- mu v - lr_t g;  x <- x + v;  the next point is x + mu v

where g is the pushed gradient after maximize (g <- -g) and L2 weight decay (g <- g + wd x).
lr_t follows the case's schedule (t counted from 0), so a changing learning rate is exercised;
for the velocity cases the file also holds PyTorch's form on the same inputs
(b <- mu b + g, b = g at first; x <- x - lr_t b), which the velocity form must differ from.

Writes test/golden/notes-sgd.safetensors: `n<N>/init`, `n<N>/grads` [steps, N] (float32 inputs),
and per case `<id>/lrs` (F64) and `<id>/n<N>/<vector>` [steps, N] after each update (the float64
values rounded once to float32). `npm run golden:notes`.
"""
import json
import os
import struct

import numpy as np

from fedopt import Lcg  # the same fixed LCG as the federated goldens

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "test", "golden", "notes-sgd.safetensors")
LENGTHS = [1, 7, 257]
STEPS = 12


def inputs(n, seed):
    """Initial weights in [-1, 1); gradients of mixed scales (1e-3 to 10), some zeros and sign flips."""
    rng = Lcg(seed)
    init = np.array([rng.uniform() * 2 - 1 for _ in range(n)], dtype=np.float32)
    scales = np.array([10.0 ** (int(rng.uniform() * 5) - 3) for _ in range(n)])
    grads = np.zeros((STEPS, n), dtype=np.float32)
    for k in range(STEPS):
        for i in range(n):
            u = rng.uniform()
            grads[k, i] = 0.0 if u < 0.05 else (rng.uniform() * 2 - 1) * scales[i]
    return init, grads


def learning_rates(lr, schedule):
    kind = schedule["type"]
    t = np.arange(STEPS, dtype=np.float64)
    if kind == "constant":
        return np.full(STEPS, lr)
    if kind == "exponential":
        return lr * schedule["gamma"] ** t
    if kind == "step":
        return lr * schedule["gamma"] ** np.floor(t / schedule["step_size"])
    raise ValueError(kind)


def effective(g, x, h):
    g = g.astype(np.float64)
    if h.get("maximize"):
        g = -g
    return g + h.get("weight_decay", 0.0) * x


def bias_corrected(x, grads, lrs, h):
    mu = h["momentum"]
    b = np.zeros_like(x)
    out = {"weights": [], "momentum_buffer": []}
    for k, g in enumerate(grads):
        t = k + 1
        g = effective(g, x, h)
        b = mu * b + (1 - mu) * g
        x = x - lrs[k] * b / (1 - mu**t)
        out["weights"].append(x)
        out["momentum_buffer"].append(b)
    return out


def velocity(x, grads, lrs, h):
    """The velocity form; with nesterov the gradients are those taken at the point x + mu v."""
    mu = h["momentum"]
    v = np.zeros_like(x)
    out = {"weights": [], "velocity": [], "point": []}
    for k, g in enumerate(grads):
        g = effective(g, x, h)
        v = mu * v - lrs[k] * g
        x = x + v
        out["weights"].append(x)
        out["velocity"].append(v)
        out["point"].append(x + mu * v)
    if not h.get("nesterov"):
        del out["point"]
    return out


def pytorch_form(x, grads, lrs, h):
    """torch.optim.SGD's buffer on the same inputs: what the velocity form differs from once lr changes."""
    mu = h["momentum"]
    b = None
    out = []
    for k, g in enumerate(grads):
        g = effective(g, x, h)
        b = g if b is None else mu * b + g
        x = x - lrs[k] * b
        out.append(x)
    return out


# id, shardstep's sgd hyperparameters, schedule, the equations.
CASES = [
    ("ema_bias_correction", {"lr": 0.1, "momentum": 0.9, "ema_momentum": True, "bias_correction": True}, {"type": "constant"}, bias_corrected),
    (
        "ema_bias_correction_wd_max",
        {"lr": 0.05, "momentum": 0.5, "ema_momentum": True, "bias_correction": True, "weight_decay": 0.01, "maximize": True},
        {"type": "exponential", "gamma": 0.8},
        bias_corrected,
    ),
    ("velocity", {"lr": 0.1, "momentum": 0.9, "momentum_form": "velocity"}, {"type": "exponential", "gamma": 0.8}, velocity),
    (
        "velocity_wd_max",
        {"lr": 0.05, "momentum": 0.7, "momentum_form": "velocity", "weight_decay": 0.01, "maximize": True},
        {"type": "step", "step_size": 3, "gamma": 0.5},
        velocity,
    ),
    ("lookahead_nesterov", {"lr": 0.1, "momentum": 0.9, "momentum_form": "velocity", "nesterov": True}, {"type": "exponential", "gamma": 0.8}, velocity),
    (
        "lookahead_nesterov_max",
        {"lr": 0.02, "momentum": 0.5, "momentum_form": "velocity", "nesterov": True, "maximize": True},
        {"type": "step", "step_size": 4, "gamma": 0.1},
        velocity,
    ),
]


def write_safetensors(path, tensors, metadata):
    header = {"__metadata__": metadata}
    offset = 0
    blobs = []
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name])
        dtype = {np.dtype(np.float32): "F32", np.dtype(np.float64): "F64"}[a.dtype]
        raw = a.astype(a.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        blobs.append(raw)
    text = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)


def main():
    tensors = {}
    cases = []
    for n in LENGTHS:
        init, grads = inputs(n, 20261206 + n)
        tensors[f"n{n}/init"] = init
        tensors[f"n{n}/grads"] = grads
        for case_id, hyper, schedule, run in CASES:
            lrs = learning_rates(hyper["lr"], schedule)
            tensors[f"{case_id}/lrs"] = lrs
            out = run(init.astype(np.float64), grads, lrs, hyper)
            for name, rows in out.items():
                tensors[f"{case_id}/n{n}/{name}"] = np.array(rows, dtype=np.float64).astype(np.float32)
            if run is velocity:
                rows = pytorch_form(init.astype(np.float64), grads, lrs, hyper)
                tensors[f"{case_id}/n{n}/pytorch_form"] = np.array(rows, dtype=np.float64).astype(np.float32)
            if n == LENGTHS[0]:
                vectors = sorted(out)
                cases.append({"id": case_id, "rule": "sgd", "hyper": hyper, "schedule": schedule, "vectors": vectors})
    metadata = {"cases": json.dumps(cases), "lengths": json.dumps(LENGTHS), "steps": str(STEPS)}
    write_safetensors(OUT, tensors, metadata)
    print(f"wrote {os.path.relpath(OUT)}: {len(cases)} cases, lengths {LENGTHS}, {STEPS} steps")


if __name__ == "__main__":
    main()
