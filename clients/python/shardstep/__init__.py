"""shardstep from Python: the HTTP API's client (standard library only), and `shardstep.torch`, a
torch.optim.Optimizer whose step happens on the server (torch and numpy needed there only)."""

from .answers import ModelTensors, PointResult, PushResult, RoundPushResult, VectorResult, WeightsStamp
from .backoff import backoff_delay, retry_after_seconds
from .client import Shardstep
from .floats import float32_bytes, floats_of
from .models import ModelPushResult
from .problem import ShardstepNetworkError, ShardstepProblem, is_problem
from .push_options import PushOptions, new_idempotency_key
from .retry import RetryEvent, RetryPolicy, is_retryable
from .routes import ROUTES, Route
from .safetensors import SafetensorsError, SafetensorsFile, Tensor
from .safetensors import decode as decode_safetensors
from .safetensors import encode as encode_safetensors
from .shards import Created
from .state import ModelStateExport, StateExport, StateImport
from .sweep_work import TrialContext, TrialOutcome, TrialStopped, WorkSummary
from .sweeps import EnsembleMember, SweepEnsemble

__all__ = [
    "Created", "EnsembleMember", "ModelPushResult", "ModelStateExport", "ModelTensors", "PointResult", "PushOptions", "PushResult",
    "ROUTES", "RetryEvent", "RetryPolicy", "RoundPushResult", "Route", "SafetensorsError", "SafetensorsFile", "Shardstep",
    "ShardstepNetworkError", "ShardstepProblem", "StateExport", "StateImport", "SweepEnsemble", "Tensor", "TrialContext",
    "TrialOutcome", "TrialStopped", "VectorResult", "WeightsStamp", "WorkSummary", "backoff_delay", "decode_safetensors",
    "encode_safetensors", "float32_bytes", "floats_of", "is_problem", "is_retryable", "new_idempotency_key", "retry_after_seconds",
]
