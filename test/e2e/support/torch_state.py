#!/usr/bin/python3
"""torch.optim's side of test/e2e/torch-state.e2e.test.ts, through clients/python/shardstep/torch/state.py.

    torch_state.py DIR torch-first    # DIR/inputs.safetensors → DIR/torch5.safetensors, DIR/torch10.safetensors
    torch_state.py DIR shard-first    # DIR/inputs.safetensors, DIR/shard5.safetensors → DIR/resumed10.safetensors

inputs.safetensors: `w0` (the initial weights, flat), `g` ([10, n]: the gradients of steps 1-10);
its metadata: `optimizer` (a torch.optim class name), `kwargs` (JSON), `shapes` (JSON: the
parameters' shapes, whose flattened concatenation is the shard's vector).
"""

import os
import sys

os.environ["ATEN_CPU_CAPABILITY"] = "default"  # before torch is imported: no fused multiply-add
os.environ["OMP_NUM_THREADS"] = "1"

import json  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../clients/python"))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from shardstep.torch.state import from_optimizer, load_into, read_safetensors  # noqa: E402

torch.set_num_threads(1)


def main(folder, mode):
    tensors, meta = read_safetensors(open(os.path.join(folder, "inputs.safetensors"), "rb").read())
    shapes = [tuple(s) for s in json.loads(meta["shapes"])]
    sizes = [int(np.prod(s)) for s in shapes]
    cuts = np.cumsum([0] + sizes)

    def pieces(flat):
        return [torch.from_numpy(flat[cuts[i] : cuts[i + 1]].copy()).reshape(shapes[i]) for i in range(len(shapes))]

    params = [torch.nn.Parameter(t) for t in pieces(tensors["w0"])]
    optimizer = getattr(torch.optim, meta["optimizer"])(params, **json.loads(meta["kwargs"]))

    def steps(first, last):
        for k in range(first, last):
            for p, g in zip(params, pieces(tensors["g"][k])):
                p.grad = g
            optimizer.step()

    def write(name, step):
        with open(os.path.join(folder, name), "wb") as f:
            f.write(from_optimizer(optimizer, step=step))

    if mode == "torch-first":
        steps(0, 5)
        write("torch5.safetensors", 5)
        steps(5, 10)
        write("torch10.safetensors", 10)
    elif mode == "shard-first":
        load_into(open(os.path.join(folder, "shard5.safetensors"), "rb").read(), optimizer)
        steps(5, 10)
        write("resumed10.safetensors", 10)
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
