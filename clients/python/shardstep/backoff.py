"""When to try again: exponential backoff with jitter, and the server's Retry-After. Pure functions."""

from __future__ import annotations

import random as _random
import re
import time
from email.utils import parsedate_to_datetime
from typing import Callable, Optional


def backoff_delay(retry: int, base_delay: float, max_delay: float, random: Callable[[], float] = _random.random) -> float:
    """The delay in seconds before retry number `retry` (1 for the first): `min(max_delay, base_delay * 2**(retry-1))`
    scaled by a random factor in [0.5, 1] ("equal jitter"), so that clients that failed together do not come back
    together, and no retry comes sooner than half its step. `random` answers in [0, 1)."""
    ceiling = min(max_delay, base_delay * 2 ** max(0, retry - 1))
    return ceiling * (0.5 + 0.5 * random())


def retry_after_seconds(value: Optional[str], now: Optional[float] = None) -> Optional[float]:
    """A Retry-After header value in seconds: delay-seconds ("3") or an HTTP date (RFC 9110 §10.2.3), counted
    from `now` (a Unix time). None when absent or unreadable; a date in the past is 0."""
    if value is None:
        return None
    text = value.strip()
    if re.fullmatch(r"\d+", text):
        return float(text)
    # Every HTTP date form starts with the day's name ("Sun, 06 Nov 1994 08:49:37 GMT").
    if not re.match(r"[A-Za-z]{3}", text):
        return None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))
