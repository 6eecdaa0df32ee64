"""Errors of a call: `ShardstepProblem` for every answer with a status of 400 or more (an RFC 9457 problem,
or whatever else the body was), `ShardstepNetworkError` when no answer came through."""

from __future__ import annotations

import json
from typing import Any, Dict, Optional

_STANDARD_MEMBERS = {"type", "title", "status", "detail", "instance"}


class ShardstepProblem(Exception):
    """An answer with status >= 400. `problem` is the whole problem+json object (None when the body was none)."""

    def __init__(self, status: int, problem: Optional[Dict[str, Any]], fallback: Optional[str] = None, retry_after: Optional[float] = None):
        detail = (problem or {}).get("detail") or fallback or f"HTTP {status}"
        self.status = status
        self.problem = problem
        self.type: str = (problem or {}).get("type", "about:blank")
        self.title: str = (problem or {}).get("title", f"HTTP {status}")
        self.detail: str = detail
        self.instance: Optional[str] = (problem or {}).get("instance")
        # The extension members alone (e.g. `version`, `limit`).
        self.extensions: Dict[str, Any] = {k: v for k, v in (problem or {}).items() if k not in _STANDARD_MEMBERS}
        # How long the server asked to wait before a retry (its Retry-After header), in seconds.
        self.retry_after = retry_after
        super().__init__(f"{status} {self.type if problem else ''} {detail}".replace("  ", " "))

    @property
    def slug(self) -> str:
        """The last path segment of the type: "wrong-length" for "/problems/wrong-length"."""
        return self.type.rsplit("/", 1)[-1]


class ShardstepNetworkError(Exception):
    """No answer came through: the connection failed, broke, or an attempt's timeout ran out (the cause is chained)."""


def problem_of(status: int, content_type: str, body: bytes, retry_after: Optional[float]) -> ShardstepProblem:
    """The error of an answer with status >= 400."""
    text = bytes(body).decode("utf-8", "replace")
    if "json" in content_type:
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict) and isinstance(parsed.get("type"), str) and isinstance(parsed.get("detail"), str):
            return ShardstepProblem(status, parsed, retry_after=retry_after)
    return ShardstepProblem(status, None, text[:500] or None, retry_after)


def is_problem(error: BaseException, slug: Optional[str] = None) -> bool:
    """Whether `error` is a ShardstepProblem, and with `slug`, one of that type: `is_problem(e, "not-found")`."""
    return isinstance(error, ShardstepProblem) and (slug is None or error.slug == slug)
