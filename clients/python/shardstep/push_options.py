"""What shard and model pushes share: their options and their headers. Every push carries an Idempotency-Key
(the caller's, or a new random one per call) and sends the same key on every retry, so a push whose answer
was lost applies once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Dict, Optional, Union

from .retry import RetryPolicy


def new_idempotency_key() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class PushOptions:
    idempotency_key: Union[str, bool, None] = None  # None: a new key per call; False: none (then retried only when surely refused)
    base_version: Optional[int] = None  # the version the gradient was computed at (staleness; rounds)
    client_id: Optional[str] = None  # who pushes (rounds count one push per client; a relay token names its clients)
    sample_count: Optional[int] = None  # samples behind it (its weight in weighted means)
    wait_seconds: Optional[int] = None  # rounds: wait this long for the round to close (Prefer: wait, at most 30)
    retry: Optional[RetryPolicy] = None

    def key(self) -> Optional[str]:
        """The key every attempt of this push sends."""
        if self.idempotency_key is False:
            return None
        return self.idempotency_key if isinstance(self.idempotency_key, str) else new_idempotency_key()

    def headers(self, key: Optional[str], minimal: bool = False) -> Dict[str, object]:
        # A push's answer is raw floats or a little JSON: compressing it costs both ends more than it saves.
        headers: Dict[str, object] = {"accept-encoding": "identity"}
        if key is not None:
            headers["idempotency-key"] = key
        if self.base_version is not None:
            headers["x-base-version"] = self.base_version
        if self.client_id is not None:
            headers["x-client-id"] = self.client_id
        if self.sample_count is not None:
            headers["x-sample-count"] = self.sample_count
        prefer = [p for p in ("return=minimal" if minimal else "", f"wait={self.wait_seconds}" if self.wait_seconds else "") if p]
        if prefer:
            headers["prefer"] = ", ".join(prefer)
        return headers
