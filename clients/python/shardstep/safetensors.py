"""safetensors in the standard library: the format models, state files and ensembles travel in.

The format: an 8-byte little-endian header length N, N bytes of JSON header (each tensor's dtype, shape and
[begin, end) byte offsets in the data section; an optional `__metadata__` map of strings), then the tensors'
little-endian bytes. shardstep speaks F32 (vectors) and F64 (0-d numbers of state files).

Decoding keeps views into the bytes it was given (no copy); `Tensor.values()` copies into an `array`,
`Tensor.numpy()` views them with numpy when it is installed. Encoding takes `Tensor`s, numpy arrays, torch
tensors, or `(shape, values)` pairs.
"""

from __future__ import annotations

import json
import struct
import sys
from array import array
from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional, Tuple

from .floats import float32_bytes

_ITEM = {"F32": 4, "F64": 8}
_TYPECODE = {"F32": "f", "F64": "d"}
_LITTLE = sys.byteorder == "little"


class SafetensorsError(ValueError):
    """Bytes that are not a safetensors file shardstep reads."""


@dataclass(frozen=True)
class Tensor:
    dtype: str  # "F32" or "F64"
    shape: Tuple[int, ...]
    data: memoryview  # little-endian bytes

    @property
    def count(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n

    def values(self) -> array:
        """The values, flat, as an `array('f')` (F32) or `array('d')` (F64)."""
        out = array(_TYPECODE[self.dtype])
        out.frombytes(self.data)
        if not _LITTLE:
            out.byteswap()
        return out

    def numpy(self) -> Any:
        """A numpy view of the values in their shape (numpy needed); read-only when the bytes were."""
        import numpy as np

        return np.frombuffer(self.data, dtype="<f4" if self.dtype == "F32" else "<f8").reshape(self.shape)


@dataclass(frozen=True)
class SafetensorsFile:
    tensors: Dict[str, Tensor]
    metadata: Dict[str, str] = field(default_factory=dict)


def decode(data: Any) -> SafetensorsFile:
    """Parses a file; its tensors view `data`."""
    view = memoryview(data).cast("B")
    if view.nbytes < 8:
        raise SafetensorsError("a safetensors file starts with an 8-byte header length")
    (length,) = struct.unpack_from("<Q", view, 0)
    if 8 + length > view.nbytes:
        raise SafetensorsError(f"header length {length} runs past the end of the file ({view.nbytes} bytes)")
    header = json.loads(bytes(view[8 : 8 + length]).decode("utf-8"))
    body = view[8 + length :]
    metadata = header.pop("__metadata__", None) or {}
    tensors: Dict[str, Tensor] = {}
    for name, info in header.items():
        dtype = info.get("dtype")
        if dtype not in _ITEM:
            raise SafetensorsError(f"tensor {name!r}: dtype {dtype} is not supported (F32, F64)")
        shape = tuple(int(d) for d in info["shape"])
        begin, end = info["data_offsets"]
        tensor = Tensor(dtype, shape, body[begin:end])
        if end - begin != tensor.count * _ITEM[dtype] or end > body.nbytes:
            raise SafetensorsError(f"tensor {name!r}: data_offsets {begin}..{end} do not fit shape {list(shape)} of {dtype}")
        tensors[name] = tensor
    return SafetensorsFile(tensors, dict(metadata))


def tensor_of(value: Any) -> Tensor:
    """A `Tensor`, a numpy array or torch tensor (float32 or float64), or a `(shape, values)` pair (float32)."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, tuple) and len(value) == 2:
        shape, values = value
        return Tensor("F32", tuple(int(d) for d in shape), memoryview(float32_bytes(values)))
    if hasattr(value, "detach"):  # torch
        value = value.detach().cpu().numpy()
    if hasattr(value, "dtype") and hasattr(value, "shape"):  # numpy
        kind = str(value.dtype)
        dtype = {"float32": "F32", "float64": "F64"}.get(kind)
        if dtype is None:
            raise SafetensorsError(f"dtype {kind} is not supported (float32, float64)")
        raw = value.astype("<f4" if dtype == "F32" else "<f8", copy=False).tobytes()
        return Tensor(dtype, tuple(int(d) for d in value.shape), memoryview(raw))
    raise TypeError(f"not a tensor: {type(value).__name__} (give a Tensor, a numpy array, a torch tensor or (shape, values))")


def encode(tensors: Mapping[str, Any], metadata: Optional[Mapping[str, str]] = None) -> bytes:
    """The bytes of a file holding `tensors`, in the given order."""
    header: Dict[str, Any] = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    chunks = []
    offset = 0
    for name, value in tensors.items():
        tensor = tensor_of(value)
        size = tensor.data.nbytes
        if size != tensor.count * _ITEM[tensor.dtype]:
            raise SafetensorsError(f"tensor {name!r}: {size} bytes do not fit shape {list(tensor.shape)} of {tensor.dtype}")
        header[name] = {"dtype": tensor.dtype, "shape": list(tensor.shape), "data_offsets": [offset, offset + size]}
        chunks.append(tensor.data)
        offset += size
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return b"".join([struct.pack("<Q", len(text)), text, *chunks])
