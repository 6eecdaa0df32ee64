"""Backoff, Retry-After and which failures are retried (no server)."""

from email.utils import formatdate

import pytest

from shardstep import RetryPolicy, ShardstepNetworkError, ShardstepProblem, backoff_delay, is_retryable, retry_after_seconds
from shardstep.retry import retry_delay, with_retries


def test_backoff_doubles_from_the_base_up_to_the_cap_with_equal_jitter():
    low = [backoff_delay(n, 0.2, 10, random=lambda: 0.0) for n in range(1, 10)]
    high = [backoff_delay(n, 0.2, 10, random=lambda: 1.0) for n in range(1, 10)]
    assert high == pytest.approx([0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 10, 10, 10])
    assert low == pytest.approx([h / 2 for h in high])


def test_retry_after_reads_seconds_and_http_dates():
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds(" 120 ") == 120.0
    now = 1_800_000_000.0
    assert retry_after_seconds(formatdate(now + 42, usegmt=True), now=now) == pytest.approx(42)
    assert retry_after_seconds(formatdate(now - 42, usegmt=True), now=now) == 0.0
    for unreadable in (None, "", "soon", "-1", "1.5", "Xyz, 99 Foo 1994"):
        assert retry_after_seconds(unreadable) is None


def problem(status: int, retry_after=None) -> ShardstepProblem:
    return ShardstepProblem(status, {"type": "/problems/x", "title": "x", "status": status, "detail": "x"}, retry_after=retry_after)


@pytest.mark.parametrize(
    "error, idempotent, expected",
    [
        (ShardstepNetworkError("lost"), True, True),
        (ShardstepNetworkError("lost"), False, False),
        (problem(429), False, True),
        (problem(503), False, True),
        (problem(502), True, True),
        (problem(504), True, True),
        (problem(502), False, False),
        (problem(400), True, False),
        (problem(409), True, False),
        (problem(500), True, False),
    ],
)
def test_what_is_retried(error, idempotent, expected):
    assert is_retryable(error, idempotent) is expected


def test_retry_after_is_honoured_and_one_beyond_the_cap_ends_the_retries():
    policy = RetryPolicy(max_delay=5)
    assert retry_delay(problem(429, retry_after=2.0), 1, policy) == 2.0
    assert retry_delay(problem(429, retry_after=60.0), 1, policy) is None
    assert retry_delay(problem(503), 3, policy, random=lambda: 1.0) == pytest.approx(0.8)


def test_with_retries_waits_between_attempts_and_raises_the_last_failure():
    waits = []
    attempts = []

    def attempt(n):
        attempts.append(n)
        raise ShardstepNetworkError(f"attempt {n}")

    with pytest.raises(ShardstepNetworkError, match="attempt 3"):
        with_retries(RetryPolicy(attempts=3, base_delay=1, max_delay=100), True, attempt, sleep=waits.append)
    assert attempts == [1, 2, 3]
    assert len(waits) == 2 and 0.5 <= waits[0] <= 1 and 1 <= waits[1] <= 2


def test_with_retries_answers_the_first_success_and_never_retries_a_refusal():
    outcomes = iter([problem(503, retry_after=0.0), "done"])

    def attempt(n):
        o = next(outcomes)
        if isinstance(o, Exception):
            raise o
        return o

    assert with_retries(RetryPolicy(), False, attempt, sleep=lambda s: None) == "done"
    calls = []

    def refused(n):
        calls.append(n)
        raise problem(422)

    with pytest.raises(ShardstepProblem):
        with_retries(RetryPolicy(), True, refused, sleep=lambda s: None)
    assert calls == [1]
