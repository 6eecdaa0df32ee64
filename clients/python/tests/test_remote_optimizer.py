"""RemoteOptimizer against torch.optim: the same module, the same data, 20 steps each side.

Each side computes its gradients at its own weights, so differences of rounding feed back into the
gradients. An element's error is measured in ulps of the largest magnitude it has had on either side
along the way, its initial value included (docs/rules.md): the tolerance is the golden tests' 32 ulps.
"""

import copy

import numpy as np
import pytest
import torch

from shardstep.torch import RemoteOptimizer

torch.set_num_threads(1)
SEED = 1207
STEPS = 20
TOLERANCE_ULPS = 32

CASES = [
    pytest.param("adam", {"lr": 0.01}, torch.optim.Adam, {"lr": 0.01}, id="adam"),
    pytest.param("sgd", {"lr": 0.05, "momentum": 0.9, "nesterov": True}, torch.optim.SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True}, id="sgd-nesterov"),
    pytest.param("rmsprop", {"lr": 0.01}, torch.optim.RMSprop, {"lr": 0.01}, id="rmsprop"),
]


def module_and_data(seed: int):
    print(f"remote-optimizer: seed {seed}")
    torch.manual_seed(seed)
    module = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    x, y = torch.randn(16, 6), torch.randn(16, 3)
    return module, lambda m: ((m(x) - y) ** 2).mean()


def train_step(module, optimizer, loss_of):
    optimizer.zero_grad()
    loss_of(module).backward()
    optimizer.step()


class Ulps:
    """The worst difference so far, in ulps of each element's largest magnitude along both trajectories."""

    def __init__(self, a: torch.nn.Module, b: torch.nn.Module):
        self.magnitude = {n: np.maximum(np.abs(p.detach().numpy()), np.abs(q.detach().numpy())) for (n, p), (_, q) in zip(a.named_parameters(), b.named_parameters())}
        self.worst = 0.0

    def check(self, a: torch.nn.Module, b: torch.nn.Module) -> float:
        for (n, p), (_, q) in zip(a.named_parameters(), b.named_parameters()):
            p, q = p.detach().numpy(), q.detach().numpy()
            self.magnitude[n] = np.maximum(self.magnitude[n], np.maximum(np.abs(p), np.abs(q)))
            ulps = np.abs(p.astype(np.float64) - q) / np.spacing(self.magnitude[n].astype(np.float32)).astype(np.float64)
            self.worst = max(self.worst, float(ulps.max()))
        return self.worst


@pytest.mark.parametrize("rule, hyper, torch_class, torch_kwargs", CASES)
def test_twenty_steps_equal_torch_optim(api, name, rule, hyper, torch_class, torch_kwargs):
    remote, loss_of = module_and_data(SEED)
    local = copy.deepcopy(remote)
    optimizer = RemoteOptimizer(remote.named_parameters(), client=api, model=name, rule=rule, hyper=hyper)
    reference = torch_class(local.parameters(), **torch_kwargs)
    ulps = Ulps(remote, local)
    start = optimizer.version
    for _ in range(STEPS):
        train_step(remote, optimizer, loss_of)
        train_step(local, reference, loss_of)
        ulps.check(remote, local)
    print(f"remote-optimizer {rule} {hyper}: {STEPS} steps, worst {ulps.worst:.2f} ulps against {torch_class.__name__}")
    assert optimizer.version == start + STEPS
    assert ulps.worst <= TOLERANCE_ULPS
    # The module really moved (the comparison is not of two untouched copies).
    first, _ = module_and_data(SEED)
    assert any(not torch.equal(p, q) for p, q in zip(first.parameters(), remote.parameters()))


def test_state_dict_round_trips_through_the_server(api, name):
    remote, loss_of = module_and_data(SEED + 1)
    optimizer = RemoteOptimizer(remote, client=api, model=name, rule="adam", hyper={"lr": 0.01})
    for _ in range(3):
        train_step(remote, optimizer, loss_of)
    saved_weights = copy.deepcopy(remote.state_dict())
    saved = optimizer.state_dict()
    assert sorted(saved["state"][0]) == ["exp_avg", "exp_avg_sq", "step"]
    assert saved["state"][0]["step"].item() == 3 and saved["state"][0]["exp_avg"].shape == remote[0].weight.shape
    for _ in range(2):
        train_step(remote, optimizer, loss_of)
    after_five = copy.deepcopy(remote.state_dict())
    # Back to step 3 (the module's weights and the optimizer's state), then the same two steps again.
    remote.load_state_dict(saved_weights)
    optimizer.load_state_dict(saved)
    assert optimizer.state_dict()["state"][0]["step"].item() == 3
    for _ in range(2):
        train_step(remote, optimizer, loss_of)
    for key, value in remote.state_dict().items():
        assert torch.equal(value, after_five[key]), key


def test_averages_load_into_a_copy_of_the_module(api, name):
    remote, loss_of = module_and_data(SEED + 2)
    decay = 0.8
    optimizer = RemoteOptimizer(remote, client=api, model=name, rule="sgd", hyper={"lr": 0.1}, averages={"ema": {"kind": "ema", "decay": decay}})
    ema = {}  # torch.optim.swa_utils.AveragedModel's EMA: the first weights folded in are copied
    for _ in range(5):
        train_step(remote, optimizer, loss_of)
        for n, p in remote.named_parameters():
            w = p.detach().double()
            ema[n] = w.clone() if n not in ema else decay * ema[n] + (1 - decay) * w
    averaged = optimizer.averaged_copy(remote, "ema")
    assert averaged is not remote
    for n, p in averaged.named_parameters():
        assert not torch.equal(p, dict(remote.named_parameters())[n])
        assert torch.allclose(p.double(), ema[n], rtol=1e-5, atol=1e-6), n
    assert set(optimizer.average_tensors("ema")) == {n for n, _ in remote.named_parameters()}
