"""A module's named parameters as safetensors tensors, and tensors written back into parameters in place."""

from __future__ import annotations

import sys
from typing import Dict, Iterable, List, Mapping, Tuple

import torch

from ..safetensors import SafetensorsFile, Tensor

if sys.byteorder != "little":
    raise ImportError("shardstep.torch views the wire's little-endian float32 bytes directly: a little-endian machine is needed")

Named = List[Tuple[str, torch.nn.Parameter]]


def named_parameters(params: object) -> Named:
    """(name, parameter) pairs from a module, or from `module.named_parameters()` (or any such pairs)."""
    pairs = list(params.named_parameters()) if isinstance(params, torch.nn.Module) else list(params)  # type: ignore[call-overload]
    if not pairs or not all(isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str) for p in pairs):
        raise TypeError("RemoteOptimizer takes a module or its named_parameters(): (name, parameter) pairs, which name the model's tensors")
    for name, p in pairs:
        if p.dtype != torch.float32:
            raise TypeError(f"parameter {name!r} is {p.dtype}: shardstep trains float32")
    return pairs


def tensor_of(t: torch.Tensor) -> Tensor:
    """A tensor's float32 values (a contiguous CPU copy, detached) as a safetensors Tensor."""
    data = t.detach().to("cpu", torch.float32).contiguous().numpy().tobytes()
    return Tensor("F32", tuple(t.shape), memoryview(data))


def torch_of(tensor: Tensor) -> torch.Tensor:
    """A view of a decoded tensor as a torch tensor (F32, or F64 for 0-d numbers); no copy when the bytes are writable."""
    dtype = torch.float32 if tensor.dtype == "F32" else torch.float64
    if tensor.count == 0:
        return torch.zeros(tensor.shape, dtype=dtype)
    data = tensor.data if not tensor.data.readonly else bytearray(tensor.data)
    return torch.frombuffer(data, dtype=dtype).view(tensor.shape)


def write_into(named: Iterable[Tuple[str, torch.Tensor]], file: SafetensorsFile) -> None:
    """Copies each named tensor of `file` into its parameter, in place (shapes must match)."""
    with torch.no_grad():
        for name, p in named:
            found = file.tensors.get(name)
            if found is None:
                raise KeyError(f"the answer has no tensor {name!r}")
            if tuple(found.shape) != tuple(p.shape):
                raise ValueError(f"tensor {name!r}: the answer's shape {list(found.shape)} is not the parameter's {list(p.shape)}")
            p.copy_(torch_of(found))


def tensors_of(named: Iterable[Tuple[str, torch.Tensor]]) -> Dict[str, Tensor]:
    return {name: tensor_of(t) for name, t in named}


def load_named(module: torch.nn.Module, tensors: Mapping[str, Tensor]) -> None:
    """Writes tensors into a module's parameters by name (every parameter must be there)."""
    write_into(module.named_parameters(), SafetensorsFile(dict(tensors)))
