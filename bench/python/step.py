#!/usr/bin/python3
"""The Python side of bench/python.ts, driven over stdin so that its rounds interleave with the TypeScript ones.

    step.py URL TOKEN MODEL SHAPES_JSON GRADIENT_FILE

Reads one command a line and answers one line, the milliseconds it took:
- `push`: `Shardstep.push_model_gradients` of the safetensors bytes in GRADIENT_FILE (the TypeScript client's) to
  MODEL.py-push, a model the caller created, the floats rotated push by push as bench/stats.ts's safetensorsOfPush
  does (SQLite skips a page whose bytes did not change);
- `step`: `RemoteOptimizer.step()` of a module with the tensors of SHAPES_JSON (model MODEL.py-step, made by the
  optimizer): the gradients encoded from `.grad` (seeded random, rolled step by step), the answer written into the
  parameters;
- `local`: the same client-side work without the server: the gradients encoded, a model's answer (GRADIENT_FILE's
  bytes) decoded and written into the parameters.
It answers `ready <parameters>` first.
"""

import itertools
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "clients" / "python"))

import torch  # noqa: E402

from shardstep import Shardstep  # noqa: E402
from shardstep.safetensors import decode, encode  # noqa: E402
from shardstep.torch import RemoteOptimizer  # noqa: E402
from shardstep.torch.tensors import tensors_of, write_into  # noqa: E402


def rotated(gradient: bytes, seq: int) -> bytes:
    """The safetensors bytes with their float32 data rotated by seq * 7919 floats (bench/stats.ts, gradientOfPush)."""
    start = 8 + int.from_bytes(gradient[:8], "little")
    shift = (seq * 7919) % ((len(gradient) - start) // 4) * 4
    return gradient[:start] + gradient[start + shift :] + gradient[start : start + shift]


def main(url: str, token: str, model: str, shapes_json: str, gradient_file: str) -> None:
    torch.set_num_threads(1)
    api = Shardstep(url, token)
    gradient = Path(gradient_file).read_bytes()
    module = torch.nn.ParameterDict({name: torch.nn.Parameter(torch.zeros(shape)) for name, shape in json.loads(shapes_json).items()})
    optimizer = RemoteOptimizer(module.named_parameters(), client=api, model=model + ".py-step", rule="adam", hyper={"lr": 1e-3}, config={"rate_limit": None})
    torch.manual_seed(7)
    for p in module.parameters():
        p.grad = torch.randn_like(p) * 1e-3
    named = list(module.named_parameters())
    pushes = (rotated(gradient, seq) for seq in itertools.count())

    def roll_grads() -> None:
        for p in module.parameters():
            p.grad = p.grad.roll(7919)

    def local() -> None:
        encode(tensors_of((n, p.grad) for n, p in named))
        write_into(named, decode(bytearray(gradient)))

    # What each command needs made before its clock starts, then the command.
    prepare = {"push": lambda: next(pushes), "step": roll_grads, "local": lambda: None}
    actions = {"push": lambda body: api.push_model_gradients(model + ".py-push", body), "step": lambda _: optimizer.step(), "local": lambda _: local()}
    print(f"ready {sum(p.numel() for p in module.parameters())}", flush=True)
    for line in sys.stdin:
        command = line.strip()
        prepared = prepare[command]()
        start = time.perf_counter()
        actions[command](prepared)
        print(f"{(time.perf_counter() - start) * 1000:.3f}", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
