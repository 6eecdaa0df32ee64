"""A shard's life: create, list, read, change, report metrics, delete."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from .context import Calls, json_of


@dataclass
class Created:
    created: bool  # False: it existed with this configuration already
    info: Dict[str, Any]


class ShardCalls(Calls):
    def create_shard(self, name: str, config: Dict[str, Any], replace: bool = False) -> Created:
        """PUT: creates the shard (created True) or finds it with this configuration already; `replace` starts it afresh."""
        answer = self._ctx.call("putShard", idempotent=True, path={"shard": name}, query={"replace": True if replace else None}, json_body=config)
        return Created(answer.status == 201, json_of(answer))

    def list_shards(self, prefix: Optional[str] = None) -> List[Dict[str, Any]]:
        return self._ctx.json("listShards", idempotent=True, query={"prefix": prefix})["shards"]

    def get_shard(self, name: str) -> Dict[str, Any]:
        return self._ctx.json("getShard", idempotent=True, path={"shard": name})

    def patch_shard(self, name: str, patch: Dict[str, Any]) -> Dict[str, Any]:
        """Changes hyperparameters or the schedule live. Not retried when it may have been applied (it would be recorded twice)."""
        return self._ctx.json("patchShard", idempotent=False, path={"shard": name}, json_body=patch)

    def history(self, name: str) -> Dict[str, Any]:
        return self._ctx.json("getShardHistory", idempotent=True, path={"shard": name})

    def get_status(self, name: str) -> Dict[str, Any]:
        """Mode, version, the open round, staleness statistics."""
        return self._ctx.json("getStatus", idempotent=True, path={"shard": name})

    def report_metric(self, name: str, value: float, client_id: Optional[str] = None) -> Dict[str, Any]:
        """Reports a metric (reduce-on-plateau schedules follow them). Counted twice it would move a plateau: retried only when surely refused."""
        body: Dict[str, Any] = {"value": value} if client_id is None else {"value": value, "client_id": client_id}
        return self._ctx.json("reportMetric", idempotent=False, path={"shard": name}, json_body=body)

    def delete_shard(self, name: str) -> None:
        """Deletes the shard and its state; a retry that finds it gone already counts as done."""
        self._ctx.call("deleteShard", idempotent=True, path={"shard": name}, gone_ok_on_retry=True)
