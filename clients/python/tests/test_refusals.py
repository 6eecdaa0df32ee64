"""Refusals raise ShardstepProblem with the problem+json the server answered."""

import pytest
import torch

from shardstep import ShardstepProblem, is_problem
from shardstep.torch import RemoteOptimizer


def test_a_push_of_the_wrong_length_raises_its_problem(api, name):
    api.create_shard(name, {"length": 3, "rule": "sgd", "hyper": {"lr": 0.1}})
    with pytest.raises(ShardstepProblem) as raised:
        api.push_gradient(name, [1.0, 2.0])
    problem = raised.value
    assert problem.status == 422 and problem.type == "/problems/wrong-length" and problem.slug == "wrong-length"
    assert problem.problem["type"] == problem.type and problem.detail == problem.problem["detail"] and "3" in problem.detail
    assert is_problem(problem, "wrong-length") and not is_problem(problem, "not-found")
    assert api.get_shard(name)["version"] == 0  # nothing changed


def test_an_unknown_shard_is_not_found(api, name):
    with pytest.raises(ShardstepProblem) as raised:
        api.get_shard(name + ".missing")
    assert raised.value.status == 404 and raised.value.slug == "not-found"


def test_a_remote_optimizer_with_an_unknown_rule_raises_before_anything_is_made(api, name):
    with pytest.raises(ShardstepProblem) as raised:
        RemoteOptimizer(torch.nn.Linear(2, 1), client=api, model=name, rule="no-such-rule")
    assert raised.value.status == 400
    print(f"refusals: an unknown rule is {raised.value.type}: {raised.value.detail}")
    with pytest.raises(ShardstepProblem) as missing:
        api.get_model(name)
    assert missing.value.slug == "not-found"


def test_a_bad_token_is_unauthorized(server, name):
    from shardstep import Shardstep

    with Shardstep(server.url, "not-a-token") as stranger:
        with pytest.raises(ShardstepProblem) as raised:
            stranger.get_shard(name)
    assert raised.value.status == 401
