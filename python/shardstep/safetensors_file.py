"""A minimal safetensors reader and writer in pure Python and numpy (Debian ships no `safetensors`).

The format: an 8-byte little-endian header length N, N bytes of JSON header (each tensor's dtype,
shape and [begin, end) byte offsets in the data section; an optional `__metadata__` map of
strings), then the tensors' little-endian bytes. Only the dtypes shardstep uses are read (F32, F64).
"""

import json
import struct

import numpy as np

_DTYPES = {"F32": np.dtype("<f4"), "F64": np.dtype("<f8")}
_NAMES = {np.dtype("<f4"): "F32", np.dtype("<f8"): "F64"}


def read_safetensors(data):
    """Parses a file's bytes: ({name: numpy array, copied, native order}, {metadata})."""
    data = bytes(data)
    if len(data) < 8:
        raise ValueError("a safetensors file starts with an 8-byte header length")
    (length,) = struct.unpack("<Q", data[:8])
    if 8 + length > len(data):
        raise ValueError(f"header length {length} runs past the end of the file")
    header = json.loads(data[8 : 8 + length].decode("utf-8"))
    body = data[8 + length :]
    metadata = header.pop("__metadata__", {}) or {}
    tensors = {}
    for name, info in header.items():
        dtype = _DTYPES.get(info["dtype"])
        if dtype is None:
            raise ValueError(f"tensor {name!r}: dtype {info['dtype']} is not supported (F32, F64)")
        begin, end = info["data_offsets"]
        shape = tuple(info["shape"])
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if end - begin != count * dtype.itemsize or end > len(body):
            raise ValueError(f"tensor {name!r}: data_offsets {begin}..{end} do not fit shape {list(shape)} of {info['dtype']}")
        tensors[name] = np.frombuffer(body, dtype=dtype, count=count, offset=begin).reshape(shape).astype(dtype.newbyteorder("="))
    return tensors, metadata


def write_safetensors(tensors, metadata=None):
    """The bytes of a file holding `tensors` ({name: numpy array of float32 or float64}), in the given order."""
    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    chunks = []
    offset = 0
    for name, array in tensors.items():
        array = np.asarray(array, order="C")  # (ascontiguousarray would make a 0-d array 1-d)
        dtype = array.dtype.newbyteorder("<")
        if dtype not in _NAMES:
            raise ValueError(f"tensor {name!r}: dtype {array.dtype} is not supported (float32, float64)")
        raw = array.astype(dtype, copy=False).tobytes()
        header[name] = {"dtype": _NAMES[dtype], "shape": list(array.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)
