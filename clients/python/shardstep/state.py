"""Optimizer state in and out as safetensors (docs/state.md): the weights, every slot under PyTorch's name, the
step and the rule's scalars. `shardstep.torch.state` turns the same bytes into torch.optim state dicts and back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Optional, Union

from .answers import stamp_of
from .context import Calls, json_of
from .push_options import new_idempotency_key


@dataclass
class StateExport:
    body: bytearray
    version: int
    revision: int
    step: int
    etag: str  # the If-Match of an import that replaces exactly this state


@dataclass
class ModelStateExport:
    body: bytearray  # tensors `<tensor>`, `<tensor>#<slot>`, `<tensor>#step`, ...
    etag: str


@dataclass
class StateImport:
    version: int
    revision: int
    step: int
    etag: str
    replayed: bool


def _import_headers(if_match: Optional[str], idempotency_key: Union[str, bool, None]) -> Dict[str, Any]:
    key = None if idempotency_key is False else (idempotency_key if isinstance(idempotency_key, str) else new_idempotency_key())
    return {"idempotency-key": key, "if-match": if_match}


class StateCalls(Calls):
    def export_state(self, name: str) -> StateExport:
        answer = self._ctx.call("getShardState", idempotent=True, path={"shard": name})
        stamp = stamp_of(answer)
        return StateExport(answer.body, stamp.version, stamp.revision, answer.int_header("x-shard-step"), stamp.etag)

    def import_state(self, name: str, data: bytes, if_match: Optional[str] = None, idempotency_key: Union[str, bool, None] = None) -> StateImport:
        """Imports a state file as one new version (`if_match`: the shard's ETag, once training has started)."""
        headers = _import_headers(if_match, idempotency_key)
        answer = self._ctx.call("putShardState", idempotent=headers["idempotency-key"] is not None, path={"shard": name}, headers=headers, body=bytes(data))
        stamp = stamp_of(answer)
        return StateImport(stamp.version, stamp.revision, json_of(answer)["step"], stamp.etag, answer.header("idempotent-replayed") == "true")

    def export_model_state(self, name: str) -> ModelStateExport:
        answer = self._ctx.call("getModelState", idempotent=True, path={"model": name})
        return ModelStateExport(answer.body, answer.header("etag") or "")

    def import_model_state(self, name: str, data: bytes, if_match: Optional[str] = None, idempotency_key: Union[str, bool, None] = None) -> Dict[str, Any]:
        """Imports a model's state file, every shard its part (`if_match`: the model's ETag, once training has started).
        Answers the server's summary with the new `etag`."""
        headers = _import_headers(if_match, idempotency_key)
        answer = self._ctx.call("putModelState", idempotent=headers["idempotency-key"] is not None, path={"model": name}, headers=headers, body=bytes(data))
        return {**json_of(answer), "etag": answer.header("etag") or ""}
