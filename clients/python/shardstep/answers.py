"""What the answers of vectors, pushes and models carry, read from their headers and bodies."""

from __future__ import annotations

import json
from array import array
from dataclasses import dataclass, field
from typing import Any, Dict, Optional

from .context import json_of
from .floats import floats_of
from .safetensors import SafetensorsFile, Tensor, decode
from .transport import Answer


@dataclass
class WeightsStamp:
    version: int
    revision: int
    etag: str  # for If-Match on uploads and If-None-Match on long polls


@dataclass
class VectorResult(WeightsStamp):
    values: array = field(default_factory=lambda: array("f"))
    offset: int = 0


@dataclass
class PointResult(VectorResult):
    is_weights: bool = True  # the point is the weights (X-Point: weights); else distinct from them


@dataclass
class PushResult:
    version: int  # the version this push produced (for a replay, the first answer's)
    point: array  # where the next gradient is to be taken over the pushed range (the weights for most rules)
    point_is_weights: bool
    weights: array  # the updated weights: `point` when point_is_weights, else empty
    weights_version: int  # the version `point` is at: `version`, except for replays (the current one then)
    revision: int
    lr: float
    replayed: bool  # the answer of a retried Idempotency-Key (also one the client sent by itself)
    offset: int
    lbfgs: Optional[Dict[str, Any]] = None  # an lbfgs shard: what the closure call did
    receipt: Optional[Dict[str, Any]] = None  # rounds mode, the round still open (202): where the push went


@dataclass
class RoundPushResult:
    """A rounds-mode push: closed with the new weights (`result`), or counted in an open round (`summary`)."""

    closed: bool
    round: int
    result: Optional[PushResult] = None
    summary: Optional[Dict[str, Any]] = None


@dataclass
class ModelTensors:
    """A model's tensors as answered: the decoded file, its bytes, and their versions."""

    file: SafetensorsFile
    body: bytearray
    versions: Dict[str, int]  # every shard's version (__metadata__.versions)
    version: Optional[int]  # the shards' version when they all agree (X-Model-Version)
    etag: str
    point_is_weights: bool = True

    @property
    def tensors(self) -> Dict[str, Tensor]:
        return self.file.tensors


def stamp_of(answer: Answer) -> WeightsStamp:
    return WeightsStamp(answer.int_header("x-shard-version"), answer.int_header("x-shard-revision"), answer.header("etag") or "")


def vector_of(answer: Answer) -> VectorResult:
    stamp = stamp_of(answer)
    return VectorResult(stamp.version, stamp.revision, stamp.etag, floats_of(answer.body), int(answer.header("x-offset") or 0))


def point_is_weights_of(answer: Answer) -> bool:
    return answer.header("x-point") != "distinct"


def point_of(answer: Answer) -> PointResult:
    v = vector_of(answer)
    return PointResult(v.version, v.revision, v.etag, v.values, v.offset, point_is_weights_of(answer))


def _lbfgs_of(answer: Answer) -> Optional[Dict[str, Any]]:
    outcome = answer.header("x-lbfgs-outcome")
    if outcome is None:
        return None
    return {
        "outcome": outcome,
        "end": answer.header("x-lbfgs-end"),
        "step_evaluations": answer.int_header("x-lbfgs-step-evaluations"),
        "func_evals": answer.int_header("x-lbfgs-func-evals"),
        "n_iter": answer.int_header("x-lbfgs-n-iter"),
    }


def push_result_of(answer: Answer) -> PushResult:
    if answer.status == 202:
        s = json_of(answer)
        none = array("f")
        return PushResult(s["version"], none, True, none, s["version"], s["revision"], s["lr"], s["replayed"], s["offset"], receipt=s.get("round"))
    point = floats_of(answer.body)
    is_weights = point_is_weights_of(answer)
    return PushResult(
        version=answer.int_header("x-push-version"),
        point=point,
        point_is_weights=is_weights,
        weights=point if is_weights else array("f"),
        weights_version=answer.int_header("x-shard-version"),
        revision=answer.int_header("x-shard-revision"),
        lr=float(answer.header("x-learning-rate") or "nan"),
        replayed=answer.header("idempotent-replayed") == "true",
        offset=int(answer.header("x-offset") or 0),
        lbfgs=_lbfgs_of(answer),
    )


def model_tensors_of(answer: Answer) -> ModelTensors:
    file = decode(answer.body)
    versions = json.loads(file.metadata["versions"]) if "versions" in file.metadata else {}
    version = answer.header("x-model-version")
    return ModelTensors(file, answer.body, versions, None if version is None else int(version), answer.header("etag") or "", point_is_weights_of(answer))
