"""What every call group shares: the transport, the retry policy, and how one operation is called."""

from __future__ import annotations

import json
from typing import Any, Mapping, Optional

from .problem import is_problem
from .retry import RetryPolicy, with_retries
from .routes import ROUTES
from .transport import Answer, Transport

# Headers every request may carry; the route table lists the operation's own.
_GENERIC_HEADERS = {"accept", "accept-encoding", "content-type"}
_NO_BODY = object()


class Context:
    def __init__(self, transport: Transport, retry: RetryPolicy):
        self.transport = transport
        self.retry = retry

    def call(
        self,
        operation: str,
        *,
        idempotent: bool,
        path: Optional[Mapping[str, object]] = None,
        query: Optional[Mapping[str, object]] = None,
        headers: Optional[Mapping[str, object]] = None,
        json_body: Any = _NO_BODY,
        body: Optional[bytes] = None,
        retry: Optional[RetryPolicy] = None,
        gone_ok_on_retry: bool = False,
        timeout: Optional[float] = None,
    ) -> Optional[Answer]:
        """Calls `operation` (an operationId of routes.ROUTES), retried per the policy; `idempotent` says whether a
        request that may have been carried out can be sent again. `gone_ok_on_retry`: a retry answered 404 counts
        as done (a DELETE whose first answer was lost) and answers None."""
        route = ROUTES[operation]
        sent = {k.lower(): str(v) for k, v in (headers or {}).items() if v is not None}
        undeclared = set(sent) - set(route.headers) - _GENERIC_HEADERS
        if undeclared:
            raise ValueError(f"{operation} declares no header {sorted(undeclared)}")
        if json_body is not _NO_BODY:
            body = json.dumps(json_body, separators=(",", ":")).encode("utf-8")
            sent.setdefault("content-type", "application/json")
        elif body is not None:
            sent.setdefault("content-type", "application/octet-stream")
        target = route.target(path or {}, query)
        policy = retry or self.retry

        def attempt(n: int) -> Optional[Answer]:
            try:
                return self.transport.send(route.method, target, sent, body, timeout or policy.timeout, fresh=not idempotent)
            except Exception as error:
                if gone_ok_on_retry and n > 1 and is_problem(error, "not-found"):
                    return None
                raise

        return with_retries(policy, idempotent, attempt)

    def json(self, operation: str, **kwargs: Any) -> Any:
        """The call's JSON answer."""
        answer = self.call(operation, **kwargs)
        return json_of(answer) if answer is not None else None


def json_of(answer: Answer) -> Any:
    return json.loads(bytes(answer.body).decode("utf-8"))


class Calls:
    """The base of every call group: its context."""

    _ctx: Context
