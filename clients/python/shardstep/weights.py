"""A shard's weights, averages and evaluation point: reads, long polls, chunked uploads."""

from __future__ import annotations

from typing import Any, Optional

from .answers import PointResult, VectorResult, WeightsStamp, point_of, stamp_of, vector_of
from .context import Calls
from .floats import float32_bytes

# The largest upload sent as one request: 262,144 floats (1 MiB), the server's page size.
DEFAULT_CHUNK_FLOATS = 262_144
# The longest long poll the API holds (Prefer: wait=N).
MAX_WAIT_SECONDS = 30


class WeightCalls(Calls):
    def get_weights(self, name: str, offset: Optional[int] = None, length: Optional[int] = None) -> VectorResult:
        return vector_of(self._ctx.call("getWeights", idempotent=True, path={"shard": name}, query={"offset": offset, "length": length}))

    def wait_for_weights(self, name: str, etag: str, wait_seconds: int = MAX_WAIT_SECONDS, offset: Optional[int] = None, length: Optional[int] = None) -> Optional[VectorResult]:
        """Long poll: the weights (a range with `offset`, `length`) once their ETag differs from `etag`, or None after
        `wait_seconds` (at most 30)."""
        headers = {"if-none-match": etag, "prefer": f"wait={wait_seconds}"}
        query = {"offset": offset, "length": length}
        answer = self._ctx.call("getWeights", idempotent=True, path={"shard": name}, query=query, headers=headers, timeout=wait_seconds + 30)
        return None if answer.status == 304 else vector_of(answer)

    def get_average(self, name: str, average: str, offset: Optional[int] = None, length: Optional[int] = None) -> VectorResult:
        """A running average of the weights (EMA, SWA, or one the rule keeps)."""
        return vector_of(self._ctx.call("getAverage", idempotent=True, path={"shard": name, "name": average}, query={"offset": offset, "length": length}))

    def get_point(self, name: str, offset: Optional[int] = None, length: Optional[int] = None) -> PointResult:
        """Where the next gradient is to be taken (the weights for most rules)."""
        return point_of(self._ctx.call("getPoint", idempotent=True, path={"shard": name}, query={"offset": offset, "length": length}))

    def upload_weights(self, name: str, values: Any, offset: int = 0, if_match: Optional[str] = None, chunk_floats: int = DEFAULT_CHUNK_FLOATS) -> WeightsStamp:
        """Uploads weights (a range from `offset`) in chunks, each its own PUT; with `if_match` each later chunk carries
        the ETag the previous one answered. What a failure leaves is the chunks before it."""
        if chunk_floats < 1:
            raise ValueError(f"chunk_floats must be a positive integer, got {chunk_floats}")
        data = memoryview(float32_bytes(values))
        step = chunk_floats * 4
        at = 0
        while True:
            headers = {"if-match": if_match}
            part = data[at : at + step]
            answer = self._ctx.call("putWeights", idempotent=True, path={"shard": name}, query={"offset": (offset + at // 4) or None}, headers=headers, body=bytes(part))
            stamp = stamp_of(answer)
            if if_match is not None:
                if_match = stamp.etag
            at += len(part)
            if at >= len(data):
                return stamp
