/** When to try again: exponential backoff with jitter, and the server's Retry-After. Pure functions. */

export interface BackoffPolicy {
  /** The delay before the first retry, before jitter (ms). */
  baseDelayMs: number;
  /** The longest delay between attempts (ms); a Retry-After longer than this ends the retries. */
  maxDelayMs: number;
}

/**
 * The delay before retry number `retry` (1 for the first): `min(maxDelayMs, baseDelayMs · 2^(retry−1))`
 * scaled by a random factor in [0.5, 1] ("equal jitter"), so that clients that failed together do
 * not come back together, and no retry comes sooner than half its step. `random` answers in [0, 1).
 */
export function backoffDelay(retry: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return ceiling * (0.5 + 0.5 * random());
}

/**
 * A Retry-After header value in ms: delay-seconds ("3") or an HTTP date (RFC 9110 §10.2.3), counted
 * from `now`. Undefined when absent or unreadable; a date in the past is 0.
 */
export function retryAfterMs(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Every HTTP date form starts with the day's name ("Sun, 06 Nov 1994 08:49:37 GMT").
  const date = /^[A-Za-z]{3}/.test(text) ? Date.parse(text) : NaN;
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
