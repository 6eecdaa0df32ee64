"""The safetensors codec (no server)."""

import json
import struct
from array import array

import pytest

from shardstep.safetensors import SafetensorsError, Tensor, decode, encode


def test_round_trip_keeps_order_shapes_dtypes_and_metadata():
    data = encode({"b": ([2, 3], [1, 2, 3, 4, 5, 6.5]), "a": ([], [0.25]), "c": Tensor("F64", (), memoryview(struct.pack("<d", 1 / 3)))}, {"format": "pt", "n": 3})
    file = decode(data)
    assert list(file.tensors) == ["b", "a", "c"]
    assert file.tensors["b"].shape == (2, 3) and file.tensors["b"].values() == array("f", [1, 2, 3, 4, 5, 6.5])
    assert file.tensors["a"].shape == () and file.tensors["a"].values().tolist() == [0.25]
    assert file.tensors["c"].dtype == "F64" and file.tensors["c"].values().tolist() == [1 / 3]
    assert file.metadata == {"format": "pt", "n": "3"}


def test_header_is_padded_to_eight_bytes_and_offsets_are_contiguous():
    data = encode({"x": ([3], [1, 2, 3]), "y": ([1], [4])})
    (length,) = struct.unpack_from("<Q", data)
    assert length % 8 == 0
    header = json.loads(data[8 : 8 + length])
    assert header["x"]["data_offsets"] == [0, 12] and header["y"]["data_offsets"] == [12, 16]
    assert len(data) == 8 + length + 16


def test_numpy_and_torch_tensors_encode_as_their_dtype():
    np = pytest.importorskip("numpy")
    torch = pytest.importorskip("torch")
    file = decode(encode({"n": np.arange(6, dtype=np.float64).reshape(2, 3), "t": torch.ones(2, 2)}))
    assert file.tensors["n"].dtype == "F64" and file.tensors["n"].numpy().tolist() == [[0, 1, 2], [3, 4, 5]]
    assert file.tensors["t"].dtype == "F32" and file.tensors["t"].shape == (2, 2)
    with pytest.raises(SafetensorsError, match="int64"):
        encode({"i": np.arange(3)})


def test_decode_refuses_what_is_not_a_file():
    with pytest.raises(SafetensorsError, match="8-byte"):
        decode(b"\x01\x02")
    with pytest.raises(SafetensorsError, match="runs past"):
        decode(struct.pack("<Q", 100) + b"{}")
    header = json.dumps({"x": {"dtype": "F32", "shape": [4], "data_offsets": [0, 8]}}).encode()
    with pytest.raises(SafetensorsError, match="do not fit"):
        decode(struct.pack("<Q", len(header)) + header + bytes(8))
    header = json.dumps({"x": {"dtype": "I64", "shape": [1], "data_offsets": [0, 8]}}).encode()
    with pytest.raises(SafetensorsError, match="not supported"):
        decode(struct.pack("<Q", len(header)) + header + bytes(8))


def test_the_torch_state_helper_reads_and_writes_through_the_same_codec():
    pytest.importorskip("torch")
    from shardstep.torch.state import ShardState

    import numpy as np

    state = ShardState(np.arange(4, dtype=np.float32), {"exp_avg": np.ones(4, np.float32)}, 7, {"mu_product": 0.5})
    again = ShardState.read(state.write())
    assert again.step == 7 and again.scalars == {"mu_product": 0.5}
    assert again.weights.tolist() == [0, 1, 2, 3] and again.slots["exp_avg"].tolist() == [1, 1, 1, 1]
