"""Retries of one call: which failures are worth another attempt, how long to wait, and the loop.

Retried: no answer at all (ShardstepNetworkError), 429 and 503 (the server refused before doing anything;
Retry-After is honoured), 502 and 504. A failure without an answer, a 502 and a 504 may hide a request that
was carried out, so those are retried only for idempotent calls: reads, PUT, DELETE, and pushes, which carry
an Idempotency-Key (every attempt sends the same one). Never retried: any other 4xx.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Callable, Optional, TypeVar

from .backoff import backoff_delay
from .problem import ShardstepNetworkError, ShardstepProblem

T = TypeVar("T")


@dataclass(frozen=True)
class RetryEvent:
    attempt: int  # the attempt that failed (1 for the first)
    delay: float  # seconds before the next attempt
    error: BaseException


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5  # in all, the first included; 1 never retries
    base_delay: float = 0.2  # seconds before the first retry, before jitter; doubles with every retry
    max_delay: float = 10.0  # the longest wait; a longer Retry-After ends the retries
    timeout: Optional[float] = None  # seconds an attempt may take (connect, and each read), counted as a network failure
    on_retry: Optional[Callable[[RetryEvent], None]] = None

    def __post_init__(self) -> None:
        if not isinstance(self.attempts, int) or self.attempts < 1:
            raise ValueError(f"attempts must be an integer >= 1, got {self.attempts!r}")
        if not (self.base_delay >= 0 and self.max_delay >= 0):
            raise ValueError("retry delays must be >= 0")

    def single(self) -> "RetryPolicy":
        return replace(self, attempts=1)


def is_retryable(error: BaseException, idempotent: bool) -> bool:
    """Whether a failed attempt may be sent again."""
    if isinstance(error, ShardstepNetworkError):
        return idempotent
    if not isinstance(error, ShardstepProblem):
        return False
    if error.status in (429, 503):
        return True
    return idempotent and error.status in (502, 504)


def retry_delay(error: BaseException, retry: int, policy: RetryPolicy, random: Optional[Callable[[], float]] = None) -> Optional[float]:
    """The wait before retry number `retry` after `error`: its Retry-After, else the backoff; None to give up."""
    asked = error.retry_after if isinstance(error, ShardstepProblem) else None
    if asked is None:
        return backoff_delay(retry, policy.base_delay, policy.max_delay, *([random] if random else []))
    return asked if asked <= policy.max_delay else None


def with_retries(policy: RetryPolicy, idempotent: bool, attempt: Callable[[int], T], sleep: Callable[[float], None] = time.sleep) -> T:
    """Runs `attempt(n)` until it succeeds, a failure is not retryable, or the attempts are spent (the last failure is raised)."""
    n = 1
    while True:
        try:
            return attempt(n)
        except (ShardstepProblem, ShardstepNetworkError) as error:
            delay = retry_delay(error, n, policy) if n < policy.attempts and is_retryable(error, idempotent) else None
            if delay is None:
                raise
            if policy.on_retry is not None:
                policy.on_retry(RetryEvent(n, delay, error))
            sleep(delay)
            n += 1
