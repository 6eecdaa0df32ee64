#!/usr/bin/python3
"""Federated MNIST in Python: several client processes train a small PyTorch model on non-IID digits through
`RemoteOptimizer` in rounds mode, and the server combines their deltas with FedAdam; this coordinator creates the
model, starts the clients, and prints the test accuracy of the server's weights after every round.

    SHARDSTEP_TOKEN=$(npm run -s token -- --scopes admin --sub fed) python3 examples/python-federated/main.py --clients 4 --rounds 10
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402

from data import head, load_mnist  # noqa: E402
from setup import arguments, connect, network, remote  # noqa: E402
from shardstep.torch.tensors import load_named  # noqa: E402


def accuracy(module: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    with torch.no_grad():
        return (module(x).argmax(1) == y).float().mean().item()


def main() -> None:
    args = arguments()
    torch.set_num_threads(1)
    started = time.monotonic()
    _, test = load_mnist()
    test = head(test, args.test, args.seed)
    x, y = torch.from_numpy(test.images), torch.from_numpy(test.labels)
    module = network(args.seed)
    api = connect()
    optimizer = remote(module, api, args, client_id="coordinator")  # creates the model with this module's weights
    start = optimizer.version
    print(f"model {args.model}: {sum(p.numel() for p in module.parameters())} parameters, version {start}, "
          f"{args.clients} clients, FedAdam, accuracy before training {accuracy(module, x, y):.3f} ({len(y)} test images)", flush=True)
    here = Path(__file__).resolve().parent
    clients = [subprocess.Popen([sys.executable, str(here / "client.py"), *sys.argv[1:], "--client", str(c)]) for c in range(args.clients)]
    try:
        for r in range(1, args.rounds + 1):
            weights = api.wait_for_model_version(args.model, start + r, timeout=600)
            load_named(module, weights.tensors)
            print(f"round {r}: accuracy {accuracy(module, x, y):.3f}", flush=True)
    finally:
        codes = [c.wait() for c in clients]
    if any(codes):
        raise SystemExit(f"clients exited with {codes}")
    print(f"done: {args.rounds} rounds in {time.monotonic() - started:.1f} s", flush=True)


if __name__ == "__main__":
    main()
