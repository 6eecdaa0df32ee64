"""`Shardstep`: the client, assembled from its call groups over one transport and retry policy.

    api = Shardstep("http://127.0.0.1:8787", token)
    api.create_shard("mnist.w", {"length": 1024, "rule": "adam", "hyper": {"lr": 1e-3}})
    result = api.push_gradient("mnist.w", gradient)        # result.version, result.weights
"""

from __future__ import annotations

from typing import Optional

from .checkpoints import CheckpointCalls
from .context import Context
from .live import LiveCalls
from .models import ModelCalls
from .pushes import PushCalls
from .retry import RetryPolicy
from .service import ServiceCalls
from .shards import ShardCalls
from .state import StateCalls
from .sweeps import SweepCalls
from .transport import Token, Transport
from .weights import WeightCalls


class Shardstep(ServiceCalls, ShardCalls, PushCalls, WeightCalls, StateCalls, ModelCalls, CheckpointCalls, LiveCalls):
    def __init__(self, base_url: str, token: Token = None, retry: RetryPolicy = RetryPolicy(), timeout: Optional[float] = None):
        """`token`: a bearer token (docs/auth.md) or a function answering one per request. `retry`: every call's
        retries (`RetryPolicy(attempts=1)` for none). `timeout`: seconds to connect and per read (default: none)."""
        self._ctx = Context(Transport(base_url, token, timeout), retry)
        self.sweeps = SweepCalls(self._ctx)

    def close(self) -> None:
        """Closes this thread's kept-alive connection."""
        self._ctx.transport.close()

    def __enter__(self) -> "Shardstep":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
