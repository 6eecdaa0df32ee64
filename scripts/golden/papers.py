#!/usr/bin/python3
"""Golden trajectories of the rules torch 1.13 lacks, computed in float64 straight from their
papers' update equations with numpy, with nothing of shardstep's code:

  lion        Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms", Algorithm 2:
                c = b1 m + (1 - b1) g;  x <- x - lr (sign(c) + wd x);  m <- b2 m + (1 - b2) g
  normalized  normalized gradient descent: d = g / (||g||_2 + eps), with heavy-ball momentum on d
              (b <- d at the first step, then b <- mu b + d) when momentum > 0;  x <- x - lr d
  adafactor   Shazeer & Stern 2018, Algorithm 4 (a matrix: factored R, C) and 5 (a vector), beta1 = 0:
                rho = min(lr, 1/sqrt(t)); alpha = max(eps2, RMS(X)) rho; b = 1 - t^c
                R = b R + (1 - b) (G^2 + eps1) 1_m;  C = b C + (1 - b) 1_n^T (G^2 + eps1);  V = R C / (1_n^T R)
                (vector: V = b V + (1 - b) (G^2 + eps1));  U = G / sqrt(V);  U = U / max(1, RMS(U) / d)
                X <- X - alpha U - lr wd X
              The state is written as PyTorch 2.5's Adafactor names it: row_var = R / m, col_var = C / n
              (means, not sums), variance = V for a vector.

Both take `maximize` (g <- -g first); `normalized` folds L2 weight decay into the gradient
(g <- g + wd x) before the norm, as PyTorch-shaped rules do; Lion's decay is decoupled.

Reads the shared inputs (test/golden/inputs.safetensors, written by generate.py: the same initial
weights and 12 gradients as the PyTorch goldens) and writes test/golden/rules/<rule>.safetensors in
the same layout: `<case>/n<L>/<weights|slot>` float32 [12, L] (the float64 values rounded once),
and the cases in the metadata. Run: /usr/bin/python3 scripts/golden/papers.py (npm run golden:papers).
"""
import json
import struct
import sys
from pathlib import Path

import numpy as np

GOLDEN = Path(__file__).resolve().parents[2] / "test" / "golden"


def read_safetensors(path):
    data = path.read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    out = {}
    for name, info in header.items():
        b0, b1 = info["data_offsets"]
        dtype = {"F32": "<f4", "F64": "<f8"}[info["dtype"]]
        out[name] = np.frombuffer(data[8 + n + b0:8 + n + b1], dtype=dtype).reshape(info["shape"])
    return meta, out


def write_safetensors(path, tensors, metadata):
    """The format generate.py writes: sorted names, JSON header padded with spaces to 8 bytes."""
    header = {"__metadata__": metadata}
    blobs, offset = [], 0
    for name in sorted(tensors):
        t = tensors[name]
        blob = t.astype(t.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": {"float32": "F32", "float64": "F64"}[t.dtype.name], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((-len(text)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def lion(x, grads, h):
    b1, b2 = h["betas"]
    m = np.zeros_like(x)
    out = {"weights": [], "exp_avg": []}
    for g in grads:
        g = -g if h["maximize"] else g
        c = b1 * m + (1 - b1) * g
        x = x - h["lr"] * (np.sign(c) + h["weight_decay"] * x)
        m = b2 * m + (1 - b2) * g
        out["weights"].append(x)
        out["exp_avg"].append(m)
    return out


def normalized(x, grads, h):
    mu = h["momentum"]
    out = {"weights": []}
    if mu > 0:
        out["momentum_buffer"] = []
    b = None
    for g in grads:
        g = -g if h["maximize"] else g
        g = g + h["weight_decay"] * x
        norm = np.sqrt(np.sum(g * g))
        d = g / (norm + h["eps"]) if norm + h["eps"] > 0 else g
        if mu > 0:
            b = d if b is None else mu * b + d
            d = b
            out["momentum_buffer"].append(b)
        x = x - h["lr"] * d
        out["weights"].append(x)
    return out


def rms(x):
    return float(np.sqrt(np.mean(x * x))) if x.size else 0.0


def adafactor(x, grads, h, shape=None):
    eps1, eps2 = h["eps"]
    out = {"weights": []}
    if shape:
        n, m = shape
        R, C = np.zeros(n), np.zeros(m)
        out["row_var"], out["col_var"] = [], []
    else:
        V = np.zeros_like(x)
        out["variance"] = []
    for t, g in enumerate(grads, 1):
        g = -g if h["maximize"] else g
        alpha = max(eps2, rms(x)) * min(h["lr"], 1 / np.sqrt(t))
        b = 1 - t ** h["beta2_decay"]
        if shape:
            G2 = g.reshape(n, m) ** 2 + eps1
            R = b * R + (1 - b) * G2.sum(axis=1)
            C = b * C + (1 - b) * G2.sum(axis=0)
            U = g / np.sqrt((np.outer(R, C) / R.sum()).reshape(-1))
            out["row_var"].append(R / m)
            out["col_var"].append(C / n)
        else:
            V = b * V + (1 - b) * (g * g + eps1)
            U = g / np.sqrt(V)
            out["variance"].append(V)
        U = U / max(1.0, rms(U) / h["d"])
        x = x - alpha * U - h["lr"] * h["weight_decay"] * x
        out["weights"].append(x)
    return out


ADAFACTOR_DEFAULTS = {"lr": 1e-2, "beta2_decay": -0.8, "eps": [1e-30, 1e-3], "d": 1.0, "weight_decay": 0.0,
                      "maximize": False, "shape": []}
# Matrices of their own (the shared inputs' lengths are primes): shape, seed.
MATRICES = [((1, 1), 11), ((3, 5), 12), ((16, 20), 13), ((40, 75), 14)]
MATRIX_CASES = [
    ("default", {}),
    ("clipped_wd_maximize", {"lr": 0.05, "beta2_decay": -0.5, "eps": [1e-20, 1e-2], "d": 0.5, "weight_decay": 0.01,
                             "maximize": True}),
]


def matrix_inputs(shape, seed, steps):
    """init ~ N(0, 0.25); gradients: a log-uniform scale per element (1e-4..1e2) times N(0, 1), about
    10% zeros per step, one row and one column always zero when there are several."""
    rng = np.random.default_rng(seed)
    n, m = shape
    init = (rng.standard_normal(n * m) * 0.5).astype(np.float32)
    scale = 10.0 ** rng.uniform(-4, 2, n * m)
    grads = (scale * rng.standard_normal((steps, n * m)))
    grads[rng.uniform(size=grads.shape) < 0.1] = 0.0
    if n > 1 and m > 1:
        g = grads.reshape(steps, n, m)
        g[:, 1, :] = 0.0
        g[:, :, 2] = 0.0
    return init, grads.astype(np.float32)


def build_matrices(steps):
    tensors, described = {}, []
    for shape, seed in MATRICES:
        init, grads = matrix_inputs(shape, seed, steps)
        key = f"m{shape[0]}x{shape[1]}"
        tensors[f"{key}/init"] = init
        tensors[f"{key}/grads"] = grads
    for cid, given in MATRIX_CASES:
        h = {**ADAFACTOR_DEFAULTS, **given}
        for shape, _ in MATRICES:
            key = f"m{shape[0]}x{shape[1]}"
            res = adafactor(tensors[f"{key}/init"].astype(np.float64), tensors[f"{key}/grads"].astype(np.float64), h, shape)
            for name, rows in res.items():
                t = np.stack(rows).astype(np.float32)
                assert np.isfinite(t).all(), (cid, key, name)
                tensors[f"{cid}/{key}/{name}"] = t
        described.append({"id": cid, "rule": "adafactor", "hyper": h, "slots": ["row_var", "col_var"], "scalars": [],
                          "reference": "Shazeer & Stern 2018, Algorithm 4, beta1 = 0 (float64)"})
    write_safetensors(GOLDEN / "rules" / "adafactor-matrix.safetensors", tensors, {
        "cases": json.dumps(described, separators=(",", ":")),
        "shapes": json.dumps([list(s) for s, _ in MATRICES], separators=(",", ":")),
        "steps": str(steps),
        "reference": "float64 from the paper's equations (scripts/golden/papers.py, numpy " + np.__version__ + ")",
    })
    print("rules/adafactor-matrix.safetensors: " + ", ".join(c for c, _ in MATRIX_CASES), file=sys.stderr)


RULES = {
    "lion": (lion, "Chen et al. 2023, Algorithm 2 (float64)",
             {"lr": 1e-4, "betas": [0.9, 0.99], "weight_decay": 0.0, "maximize": False},
             [("default", {"lr": 1e-3}),
              ("wd_maximize", {"lr": 3e-3, "betas": [0.95, 0.98], "weight_decay": 0.1, "maximize": True})]),
    "normalized": (normalized, "x -= lr g / (||g||_2 + eps), heavy-ball momentum on it (float64)",
                   {"lr": 1e-3, "eps": 1e-8, "momentum": 0.0, "weight_decay": 0.0, "maximize": False},
                   # Weight decay and momentum in separate cases: where g + wd x nearly cancels,
                   # float32 keeps a few significant bits of the sum, which a slot compared in ulps of
                   # its own (tiny) magnitude cannot absorb; the weights can.
                   [("plain", {"lr": 0.1}),
                    ("momentum_maximize", {"lr": 0.05, "momentum": 0.9, "maximize": True}),
                    ("wd_eps", {"lr": 0.05, "eps": 1e-2, "weight_decay": 0.01})]),
    "adafactor": (adafactor, "Shazeer & Stern 2018, Algorithm 5, beta1 = 0 (float64)", ADAFACTOR_DEFAULTS,
                  [("default", {}),
                   ("clipped_wd_maximize", MATRIX_CASES[1][1])]),
}


def main():
    meta, inputs = read_safetensors(GOLDEN / "inputs.safetensors")
    lengths, steps = json.loads(meta["lengths"]), int(meta["steps"])
    for rule, (run, reference, defaults, cases) in RULES.items():
        tensors, described = {}, []
        for cid, given in cases:
            h = {**defaults, **given}
            slots = []
            for n in lengths:
                init = inputs[f"n{n}/init"].astype(np.float64)
                grads = inputs[f"n{n}/grads"].astype(np.float64)
                res = run(init, grads, h)
                slots = [k for k in res if k != "weights"]
                for key, rows in res.items():
                    t = np.stack(rows).astype(np.float32)
                    assert t.shape == (steps, n) and np.isfinite(t).all(), (rule, cid, n, key)
                    tensors[f"{cid}/n{n}/{key}"] = t
            described.append({"id": cid, "rule": rule, "hyper": h, "slots": slots, "scalars": [], "reference": reference})
        write_safetensors(GOLDEN / "rules" / f"{rule}.safetensors", tensors, {
            "cases": json.dumps(described, separators=(",", ":")),
            "steps": str(steps),
            "lengths": json.dumps(lengths, separators=(",", ":")),
            "reference": "float64 from the papers' equations (scripts/golden/papers.py, numpy " + np.__version__ + ")",
        })
        print(f"rules/{rule}.safetensors: {', '.join(c['id'] for c in described)}", file=sys.stderr)
    build_matrices(steps)


if __name__ == "__main__":
    main()
