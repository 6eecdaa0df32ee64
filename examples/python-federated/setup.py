"""What the coordinator and the clients agree on: the model, FedAdam's server rule, the rounds, the arguments."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Optional

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "clients" / "python"))  # the client, from the repo

import torch  # noqa: E402

from shardstep import Shardstep  # noqa: E402
from shardstep.torch import RemoteOptimizer  # noqa: E402

# FedAdam (Reddi et al. 2021, docs/federated.md): the server's Adam over the negated mean delta, no bias
# correction, the second moment starting at tau².
TAU = 1e-3
FED_ADAM = {"lr": 0.01, "betas": [0.9, 0.99], "eps": TAU, "bias_correction": False, "initial_accumulator_value": TAU * TAU}


def arguments() -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Federated MNIST through RemoteOptimizer in rounds mode with FedAdam")
    p.add_argument("--model", default="fed.mnist-mlp")
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--rounds", type=int, default=10)
    p.add_argument("--local-steps", type=int, default=20, help="local SGD steps per round")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--local-lr", type=float, default=0.1)
    p.add_argument("--train-per-client", type=int, default=0, help="0: the client's whole part")
    p.add_argument("--test", type=int, default=0, help="test images (0: all)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--client", type=int, default=-1, help=argparse.SUPPRESS)  # set by the coordinator for its clients
    return p.parse_args()


def network(seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(28 * 28, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))


def connect() -> Shardstep:
    url, token = os.environ.get("SHARDSTEP_URL", "http://127.0.0.1:8787"), os.environ.get("SHARDSTEP_TOKEN")
    if not token:
        raise SystemExit("set SHARDSTEP_TOKEN to a token with the relay (or admin) scope: npm run -s token -- --scopes train --relay --sub fed")
    return Shardstep(url, token)


def remote(module: torch.nn.Module, api: Shardstep, args: argparse.Namespace, client_id: str, sample_count: Optional[int] = None) -> RemoteOptimizer:
    """The same manifest for the coordinator (who creates the model with its module's weights) and every client (who joins it)."""
    aggregation = {"quorum": args.clients, "deadline_ms": 120_000, "reducer": "weighted_mean", "input": "delta"}
    return RemoteOptimizer(
        module, client=api, model=args.model, rule="adam", hyper=FED_ADAM, mode="rounds", aggregation=aggregation, client_id=client_id, sample_count=sample_count
    )
