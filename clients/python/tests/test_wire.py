"""float32 bytes and request targets (no server)."""

import struct
from array import array

import pytest

from shardstep import ROUTES, float32_bytes, floats_of


def test_float32_bytes_from_every_form_are_little_endian():
    expected = struct.pack("<3f", 1.5, -2, 0.1)
    assert float32_bytes([1.5, -2, 0.1]) == expected
    assert float32_bytes(array("f", [1.5, -2, 0.1])) == expected
    assert float32_bytes(expected) == expected
    np = pytest.importorskip("numpy")
    assert float32_bytes(np.array([1.5, -2, 0.1], dtype=np.float64)) == expected
    torch = pytest.importorskip("torch")
    assert float32_bytes(torch.tensor([[1.5, -2], [0.1, 0]])) == expected + bytes(4)
    assert floats_of(expected) == array("f", [1.5, -2, 0.1])
    with pytest.raises(ValueError):
        floats_of(b"\x00\x00\x00")


def test_targets_quote_path_parameters_and_refuse_undeclared_query_parameters():
    assert ROUTES["getAverage"].target({"shard": "a:b c", "name": "ema"}, {"offset": 3, "length": None}) == "/v1/shards/a:b%20c/averages/ema?offset=3"
    assert ROUTES["putShard"].target({"shard": "s"}, {"replace": True}) == "/v1/shards/s?replace=true"
    with pytest.raises(ValueError, match="no query parameter"):
        ROUTES["getShard"].target({"shard": "s"}, {"offset": 1})
    with pytest.raises(ValueError, match="missing"):
        ROUTES["getShard"].target({})
