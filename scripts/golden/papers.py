#!/usr/bin/python3
"""Golden trajectories of the rules torch 1.13 lacks, computed in float64 straight from their
papers' update equations with numpy, with nothing of shardstep's code:

  lion        Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms", Algorithm 2:
                c = b1 m + (1 - b1) g;  x <- x - lr (sign(c) + wd x);  m <- b2 m + (1 - b2) g
  normalized  normalized gradient descent: d = g / (||g||_2 + eps), with heavy-ball momentum on d
              (b <- d at the first step, then b <- mu b + d) when momentum > 0;  x <- x - lr d

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


if __name__ == "__main__":
    main()
