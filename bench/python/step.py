#!/usr/bin/python3
"""The Python side of bench/python.ts: times, against a model the caller created, `rounds` + 1 of
- `push`: `Shardstep.push_model_gradients` of given safetensors bytes (the same bytes the TypeScript client sends),
- `step`: `RemoteOptimizer.step()` of a module with the model's tensors (its gradients encoded, the answer written
  into the parameters), the first round of each a warm-up.

    step.py URL TOKEN MODEL SHAPES_JSON ROUNDS GRADIENT_FILE    # prints {"push_ms": [...], "step_ms": [...]}
"""

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "clients" / "python"))

import torch  # noqa: E402

from shardstep import Shardstep  # noqa: E402
from shardstep.torch import RemoteOptimizer  # noqa: E402


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


def main(url: str, token: str, model: str, shapes_json: str, rounds: str, gradient_file: str) -> None:
    torch.set_num_threads(1)
    api = Shardstep(url, token)
    shapes = json.loads(shapes_json)
    gradient = Path(gradient_file).read_bytes()
    push = [timed(lambda: api.push_model_gradients(model + ".py-push", gradient)) for _ in range(int(rounds) + 1)][1:]
    module = torch.nn.ParameterDict({name: torch.nn.Parameter(torch.zeros(shape)) for name, shape in shapes.items()})
    optimizer = RemoteOptimizer(module.named_parameters(), client=api, model=model + ".py-step", rule="adam", hyper={"lr": 1e-3}, config={"rate_limit": None})
    for p in module.parameters():
        p.grad = torch.full_like(p, 1e-3)
    step = [timed(optimizer.step) for _ in range(int(rounds) + 1)][1:]
    print(json.dumps({"push_ms": push, "step_ms": step, "parameters": sum(p.numel() for p in module.parameters())}))


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    main(*sys.argv[1:])
