"""A push whose answer is lost on the way back is retried with the same Idempotency-Key and applied once."""

import torch

from shardstep import PushOptions, RetryPolicy, Shardstep
from shardstep.torch import RemoteOptimizer

from lost_answer_proxy import LostAnswerProxy

FAST_RETRIES = RetryPolicy(base_delay=0.01)


def test_a_shard_push_whose_answer_was_lost_is_applied_once(api, server, name):
    api.create_shard(name, {"length": 4, "rule": "adam", "hyper": {"lr": 0.1}})
    twin = name + ".twin"
    api.create_shard(twin, {"length": 4, "rule": "adam", "hyper": {"lr": 0.1}})
    proxy = LostAnswerProxy(server.url, "/gradients")
    retries = []
    try:
        lossy = Shardstep(proxy.url, server.token, retry=RetryPolicy(base_delay=0.01, on_retry=retries.append))
        result = lossy.push_gradient(name, [1, -2, 3, -4])
    finally:
        proxy.close()
    pushes = [s for s in proxy.seen if s[0] == "POST"]
    assert proxy.dropped == 1 and len(pushes) == 2 and pushes[0][2] is not None and pushes[0][2] == pushes[1][2]
    assert len(retries) == 1 and retries[0].attempt == 1
    assert result.replayed and result.version == 1
    assert api.get_shard(name)["version"] == 1
    once = api.push_gradient(twin, [1, -2, 3, -4])
    assert api.get_weights(name).values == once.weights


def test_a_remote_step_whose_answer_was_lost_is_applied_once(api, server, name):
    torch.manual_seed(1210)
    print("lost-answer: seed 1210")
    module = torch.nn.Linear(3, 2)
    proxy = LostAnswerProxy(server.url, "/gradients")
    try:
        lossy = Shardstep(proxy.url, server.token, retry=FAST_RETRIES)
        optimizer = RemoteOptimizer(module, client=lossy, model=name, rule="sgd", hyper={"lr": 0.5})
        before = optimizer.version
        versions = lambda: [s["version"] for s in api.get_model(name)["shards"]]  # noqa: E731
        assert versions() == [before]
        module(torch.ones(1, 3)).sum().backward()
        expected = {n: (p - 0.5 * p.grad).detach().clone() for n, p in module.named_parameters()}
        optimizer.step()
    finally:
        proxy.close()
    assert proxy.dropped == 1
    assert versions() == [before + 1] and optimizer.version == before + 1
    for n, p in module.named_parameters():
        assert torch.equal(p.detach(), expected[n]), n


def test_a_push_without_a_key_is_not_resent_when_its_answer_is_lost(api, server, name):
    api.create_shard(name, {"length": 2, "rule": "sgd", "hyper": {"lr": 1}})
    proxy = LostAnswerProxy(server.url, "/gradients")
    try:
        lossy = Shardstep(proxy.url, server.token, retry=FAST_RETRIES)
        try:
            lossy.push_gradient(name, [1, 1], PushOptions(idempotency_key=False))
            raise AssertionError("the lost answer should have raised")
        except Exception as error:  # noqa: BLE001
            assert type(error).__name__ == "ShardstepNetworkError"
    finally:
        proxy.close()
    assert len([s for s in proxy.seen if s[0] == "POST"]) == 1
    assert api.get_shard(name)["version"] == 1
