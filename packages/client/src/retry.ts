/**
 * Retries of one call: which failures are worth another attempt, how long to wait, and the loop.
 *
 * Retried: no answer at all (ShardstepNetworkError), 429 and 503 (the server refused before doing
 * anything; Retry-After is honoured), 502 and 504. A failure without an answer, a 502 and a 504 may
 * hide a request that was carried out, so those are retried only for idempotent calls: reads, PUT,
 * DELETE, and pushes, which carry an Idempotency-Key. Never retried: any other 4xx, and a call whose
 * AbortSignal fired.
 */
import { backoffDelay, type BackoffPolicy } from "./backoff.js";
import { isShardstepProblem, ShardstepNetworkError } from "./problem.js";

export interface RetryEvent {
  /** The attempt that failed (1 for the first). */
  attempt: number;
  /** How long the client waits before the next attempt (ms). */
  delayMs: number;
  /** Why the attempt failed: a ShardstepProblem or a ShardstepNetworkError. */
  error: unknown;
}

export interface RetryOptions {
  /** Attempts in all, the first included (default 5); 1 never retries. */
  attempts?: number;
  /** The delay before the first retry, before jitter (default 200 ms); it doubles with every retry. */
  baseDelayMs?: number;
  /** The longest wait between attempts (default 10 s); a longer Retry-After ends the retries. */
  maxDelayMs?: number;
  /** Gives up an attempt after this long, counting it as a network failure (default: no limit). */
  timeoutMs?: number;
  /** Called before every wait: for logs and metrics. */
  onRetry?: (event: RetryEvent) => void;
}

export interface RetryPolicy extends BackoffPolicy {
  attempts: number;
  timeoutMs: number | undefined;
  onRetry: ((event: RetryEvent) => void) | undefined;
}

export const DEFAULT_RETRY: Readonly<RetryPolicy> = Object.freeze({ attempts: 5, baseDelayMs: 200, maxDelayMs: 10_000, timeoutMs: undefined, onRetry: undefined });

/** `base` with `options` laid over it; `false` is a single attempt. */
export function resolveRetry(base: Readonly<RetryPolicy>, options: RetryOptions | false | undefined): RetryPolicy {
  if (options === false) return { ...base, attempts: 1 };
  const policy: RetryPolicy = { ...base, ...Object.fromEntries(Object.entries(options ?? {}).filter(([, v]) => v !== undefined)) };
  if (!Number.isInteger(policy.attempts) || policy.attempts < 1) throw new RangeError(`retry.attempts must be an integer ≥ 1, got ${policy.attempts}`);
  if (!(policy.baseDelayMs >= 0) || !(policy.maxDelayMs >= 0)) throw new RangeError("retry delays must be ≥ 0");
  return policy;
}

/** Whether a failed attempt may be sent again. */
export function isRetryable(error: unknown, idempotent: boolean): boolean {
  if (error instanceof ShardstepNetworkError) return idempotent;
  if (!isShardstepProblem(error)) return false;
  if (error.status === 429 || error.status === 503) return true;
  return idempotent && (error.status === 502 || error.status === 504);
}

/** The wait before retry number `retry` after `error`: its Retry-After, else the backoff; undefined to give up. */
export function retryDelay(error: unknown, retry: number, policy: RetryPolicy, random?: () => number): number | undefined {
  const asked = isShardstepProblem(error) ? error.retryAfterMs : undefined;
  if (asked === undefined) return backoffDelay(retry, policy, random);
  return asked <= policy.maxDelayMs ? asked : undefined;
}

/** Waits `ms`; rejects with the signal's reason as soon as it fires. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** The signal of one attempt: the caller's, and the attempt's own time limit. */
function attemptSignal(signal: AbortSignal | undefined, timeoutMs: number | undefined): AbortSignal | undefined {
  if (timeoutMs === undefined) return signal;
  const timeout = AbortSignal.timeout(timeoutMs);
  return signal ? AbortSignal.any([signal, timeout]) : timeout;
}

/**
 * Runs `attempt` until it succeeds, a failure is not retryable, or the policy's attempts are spent;
 * the last failure is thrown. When the caller's `signal` fires, its reason is thrown at once.
 */
export async function withRetries<T>(
  policy: RetryPolicy,
  call: { idempotent: boolean; signal?: AbortSignal | undefined },
  attempt: (signal: AbortSignal | undefined, attemptNumber: number) => Promise<T>,
): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt(attemptSignal(call.signal, policy.timeoutMs), n);
    } catch (error) {
      if (call.signal?.aborted) throw call.signal.reason;
      const delayMs = n < policy.attempts && isRetryable(error, call.idempotent) ? retryDelay(error, n, policy) : undefined;
      if (delayMs === undefined) throw error;
      policy.onRetry?.({ attempt: n, delayMs, error });
      await sleep(delayMs, call.signal);
    }
  }
}
