"""Every operation the client calls: its method, path template, and the query parameters and headers it sends.

This table is the client's whole view of the HTTP API. `test/e2e/python-client.e2e.test.ts` holds it to
openapi.yaml (each operation's method and path, and every query parameter and header named here is one
the spec declares for it), so the client and the spec cannot drift. Calls name operations by their
operationId and may send only what their route declares.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional, Tuple
from urllib.parse import quote, urlencode

_PUSH_HEADERS = ("idempotency-key", "x-base-version", "x-client-id", "x-loss", "x-point-revision", "x-sample-count", "prefer")
_RANGE = ("offset", "length")
_POLL = ("if-none-match", "prefer")


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    query: Tuple[str, ...] = ()
    headers: Tuple[str, ...] = ()

    def target(self, params: Mapping[str, object], query: Optional[Mapping[str, object]] = None) -> str:
        """The request target: the path with `params` filled in (each quoted), and the query."""
        path = self.path
        for name, value in params.items():
            path = path.replace("{" + name + "}", quote(str(value), safe=":"))
        if "{" in path:
            raise ValueError(f"{self.method} {self.path}: a path parameter is missing ({path})")
        given = {k: v for k, v in (query or {}).items() if v is not None}
        unknown = set(given) - set(self.query)
        if unknown:
            raise ValueError(f"{self.method} {self.path} takes no query parameter {sorted(unknown)}")
        return path + ("?" + urlencode({k: _text(v) for k, v in given.items()}) if given else "")


def _text(value: object) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


ROUTES = {
    "getHealth": Route("GET", "/health"),
    "listRules": Route("GET", "/v1/rules"),
    # shards
    "listShards": Route("GET", "/v1/shards", query=("prefix",)),
    "putShard": Route("PUT", "/v1/shards/{shard}", query=("replace",)),
    "getShard": Route("GET", "/v1/shards/{shard}"),
    "patchShard": Route("PATCH", "/v1/shards/{shard}"),
    "deleteShard": Route("DELETE", "/v1/shards/{shard}"),
    "getShardHistory": Route("GET", "/v1/shards/{shard}/history"),
    "getStatus": Route("GET", "/v1/shards/{shard}/status"),
    "reportMetric": Route("POST", "/v1/shards/{shard}/metrics"),
    # vectors
    "getWeights": Route("GET", "/v1/shards/{shard}/weights", query=_RANGE, headers=_POLL),
    "putWeights": Route("PUT", "/v1/shards/{shard}/weights", query=("offset",), headers=("if-match",)),
    "getAverage": Route("GET", "/v1/shards/{shard}/averages/{name}", query=_RANGE, headers=_POLL),
    "getPoint": Route("GET", "/v1/shards/{shard}/point", query=_RANGE, headers=_POLL),
    "pushGradient": Route("POST", "/v1/shards/{shard}/gradients", query=("offset",), headers=_PUSH_HEADERS),
    # optimizer state
    "getShardState": Route("GET", "/v1/shards/{shard}/state"),
    "putShardState": Route("PUT", "/v1/shards/{shard}/state", headers=("if-match", "idempotency-key")),
    "getModelState": Route("GET", "/v1/models/{model}/state"),
    "putModelState": Route("PUT", "/v1/models/{model}/state", headers=("if-match", "idempotency-key")),
    # models
    "listModels": Route("GET", "/v1/models", query=("prefix",)),
    "putModel": Route("PUT", "/v1/models/{model}"),
    "getModel": Route("GET", "/v1/models/{model}"),
    "deleteModel": Route("DELETE", "/v1/models/{model}"),
    "pushModelGradient": Route("POST", "/v1/models/{model}/gradients", headers=_PUSH_HEADERS),
    "getModelWeights": Route("GET", "/v1/models/{model}/weights", headers=("if-none-match",)),
    "getModelPoint": Route("GET", "/v1/models/{model}/point", headers=("if-none-match",)),
    "getModelAverage": Route("GET", "/v1/models/{model}/averages/{name}", headers=("if-none-match",)),
    # checkpoints
    "createCheckpoint": Route("POST", "/v1/shards/{shard}/checkpoints", headers=("idempotency-key",)),
    "listCheckpoints": Route("GET", "/v1/shards/{shard}/checkpoints"),
    "getCheckpoint": Route("GET", "/v1/shards/{shard}/checkpoints/{id}"),
    "deleteCheckpoint": Route("DELETE", "/v1/shards/{shard}/checkpoints/{id}"),
    "getCheckpointWeights": Route("GET", "/v1/shards/{shard}/checkpoints/{id}/weights", query=_RANGE),
    "restoreCheckpoint": Route("POST", "/v1/shards/{shard}/checkpoints/{id}/restore"),
    "getEnsemble": Route("GET", "/v1/shards/{shard}/ensemble", query=_RANGE + ("checkpoints", "last")),
    "createModelCheckpoint": Route("POST", "/v1/models/{model}/checkpoints", headers=("idempotency-key",)),
    "listModelCheckpoints": Route("GET", "/v1/models/{model}/checkpoints"),
    "getModelCheckpointWeights": Route("GET", "/v1/models/{model}/checkpoints/{id}/weights"),
    "restoreModelCheckpoint": Route("POST", "/v1/models/{model}/checkpoints/{id}/restore"),
    "deleteModelCheckpoint": Route("DELETE", "/v1/models/{model}/checkpoints/{id}"),
    "getModelEnsemble": Route("GET", "/v1/models/{model}/ensemble", query=("checkpoints", "last")),
    # live sessions (WebSocket upgrades: the client builds their URLs and mints their tickets)
    "openLiveSession": Route("GET", "/v1/shards/{shard}/live", query=("ticket",)),
    "createLiveTicket": Route("POST", "/v1/shards/{shard}/live/tickets"),
    "openModelLiveSession": Route("GET", "/v1/models/{model}/live/{index}", query=("ticket",)),
    "createModelLiveTickets": Route("POST", "/v1/models/{model}/live/tickets"),
    # sweeps
    "listSweeps": Route("GET", "/v1/sweeps", query=("prefix",)),
    "putSweep": Route("PUT", "/v1/sweeps/{sweep}"),
    "getSweep": Route("GET", "/v1/sweeps/{sweep}"),
    "deleteSweep": Route("DELETE", "/v1/sweeps/{sweep}"),
    "listTrials": Route("GET", "/v1/sweeps/{sweep}/trials"),
    "askTrial": Route("POST", "/v1/sweeps/{sweep}/trials", headers=("idempotency-key",)),
    "getTrial": Route("GET", "/v1/sweeps/{sweep}/trials/{trial}"),
    "reportTrial": Route("POST", "/v1/sweeps/{sweep}/trials/{trial}/reports"),
    "completeTrial": Route("POST", "/v1/sweeps/{sweep}/trials/{trial}/complete"),
    "replicateTrial": Route("POST", "/v1/sweeps/{sweep}/replicates"),
    "getSweepEnsemble": Route("GET", "/v1/sweeps/{sweep}/ensemble", query=("top", "replicates_of")),
    "getObjectivePlot": Route("GET", "/v1/sweeps/{sweep}/plots/objective", query=("param",)),
    "getCurvesPlot": Route("GET", "/v1/sweeps/{sweep}/plots/curves"),
}
