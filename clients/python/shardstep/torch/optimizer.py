"""`RemoteOptimizer`: a torch.optim.Optimizer whose step happens on a shardstep server.

    model = torch.nn.Linear(784, 10)
    api = Shardstep("http://127.0.0.1:8787", token)
    opt = RemoteOptimizer(model.named_parameters(), client=api, model="mnist.linear", rule="adam", hyper={"lr": 1e-3})
    for x, y in batches:
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()            # every gradient in one safetensors request; the new weights written into the parameters

The module's named parameters become a shardstep model (docs/models.md) made with the rule, hyperparameters,
schedule and averages given. When the model is new (every shard at version 0) the module's weights are
imported into it (with the state's initial slots); otherwise the server's weights are loaded into the module,
so that a second process (a federated client, a resumed job) joins the same model.

Modes:
- "async": `step()` pushes the gradients (`.grad`; a parameter without one pushes zeros, so that its state
  decays as the server's rule says) and writes the answer (the evaluation point: the weights for most rules)
  into the parameters.
- "rounds": `aggregation` configures the shards' rounds (quorum, deadline_ms, reducer, input). `step()`
  contributes to the open round as client `client_id` and waits until it closes, then writes the round's
  weights into the parameters. With `input: "delta"` (FedAvg, FedAdam, ...) what is pushed is the parameters
  minus the weights of the last sync: train locally with any torch optimizer, then call `step()`.

`state_dict()` / `load_state_dict()` go through the model's optimizer state (GET/PUT /v1/models/{model}/state,
docs/state.md): the state is torch's layout, per parameter index, with PyTorch's slot names (`exp_avg`, ...)
and `step`. `average_tensors(name)` and `averaged_copy(module, name)` read the server's running averages (EMA,
SWA).
"""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any, Callable, Dict, Optional

import torch

from ..client import Shardstep
from ..push_options import PushOptions
from ..safetensors import SafetensorsFile, Tensor, decode, encode
from .tensors import load_named, named_parameters, tensor_of, tensors_of, torch_of, write_into

MODES = ("async", "rounds")


class RemoteOptimizer(torch.optim.Optimizer):
    def __init__(
        self,
        params: Any,
        *,
        client: Shardstep,
        model: str,
        rule: str,
        hyper: Optional[Dict[str, Any]] = None,
        schedule: Optional[Dict[str, Any]] = None,
        averages: Optional[Dict[str, Any]] = None,
        mode: str = "async",
        aggregation: Optional[Dict[str, Any]] = None,
        client_id: Optional[str] = None,
        sample_count: Optional[int] = None,
        shard_size: Optional[int] = None,
        config: Optional[Dict[str, Any]] = None,
        wait_seconds: int = 30,
        round_timeout: float = 600.0,
    ):
        """`config`: further shard configuration fields (clipping, non_finite, staleness, ...), laid under the others."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if mode == "rounds" and client_id is None:
            raise ValueError("rounds mode needs a client_id (each client contributes once per round)")
        self._named = named_parameters(params)
        hyper = dict(hyper or {})
        super().__init__([p for _, p in self._named], {"rule": rule, **hyper})
        self.client = client
        self.model = model
        self.mode = mode
        self._delta = mode == "rounds" and (aggregation or {}).get("input") == "delta"
        self._options = PushOptions(client_id=client_id, sample_count=sample_count, wait_seconds=wait_seconds if mode == "rounds" else None)
        self._round_timeout = round_timeout
        shard_config: Dict[str, Any] = {**(config or {}), "rule": rule, "hyper": hyper, "init": {"kind": "zeros"}}
        for key, value in (("schedule", schedule), ("averages", averages)):
            if value is not None:
                shard_config[key] = value
        if mode == "rounds":
            shard_config["aggregation"] = {"mode": "rounds", **(aggregation or {})}
        manifest: Dict[str, Any] = {"tensors": [{"name": n, "shape": list(p.shape)} for n, p in self._named], "config": shard_config}
        if shard_size is not None:
            manifest["shard_size"] = shard_size
        client.create_model(model, manifest)
        if all(s["version"] == 0 for s in client.get_model(model)["shards"]):
            self._import_module_weights()
        weights = client.get_model_weights(model)
        self._sync(weights.file, weights.version)

    # -- the server's weights in the module -------------------------------------------------------------

    def _sync(self, file: SafetensorsFile, version: Optional[int]) -> None:
        """Writes the server's tensors into the parameters; remembers them (delta mode) and their version."""
        write_into(self._named, file)
        self.version = version
        if self._delta:
            self._synced = {n: p.detach().clone() for n, p in self._named}

    def _import_module_weights(self) -> None:
        """A new model: its state file with the module's weights in place of the initial ones (slots as the rule starts them)."""
        exported = self.client.export_model_state(self.model)
        file = decode(exported.body)
        tensors: Dict[str, Any] = dict(file.tensors)
        tensors.update(tensors_of(self._named))
        self.client.import_model_state(self.model, encode(tensors, file.metadata), if_match=exported.etag)

    # -- step ---------------------------------------------------------------------------------------------

    def _pushed(self) -> Dict[str, Tensor]:
        """What this step pushes, per tensor: the gradients, or (rounds of deltas) the parameters minus the last sync."""
        if self._delta:
            return {n: tensor_of(p.detach() - self._synced[n]) for n, p in self._named}
        return {n: tensor_of(p.grad if p.grad is not None else torch.zeros_like(p)) for n, p in self._named}

    @torch.no_grad()
    def step(self, closure: Optional[Callable[[], float]] = None) -> Optional[float]:  # type: ignore[override]
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        options = replace(self._options, base_version=self.version)
        result = self.client.push_model_gradients(self.model, encode(self._pushed()), options)
        if result.closed:
            self._sync(result.tensors.file, result.tensors.version)  # type: ignore[union-attr]
        else:
            closes_into = max(s["round"]["number"] for s in result.receipts["shards"])  # type: ignore[index]
            weights = self.client.wait_for_model_version(self.model, closes_into, self._round_timeout)
            self._sync(weights.file, weights.version)
        return loss

    # -- optimizer state ----------------------------------------------------------------------------------

    def state_dict(self) -> Dict[str, Any]:
        """The server's optimizer state in torch's layout: per parameter index its slots (shaped as the parameter) and
        `step` and scalars (float64 0-d tensors, exact as the server keeps them)."""
        file = decode(self.client.export_model_state(self.model).body)
        state: Dict[int, Dict[str, torch.Tensor]] = {}
        for i, (name, _) in enumerate(self._named):
            prefix = name + "#"
            state[i] = {k[len(prefix) :]: torch_of(t).clone() for k, t in file.tensors.items() if k.startswith(prefix)}
        groups = [{**{k: v for k, v in g.items() if k != "params"}, "params": list(range(len(self._named)))} for g in self.param_groups]
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        """Imports a state (as `state_dict` answers it) with the parameters' current values as the weights: one new
        version of every shard."""
        exported = self.client.export_model_state(self.model)
        tensors: Dict[str, Any] = {}
        for i, (name, p) in enumerate(self._named):
            tensors[name] = tensor_of(p)
            for slot, value in state_dict["state"][i].items():
                value = torch.as_tensor(value)
                tensors[f"{name}#{slot}"] = value.detach().to(torch.float64).numpy() if value.dim() == 0 else tensor_of(value)
        self.client.import_model_state(self.model, encode(tensors), if_match=exported.etag)
        weights = self.client.get_model_weights(self.model)
        self._sync(weights.file, weights.version)

    # -- averages -----------------------------------------------------------------------------------------

    def average_tensors(self, name: str) -> Dict[str, torch.Tensor]:
        """A running average of the weights (an `averages` entry: EMA, SWA), per parameter name."""
        file = self.client.get_model_average(self.model, name).file
        return {n: torch_of(t).clone() for n, t in file.tensors.items()}

    def averaged_copy(self, module: torch.nn.Module, name: str) -> torch.nn.Module:
        """A deep copy of `module` (the one whose named_parameters() this optimizer was given) holding the average `name`."""
        averaged = copy.deepcopy(module)
        load_named(averaged, self.client.get_model_average(self.model, name).file.tensors)
        return averaged
