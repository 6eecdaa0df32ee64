"""Checkpoints of shards and models (docs/checkpoints.md): snapshot, list, read, restore, delete, and the ensemble
(the element-wise mean of chosen checkpoints' weights)."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

from .answers import ModelTensors, VectorResult, model_tensors_of, vector_of
from .context import Calls, json_of
from .push_options import new_idempotency_key


def _selection(checkpoints: Optional[Sequence[int]], last: Optional[int]) -> Dict[str, Any]:
    return {"checkpoints": None if checkpoints is None else ",".join(str(int(c)) for c in checkpoints), "last": last}


def _label(label: Optional[str]) -> Dict[str, Any]:
    return {} if label is None else {"label": label}


class CheckpointCalls(Calls):
    def create_checkpoint(self, shard: str, label: Optional[str] = None) -> Dict[str, Any]:
        """Snapshots the shard (weights, optimizer state, averages); a retry takes no second checkpoint (Idempotency-Key)."""
        answer = self._ctx.call("createCheckpoint", idempotent=True, path={"shard": shard}, headers={"idempotency-key": new_idempotency_key()}, json_body=_label(label))
        return json_of(answer)

    def list_checkpoints(self, shard: str) -> List[Dict[str, Any]]:
        return self._ctx.json("listCheckpoints", idempotent=True, path={"shard": shard})["checkpoints"]

    def get_checkpoint(self, shard: str, id: int) -> Dict[str, Any]:
        return self._ctx.json("getCheckpoint", idempotent=True, path={"shard": shard, "id": id})

    def checkpoint_weights(self, shard: str, id: int, offset: Optional[int] = None, length: Optional[int] = None) -> VectorResult:
        return vector_of(self._ctx.call("getCheckpointWeights", idempotent=True, path={"shard": shard, "id": id}, query={"offset": offset, "length": length}))

    def restore_checkpoint(self, shard: str, id: int) -> Dict[str, Any]:
        """Brings back weights, state, averages, step, schedule and hyperparameters as a new version. Not retried once
        it may have been applied (a second restore would make another version)."""
        return self._ctx.json("restoreCheckpoint", idempotent=False, path={"shard": shard, "id": id})

    def delete_checkpoint(self, shard: str, id: int) -> None:
        self._ctx.call("deleteCheckpoint", idempotent=True, path={"shard": shard, "id": id}, gone_ok_on_retry=True)

    def ensemble(self, shard: str, checkpoints: Optional[Sequence[int]] = None, last: Optional[int] = None) -> VectorResult:
        """The mean of the checkpoints' weights: those with the given ids, or the newest `last`."""
        return vector_of(self._ctx.call("getEnsemble", idempotent=True, path={"shard": shard}, query=_selection(checkpoints, last)))

    def create_model_checkpoint(self, model: str, label: Optional[str] = None) -> Dict[str, Any]:
        answer = self._ctx.call("createModelCheckpoint", idempotent=True, path={"model": model}, headers={"idempotency-key": new_idempotency_key()}, json_body=_label(label))
        return json_of(answer)

    def list_model_checkpoints(self, model: str) -> List[Dict[str, Any]]:
        return self._ctx.json("listModelCheckpoints", idempotent=True, path={"model": model})["checkpoints"]

    def model_checkpoint_weights(self, model: str, id: int) -> ModelTensors:
        return model_tensors_of(self._ctx.call("getModelCheckpointWeights", idempotent=True, path={"model": model, "id": id}))

    def restore_model_checkpoint(self, model: str, id: int) -> Dict[str, Any]:
        return self._ctx.json("restoreModelCheckpoint", idempotent=False, path={"model": model, "id": id})

    def delete_model_checkpoint(self, model: str, id: int) -> None:
        self._ctx.call("deleteModelCheckpoint", idempotent=True, path={"model": model, "id": id}, gone_ok_on_retry=True)

    def model_ensemble(self, model: str, checkpoints: Optional[Sequence[int]] = None, last: Optional[int] = None) -> ModelTensors:
        return model_tensors_of(self._ctx.call("getModelEnsemble", idempotent=True, path={"model": model}, query=_selection(checkpoints, last)))
