"""Models: their life (create, list, read, delete) and their tensors on the wire as safetensors (pushes, weights,
point, averages), and waiting for a round of every shard to close."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Union

from .answers import ModelTensors, model_tensors_of
from .context import Calls, json_of
from .push_options import PushOptions
from .safetensors import encode
from .shards import Created
from .weights import MAX_WAIT_SECONDS

TensorsInput = Union[bytes, bytearray, memoryview, Mapping[str, Any]]


@dataclass
class ModelPushResult:
    """A model push: the updated model (`tensors`: where the next gradient is to be taken), or, in rounds mode while
    the shards' rounds are open, their `receipts` (every shard's summary with its round)."""

    closed: bool
    tensors: Optional[ModelTensors] = None
    receipts: Optional[Dict[str, Any]] = None


def _body(tensors: TensorsInput) -> bytes:
    return bytes(tensors) if isinstance(tensors, (bytes, bytearray, memoryview)) else encode(tensors)


class ModelCalls(Calls):
    def create_model(self, name: str, manifest: Dict[str, Any]) -> Created:
        """PUT: creates the model and its shards (created True) or finds it with this manifest already; another is a 409."""
        answer = self._ctx.call("putModel", idempotent=True, path={"model": name}, json_body=manifest)
        return Created(answer.status == 201, json_of(answer))

    def list_models(self, prefix: Optional[str] = None) -> List[Dict[str, Any]]:
        return self._ctx.json("listModels", idempotent=True, query={"prefix": prefix})["models"]

    def get_model(self, name: str) -> Dict[str, Any]:
        """The tensors, their layout on shards, and every shard's version and revision."""
        return self._ctx.json("getModel", idempotent=True, path={"model": name})

    def delete_model(self, name: str) -> None:
        self._ctx.call("deleteModel", idempotent=True, path={"model": name}, gone_ok_on_retry=True)

    def push_model_gradients(self, name: str, gradients: TensorsInput, options: PushOptions = PushOptions()) -> ModelPushResult:
        """Pushes the gradient of every tensor (a mapping name → tensor, or safetensors bytes) in one request."""
        key = options.key()
        answer = self._ctx.call(
            "pushModelGradient", idempotent=key is not None, path={"model": name}, headers=options.headers(key), body=_body(gradients), retry=options.retry
        )
        if answer.status == 202:
            return ModelPushResult(False, receipts=json_of(answer))
        return ModelPushResult(True, tensors=model_tensors_of(answer))

    def push_model_to_round(self, name: str, vectors: TensorsInput, options: PushOptions) -> ModelPushResult:
        """Rounds mode: contributes to the shards' open rounds (`options.client_id` required)."""
        if options.client_id is None:
            raise ValueError("push_model_to_round needs options.client_id")
        return self.push_model_gradients(name, vectors, options)

    def get_model_weights(self, name: str) -> ModelTensors:
        return model_tensors_of(self._ctx.call("getModelWeights", idempotent=True, path={"model": name}))

    def get_model_point(self, name: str) -> ModelTensors:
        """Where the model's next gradient is to be taken, per tensor (the weights for most rules)."""
        return model_tensors_of(self._ctx.call("getModelPoint", idempotent=True, path={"model": name}))

    def get_model_average(self, name: str, average: str) -> ModelTensors:
        return model_tensors_of(self._ctx.call("getModelAverage", idempotent=True, path={"model": name, "name": average}))

    def wait_for_model_version(self, name: str, version: int, timeout: float = 300.0) -> ModelTensors:
        """The model's weights once every shard is at `version` or later (a rounds-mode round closed into it): each
        shard is long-polled (GET .../weights, If-None-Match, Prefer: wait) until it gets there."""
        deadline = time.monotonic() + timeout
        for shard in self.get_model(name)["shards"]:
            current = self.get_weights(shard["name"], length=1)  # type: ignore[attr-defined]
            while current.version < version:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"model {name!r}: shard {shard['name']} is at version {current.version}, not {version}, after {timeout} s")
                current = self.wait_for_weights(shard["name"], current.etag, MAX_WAIT_SECONDS, length=1) or current  # type: ignore[attr-defined]
        return self.get_model_weights(name)
