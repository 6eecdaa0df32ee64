"""The worker loop of a sweep (docs/sweeps.md, "Workers"), as `api.sweeps.work` of the TypeScript client: ask for a
trial; on `wait` sleep the time the master asks for; on a lease call `train(trial, context)`; complete the trial
with the metrics it answers (or as failed with its error's message); until the master answers `done`.

    def train(trial, ctx):
        for step in range(ctx.resume_step + 1, trial["budget"] + 1):
            ...                                               # push gradients to trial["shard"]
            if step % 20 == 0 and ctx.report(step, {"loss": loss})["stop"]:
                break
        return {"loss": loss}

    summary = api.sweeps.work("mnist.lr", train, worker="w1")
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional

from .problem import ShardstepProblem, is_problem

if TYPE_CHECKING:
    from .sweeps import Metrics, SweepCalls

MAX_FAILED = 512  # the longest `failed` message the API takes


class TrialStopped(Exception):
    """Raised (by `context.raise_if_stopped()` or the training function) to end a trial the master told to stop."""

    def __init__(self, reason: Optional[str] = None, metrics: Optional["Metrics"] = None):
        super().__init__(f"the sweep's master stopped the trial{': ' + reason if reason else ''}")
        self.reason = reason
        self.metrics = metrics


@dataclass
class TrialOutcome:
    outcome: str  # complete, pruned, failed, lost
    trial: Dict[str, Any]
    metrics: Optional["Metrics"]
    reason: Optional[str]
    step: float


@dataclass
class WorkSummary:
    trials: int = 0
    completed: int = 0
    pruned: int = 0
    failed: int = 0
    lost: int = 0
    outcomes: List[TrialOutcome] = field(default_factory=list)


class _LeaseLost(Exception):
    pass


@dataclass
class TrialContext:
    """What a training function gets besides its trial: the lease, where to resume, and how to report."""

    calls: "SweepCalls"
    sweep: str
    lease: Dict[str, Any]
    trial: Dict[str, Any]
    unit: str
    resume_step: float
    stopped: Optional[Dict[str, Any]] = None  # the master's stop decision, once given
    last_metrics: Optional["Metrics"] = None
    step: float = 0
    lost: Optional[str] = None

    def report(self, step: float, metrics: "Metrics", checkpoint: bool = False) -> Dict[str, Any]:
        """Reports `metrics` at `step` (renews the lease); the answer with `stop` (pruned, or the budget used) and
        `pruned`. A non-finite metric raises: the trial then fails (it diverged)."""
        for name, value in metrics.items():
            if not math.isfinite(value):
                raise ValueError(f"metric {name!r} is {value} at {self.unit} {step}: the trial diverged")
        try:
            answer = self.calls.report(self.sweep, self.trial["id"], self.lease["id"], step, metrics, checkpoint)
        except ShardstepProblem as e:
            if e.slug == "lease-lost":
                self.lost = e.detail
                raise _LeaseLost(e.detail) from e
            raise
        self.trial, self.last_metrics, self.step = answer["trial"], metrics, step
        stop = answer["decision"] == "stop"
        answer = {**answer, "stop": stop, "pruned": self.trial["state"] == "pruned"}
        if stop:
            self.stopped = answer
            if answer["pruned"]:
                raise TrialStopped(answer.get("reason"))
        return answer

    def raise_if_stopped(self) -> None:
        if self.stopped is not None:
            raise TrialStopped(self.stopped.get("reason"))


def _message(error: BaseException) -> str:
    return (str(error) or type(error).__name__ or "the training function failed")[:MAX_FAILED]


def _finite(metrics: Optional["Metrics"]) -> "Metrics":
    return {k: v for k, v in (metrics or {}).items() if math.isfinite(v)}


def _run_trial(calls: "SweepCalls", sweep: str, answer: Dict[str, Any], train: Callable[..., Any]) -> TrialOutcome:
    lease = answer["lease"]
    resume = answer.get("resume")
    ctx = TrialContext(calls, sweep, lease, answer["trial"], answer.get("unit", "step"), resume["step"] if resume else 0)
    ctx.step = ctx.resume_step

    def end(kind: str, reason: Optional[str], metrics: Optional["Metrics"] = None) -> TrialOutcome:
        return TrialOutcome(kind, ctx.trial, metrics if metrics is not None else ctx.last_metrics, reason, ctx.step)

    def settle(metrics: "Metrics", failed: Optional[str]) -> TrialOutcome:
        try:
            ctx.trial = calls.complete(sweep, ctx.trial["id"], lease["id"], metrics, failed)
        except ShardstepProblem as e:
            if e.slug == "lease-lost":
                return end("lost", e.detail)
            if e.status == 400 and failed is None:  # the master refused the metrics: the trial must not stay leased
                return settle(_finite(ctx.last_metrics), f"the completion was refused: {e.detail}"[:MAX_FAILED])
            raise
        state = ctx.trial["state"]
        kind = state if state in ("complete", "pruned", "failed") else "lost"
        return end(kind, failed if state == "failed" else ctx.trial.get("reason"), metrics)

    try:
        result: Any = train(ctx.trial, ctx)
        error: Optional[BaseException] = None
    except BaseException as e:  # noqa: BLE001 - every failure of the training function ends the trial
        if isinstance(e, KeyboardInterrupt):
            raise
        result, error = None, e
    if ctx.lost is not None or isinstance(error, _LeaseLost) or (error is not None and is_problem(error, "lease-lost")):
        return end("lost", ctx.lost or _message(error))  # type: ignore[arg-type]
    if ctx.trial["state"] == "pruned":
        return end("pruned", ctx.trial.get("reason") or (ctx.stopped or {}).get("reason"))
    if error is not None and not isinstance(error, TrialStopped):
        return settle(_finite(ctx.last_metrics), _message(error))
    final = (error.metrics if isinstance(error, TrialStopped) else result) or ctx.last_metrics
    if final is None:
        return settle({}, "the training function answered no metrics and reported none")
    return settle(final, None)


def work(calls: "SweepCalls", sweep: str, train: Callable[..., Any], worker: Optional[str] = None, max_trials: Optional[int] = None, sleep: Callable[[float], None] = time.sleep) -> WorkSummary:
    """Trials until the sweep is done (or `max_trials`); answers what this worker ran."""
    summary = WorkSummary()
    counter = {"complete": "completed", "pruned": "pruned", "failed": "failed", "lost": "lost"}
    while max_trials is None or summary.trials < max_trials:
        answer = calls.ask(sweep, worker)
        if answer["status"] == "done":
            break
        if answer["status"] == "wait":
            sleep(answer["retry_after"])
            continue
        summary.trials += 1
        outcome = _run_trial(calls, sweep, answer, train)
        setattr(summary, counter[outcome.outcome], getattr(summary, counter[outcome.outcome]) + 1)
        summary.outcomes.append(outcome)
    return summary
