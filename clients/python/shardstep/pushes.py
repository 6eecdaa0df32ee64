"""Gradient pushes to a shard: raw float32 bytes out, the updated weights (the evaluation point) back."""

from __future__ import annotations

from typing import Any, Dict, Optional

from .answers import PushResult, RoundPushResult, push_result_of
from .context import Calls, json_of
from .floats import float32_bytes
from .push_options import PushOptions
from .transport import Answer


class PushCalls(Calls):
    def _push(self, name: str, gradient: Any, options: PushOptions, minimal: bool, offset: Optional[int], loss: Optional[float], point_revision: Optional[int]) -> Answer:
        key = options.key()
        headers = options.headers(key, minimal)
        if loss is not None:
            headers["x-loss"] = repr(float(loss))
        if point_revision is not None:
            headers["x-point-revision"] = point_revision
        return self._ctx.call(
            "pushGradient", idempotent=key is not None, path={"shard": name}, query={"offset": offset}, headers=headers, body=float32_bytes(gradient), retry=options.retry
        )

    def push_gradient(self, name: str, gradient: Any, options: PushOptions = PushOptions(), *, offset: Optional[int] = None, loss: Optional[float] = None, point_revision: Optional[int] = None) -> PushResult:
        """Pushes a gradient (float32: array('f'), numpy, torch, bytes or numbers); answers the version it produced and the
        updated weights of its range. In rounds mode, while the round stays open, the answer has the `receipt` and no weights.
        `loss` and `point_revision` are an lbfgs shard's X-Loss and X-Point-Revision."""
        return push_result_of(self._push(name, gradient, options, False, offset, loss, point_revision))

    def push_gradient_summary(self, name: str, gradient: Any, options: PushOptions = PushOptions(), *, offset: Optional[int] = None) -> Dict[str, Any]:
        """Pushes with `Prefer: return=minimal`: the JSON summary only, no weights travel back."""
        return json_of(self._push(name, gradient, options, True, offset, None, None))

    def push_to_round(self, name: str, vector: Any, options: PushOptions) -> RoundPushResult:
        """Rounds mode: contributes to the open round (`options.client_id` names the client). Answers the new weights
        when the round closed (by this push, or while `options.wait_seconds` waited), else the receipt."""
        if options.client_id is None:
            raise ValueError("push_to_round needs options.client_id")
        answer = self._push(name, vector, options, False, None, None, None)
        if answer.status == 202:
            summary = json_of(answer)
            return RoundPushResult(False, summary["round"]["number"], summary=summary)
        return RoundPushResult(True, answer.int_header("x-round"), result=push_result_of(answer))
