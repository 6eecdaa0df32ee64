"""Sweeps (docs/sweeps.md): hyperparameter searches whose master lives on the server. `api.sweeps` holds the
calls of every sweep route and the worker loop `work` (sweep_work.py).

    api.sweeps.create("mnist.lr", {"objective": {"metric": "loss"}, "space": ..., "template": ...})
    api.sweeps.work("mnist.lr", lambda trial, ctx: {"loss": train(trial, ctx)})
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional

from array import array

from .context import Context, json_of
from .push_options import new_idempotency_key
from .retry import RetryPolicy
from .safetensors import decode
from .shards import Created

Metrics = Dict[str, float]


@dataclass
class EnsembleMember:
    name: str  # the tensor's name, trial-<id>
    trial: int
    weights: array
    value: Optional[float]  # the trial's objective (None when unknown)


@dataclass
class SweepEnsemble:
    members: List[EnsembleMember]  # best first
    metadata: Dict[str, str]
    body: bytearray


def ensemble_of(body: bytearray, header: Optional[str]) -> SweepEnsemble:
    """The members of an ensemble file, in the order X-Ensemble-Members lists them."""
    file = decode(body)
    values = json.loads(file.metadata.get("values", "[]"))
    listed = json.loads(file.metadata["members"]) if "members" in file.metadata else None
    names = [n.strip() for n in header.split(",") if n.strip()] if header else (listed or list(file.tensors))
    members = []
    for name in names:
        if name not in file.tensors:
            raise ValueError(f"shardstep: the ensemble lists {name!r} but its file has no such tensor")
        match = re.fullmatch(r"trial-(\d+)", name)
        at = listed.index(name) if listed and name in listed else -1
        members.append(EnsembleMember(name, int(match.group(1)) if match else -1, file.tensors[name].values(), values[at] if 0 <= at < len(values) else None))
    return SweepEnsemble(members, file.metadata, body)


class SweepCalls:
    def __init__(self, context: Context):
        self._ctx = context

    def create(self, name: str, config: Dict[str, Any]) -> Created:
        """PUT: creates the sweep or finds it with this configuration already; another configuration is a 409."""
        answer = self._ctx.call("putSweep", idempotent=True, path={"sweep": name}, json_body=config)
        return Created(answer.status == 201, json_of(answer))

    def list(self, prefix: Optional[str] = None) -> List[Dict[str, Any]]:
        return self._ctx.json("listSweeps", idempotent=True, query={"prefix": prefix})["sweeps"]

    def get(self, name: str) -> Dict[str, Any]:
        return self._ctx.json("getSweep", idempotent=True, path={"sweep": name})

    def delete(self, name: str) -> None:
        self._ctx.call("deleteSweep", idempotent=True, path={"sweep": name}, gone_ok_on_retry=True)

    def trials(self, name: str) -> List[Dict[str, Any]]:
        return self._ctx.json("listTrials", idempotent=True, path={"sweep": name})["trials"]

    def trial(self, name: str, id: int) -> Dict[str, Any]:
        return self._ctx.json("getTrial", idempotent=True, path={"sweep": name, "trial": id})

    def ask(self, name: str, worker: Optional[str] = None, retry: Optional[RetryPolicy] = None) -> Dict[str, Any]:
        """A lease (`status` "leased"), or wait `retry_after` seconds, or done. Its Idempotency-Key makes a retry of a lost answer get the same lease."""
        body = {} if worker is None else {"worker": worker}
        return self._ctx.json("askTrial", idempotent=True, path={"sweep": name}, headers={"idempotency-key": new_idempotency_key()}, json_body=body, retry=retry)

    def report(self, name: str, trial: int, lease: str, step: float, metrics: Metrics, checkpoint: bool = False, retry: Optional[RetryPolicy] = None) -> Dict[str, Any]:
        """Reports metrics at a step (renews the lease); the answer's `decision` is "continue" or "stop". A retried step answers the recorded decision."""
        body: Dict[str, Any] = {"lease": lease, "step": step, "metrics": metrics, **({"checkpoint": True} if checkpoint else {})}
        return self._ctx.json("reportTrial", idempotent=True, path={"sweep": name, "trial": trial}, json_body=body, retry=retry)

    def complete(self, name: str, trial: int, lease: str, metrics: Metrics, failed: Optional[str] = None, retry: Optional[RetryPolicy] = None) -> Dict[str, Any]:
        """Ends the trial with its final metrics, or as failed (`failed`: why). A second completion answers the trial."""
        body: Dict[str, Any] = {"lease": lease, "metrics": metrics, **({} if failed is None else {"failed": failed})}
        return self._ctx.json("completeTrial", idempotent=True, path={"sweep": name, "trial": trial}, json_body=body, retry=retry)

    def replicate(self, name: str, count: int, of: Optional[int] = None) -> List[Dict[str, Any]]:
        body: Dict[str, Any] = {"count": count, **({} if of is None else {"of": of})}
        return self._ctx.json("replicateTrial", idempotent=True, path={"sweep": name}, json_body=body)["trials"]

    def ensemble(self, name: str, top: Optional[int] = None, replicates_of: Optional[int] = None) -> SweepEnsemble:
        """The members' weights, best first: the top trials, or a trial and its replicates (neither: the best and its replicates)."""
        answer = self._ctx.call("getSweepEnsemble", idempotent=True, path={"sweep": name}, query={"top": top, "replicates_of": replicates_of})
        return ensemble_of(answer.body, answer.header("x-ensemble-members"))

    def objective_plot(self, name: str, param: str) -> str:
        return bytes(self._ctx.call("getObjectivePlot", idempotent=True, path={"sweep": name}, query={"param": param}).body).decode("utf-8")

    def curves_plot(self, name: str) -> str:
        return bytes(self._ctx.call("getCurvesPlot", idempotent=True, path={"sweep": name}).body).decode("utf-8")

    def work(self, name: str, train: Callable[..., Optional[Metrics]], **options: Any) -> Any:
        """The worker loop: ask, train, report, complete, until the sweep is done (sweep_work.work)."""
        from .sweep_work import work

        return work(self, name, train, **options)
