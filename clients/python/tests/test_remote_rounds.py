"""RemoteOptimizer in rounds mode: two clients (threads, each with its own module and connection) contribute to a
round; the first asks for no wait, is answered 202 and long-polls the shards until the second closes the round."""

import copy
import threading

import torch

from shardstep import Shardstep
from shardstep.torch import RemoteOptimizer

LR = 0.5


def test_two_clients_step_in_rounds_of_gradients(api, server, name):
    torch.manual_seed(1211)
    print("remote-rounds: seed 1211")
    first = torch.nn.Linear(3, 2)
    second = copy.deepcopy(first)
    start = {n: p.detach().clone() for n, p in first.named_parameters()}
    rounds = {"quorum": 2, "deadline_ms": 60_000, "reducer": "mean", "input": "gradient"}
    made = RemoteOptimizer(first, client=api, model=name, rule="sgd", hyper={"lr": LR}, mode="rounds", aggregation=rounds, client_id="a", wait_seconds=0)
    other = Shardstep(server.url, server.token)
    joined = RemoteOptimizer(second, client=other, model=name, rule="sgd", hyper={"lr": LR}, mode="rounds", aggregation=rounds, client_id="b")
    assert made.version == joined.version == 1  # the module's weights imported once, then joined
    g = {"a": {n: torch.full_like(p, 1.0) for n, p in first.named_parameters()}, "b": {n: torch.full_like(p, 3.0) for n, p in first.named_parameters()}}
    for module, grads in ((first, g["a"]), (second, g["b"])):
        for n, p in module.named_parameters():
            p.grad = grads[n].clone()
    waited = threading.Thread(target=made.step)  # answered 202 at once: the round waits for "b"
    waited.start()
    shard = api.get_model(name)["shards"][0]["name"]
    while api.get_status(shard)["round"]["contributors"] < 1:  # until "a" is counted
        assert waited.is_alive()
    joined.step()
    waited.join()
    assert made.version == joined.version == 2
    for (n, p), (_, q) in zip(first.named_parameters(), second.named_parameters()):
        expected = start[n] - LR * (g["a"][n] + g["b"][n]) / 2
        assert torch.equal(p.detach(), q.detach()) and torch.allclose(p.detach(), expected, rtol=0, atol=1e-6), n
