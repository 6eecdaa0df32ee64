"""A shard's optimizer state file (GET/PUT /v1/shards/{shard}/state, docs/state.md) to and from torch.optim.

The file holds `weights` (F32, the shard's vector), each slot of the rule under PyTorch's name
(`exp_avg`, `exp_avg_sq`, `momentum_buffer`, `square_avg`, `acc_delta`, `sum`, `max_exp_avg_sq`,
`exp_inf`, ...: F32), and `step` and the rule's scalars (`mu_product`, ...) as F64 0-d tensors.

A shard's vector is the parameters of an optimizer flattened and concatenated in the order of its
param_groups (the order of `optimizer.state_dict()["state"]`). Only `numpy` and `torch` are needed:

    import torch
    from shardstep.torch.state import load_into, from_optimizer

    load_into(open("state.safetensors", "rb").read(), optimizer)   # weights into the parameters, state into the optimizer
    data = from_optimizer(optimizer)                               # the file a PUT .../state imports

PyTorch 1.13 keeps `step` as a float32 0-d tensor (exact to 2^24); SGD keeps none, so its step is
given to `from_optimizer` and not put into torch. SGD creates its momentum buffer at its first step
(the buffer is then the gradient itself): a state at step 0 leaves SGD's state empty.
"""

import numpy as np
import torch

from ..safetensors import decode, encode

WEIGHTS = "weights"
STEP = "step"


def read_safetensors(data):
    """A file's tensors as numpy arrays (copies, native byte order) and its metadata."""
    file = decode(bytes(data))
    return {name: t.numpy().astype(t.numpy().dtype.newbyteorder("=")) for name, t in file.tensors.items()}, file.metadata


def write_safetensors(tensors, metadata=None):
    """The bytes of a file holding numpy arrays (float32 or float64), in the given order."""
    return encode({name: np.asarray(a) for name, a in tensors.items()}, metadata)


def _parameters(optimizer):
    return [p for group in optimizer.param_groups for p in group["params"]]


def _keeps_step(optimizer):
    return not isinstance(optimizer, torch.optim.SGD)


class ShardState:
    """A state file's contents: the weights, the slots (flat float32), the step, the scalars and the metadata."""

    def __init__(self, weights, slots, step, scalars, metadata=None):
        self.weights = np.asarray(weights, dtype=np.float32)
        self.slots = {k: np.asarray(v, dtype=np.float32) for k, v in slots.items()}
        self.step = int(step)
        self.scalars = {k: float(v) for k, v in scalars.items()}
        self.metadata = dict(metadata or {})

    @classmethod
    def read(cls, data):
        tensors, metadata = read_safetensors(data)
        weights = tensors.pop(WEIGHTS)
        step = float(tensors.pop(STEP))
        if step != int(step) or step < 0:
            raise ValueError(f"step {step} is not a non-negative whole number")
        slots = {k: v for k, v in tensors.items() if v.ndim == 1}
        scalars = {k: float(v) for k, v in tensors.items() if v.ndim == 0}
        return cls(weights, slots, int(step), scalars, metadata)

    def write(self):
        """The file's bytes, laid out as the server lays them out: the 0-d numbers (F64), then the vectors (F32)."""
        numbers = {STEP: np.float64(self.step), **{k: np.float64(v) for k, v in self.scalars.items()}}
        tensors = {k: np.array(numbers[k], dtype=np.float64) for k in sorted(numbers)}
        tensors[WEIGHTS] = self.weights
        tensors.update(self.slots)
        return write_safetensors(tensors, {"format": "pt", "shardstep.state": "1", **self.metadata})


def optimizer_state_dict(state, optimizer):
    """The state dict `optimizer.load_state_dict` takes for `state`: each slot split over the parameters and shaped as they are."""
    params = _parameters(optimizer)
    total = sum(p.numel() for p in params)
    if total != state.weights.size:
        raise ValueError(f"the optimizer's parameters have {total} elements; the state's weights have {state.weights.size}")
    per_param = {}
    if state.step > 0 or _keeps_step(optimizer):
        at = 0
        for i, p in enumerate(params):
            n = p.numel()
            entry = {name: torch.from_numpy(vector[at : at + n].copy()).reshape(p.shape) for name, vector in state.slots.items()}
            entry.update({name: torch.tensor(value, dtype=torch.float32) for name, value in state.scalars.items()})
            if _keeps_step(optimizer):
                entry[STEP] = torch.tensor(float(state.step), dtype=torch.float32)
            per_param[i] = entry
            at += n
    sd = optimizer.state_dict()
    return {"state": per_param, "param_groups": sd["param_groups"]}


def load_into(data, optimizer):
    """Puts a state file into `optimizer`: the weights into its parameters, the slots, step and scalars into its state. Answers the ShardState."""
    state = data if isinstance(data, ShardState) else ShardState.read(data)
    sd = optimizer_state_dict(state, optimizer)
    at = 0
    with torch.no_grad():
        for p in _parameters(optimizer):
            n = p.numel()
            p.copy_(torch.from_numpy(state.weights[at : at + n].copy()).reshape(p.shape))
            at += n
    optimizer.load_state_dict(sd)
    return state


def from_optimizer(optimizer, step=None, metadata=None):
    """The state file of `optimizer` (its parameters as the weights): `step` is needed where torch keeps none (SGD)."""
    params = _parameters(optimizer)
    slots, scalars, steps = {}, {}, set()
    for i, p in enumerate(params):
        entry = optimizer.state.get(p, {})
        if not entry and step is None:
            raise ValueError(f"parameter {i} has no optimizer state yet: take a step first, or give `step`")
        for name, value in entry.items():
            if name == STEP:
                steps.add(int(value.item() if torch.is_tensor(value) else value))
            elif torch.is_tensor(value) and value.dim() > 0 and value.numel() == p.numel():
                slots.setdefault(name, []).append(value.detach().reshape(-1).to(torch.float32).numpy())
            elif torch.is_tensor(value) and value.numel() == 1:
                scalars.setdefault(name, set()).add(float(value.item()))
            elif value is not None:
                raise ValueError(f"state {name!r} of parameter {i} is neither a slot nor a scalar: {type(value).__name__}")
    if step is None:
        if len(steps) != 1:
            raise ValueError(f"the parameters' steps differ or are missing ({sorted(steps)}): give `step`")
        step = steps.pop()
    for name, values in scalars.items():
        if len(values) != 1:
            raise ValueError(f"scalar {name!r} differs between the parameters: {sorted(values)}")
    weights = np.concatenate([p.detach().reshape(-1).to(torch.float32).numpy() for p in params])
    flat_slots = {name: np.concatenate(parts) for name, parts in slots.items()}
    for name, vector in flat_slots.items():
        if vector.size != weights.size:
            raise ValueError(f"slot {name!r} is kept for some parameters only")
    return ShardState(weights, flat_slots, step, {k: v.pop() for k, v in scalars.items()}, metadata).write()
