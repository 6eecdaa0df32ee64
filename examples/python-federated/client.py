"""One federated client: a plain PyTorch training loop on its own digits; `remote.step()` ends each round (pushes
the delta of its local training, waits for the round's FedAdam step, and continues from the new weights)."""

from __future__ import annotations

import numpy as np
import torch

from data import head, load_mnist, non_iid_parts
from setup import arguments, connect, network, remote


def main() -> None:
    args = arguments()
    torch.set_num_threads(1)
    train, _ = load_mnist()
    part = head(non_iid_parts(train, args.clients, args.seed)[args.client], args.train_per_client, args.seed + args.client)
    x, y = torch.from_numpy(part.images), torch.from_numpy(part.labels)
    module = network(args.seed)
    api = connect()
    optimizer = remote(module, api, args, client_id=f"client-{args.client}", sample_count=len(y))
    local = torch.optim.SGD(module.parameters(), lr=args.local_lr)
    rng = np.random.default_rng(args.seed * 1000 + args.client)
    digits = sorted(set(part.labels.tolist()))
    for r in range(1, args.rounds + 1):
        for _ in range(args.local_steps):
            batch = torch.from_numpy(rng.integers(0, len(y), args.batch))
            local.zero_grad()
            loss = torch.nn.functional.cross_entropy(module(x[batch]), y[batch])
            loss.backward()
            local.step()
        optimizer.step()
        print(f"client {args.client} (digits {digits}, {len(y)} images): round {r} pushed, local loss {loss.item():.3f}, now at version {optimizer.version}", flush=True)


if __name__ == "__main__":
    main()
