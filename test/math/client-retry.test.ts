/**
 * @shardstep/client's retry rules, without a server: the backoff schedule, Retry-After, which
 * failures are retried, and the loop (attempt counts, the same call repeated, aborts). The client
 * against a real server: test/e2e/client.e2e.test.ts.
 */
import { describe, expect, it } from "vitest";
import { backoffDelay, retryAfterMs } from "../../packages/client/src/backoff";
import { ShardstepNetworkError, ShardstepProblem } from "../../packages/client/src/problem";
import { DEFAULT_RETRY, isRetryable, resolveRetry, retryDelay, withRetries, type RetryEvent, type RetryPolicy } from "../../packages/client/src/retry";

const problem = (status: number, retryAfter?: number) => new ShardstepProblem(status, { type: `/problems/x${status}`, title: "t", status, detail: "d" }, undefined, retryAfter);
const network = () => new ShardstepNetworkError("connection reset", { cause: new TypeError("fetch failed") });

describe("backoffDelay", () => {
  const policy = { baseDelayMs: 100, maxDelayMs: 1_000 };

  it("doubles from the base delay up to the maximum, within [half, whole] of each step", () => {
    const low = [1, 2, 3, 4, 5, 6].map((r) => backoffDelay(r, policy, () => 0));
    const high = [1, 2, 3, 4, 5, 6].map((r) => backoffDelay(r, policy, () => 1 - 2 ** -53));
    expect(low).toEqual([50, 100, 200, 400, 500, 500]);
    for (const [i, step] of [100, 200, 400, 800, 1000, 1000].entries()) {
      expect(high[i]).toBeLessThanOrEqual(step);
      expect(high[i]).toBeGreaterThan(step * 0.999);
    }
  });

  it("spreads clients that failed together", () => {
    const delays = Array.from({ length: 200 }, () => backoffDelay(3, policy));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(200);
    expect(Math.max(...delays)).toBeLessThan(400);
    expect(new Set(delays.map((d) => Math.floor(d / 20))).size).toBeGreaterThan(5);
  });
});

describe("retryAfterMs", () => {
  const now = Date.parse("2026-11-21T12:00:00Z");

  it("reads delay-seconds and HTTP dates", () => {
    expect(retryAfterMs("3", now)).toBe(3_000);
    expect(retryAfterMs(" 0 ", now)).toBe(0);
    expect(retryAfterMs("Sat, 21 Nov 2026 12:00:07 GMT", now)).toBe(7_000);
    expect(retryAfterMs("Sat, 21 Nov 2026 11:00:00 GMT", now)).toBe(0);
  });

  it("ignores what it cannot read", () => {
    for (const value of [null, undefined, "", "soon", "-1", "1.5", "2026-11-21"]) expect(retryAfterMs(value, now), String(value)).toBeUndefined();
  });
});

describe("isRetryable", () => {
  it("retries refusals that changed nothing, always", () => {
    expect(isRetryable(problem(429), false)).toBe(true);
    expect(isRetryable(problem(503), false)).toBe(true);
  });

  it("retries lost answers and gateway failures only when the call is idempotent", () => {
    for (const error of [network(), problem(502), problem(504)]) {
      expect(isRetryable(error, true)).toBe(true);
      expect(isRetryable(error, false)).toBe(false);
    }
  });

  it("never retries other client errors, 500, or errors that are not the transport's", () => {
    for (const status of [400, 401, 403, 404, 409, 412, 413, 415, 422, 500]) expect(isRetryable(problem(status), true), String(status)).toBe(false);
    expect(isRetryable(new TypeError("bad bytes"), true)).toBe(false);
    expect(isRetryable(new DOMException("aborted", "AbortError"), true)).toBe(false);
  });
});

describe("retryDelay", () => {
  const policy: RetryPolicy = { ...DEFAULT_RETRY, baseDelayMs: 100, maxDelayMs: 5_000 };

  it("waits what Retry-After asks, and gives up when it asks for more than the maximum", () => {
    expect(retryDelay(problem(429, 1_000), 1, policy)).toBe(1_000);
    expect(retryDelay(problem(429, 5_000), 4, policy)).toBe(5_000);
    expect(retryDelay(problem(429, 60_000), 1, policy)).toBeUndefined();
  });

  it("backs off without Retry-After", () => {
    expect(retryDelay(problem(503), 3, policy, () => 0)).toBe(200);
    expect(retryDelay(network(), 1, policy, () => 0)).toBe(50);
  });
});

describe("resolveRetry", () => {
  it("lays call options over the client's; false is one attempt", () => {
    const client = resolveRetry(DEFAULT_RETRY, { attempts: 3, maxDelayMs: 2_000 });
    expect(client).toMatchObject({ attempts: 3, baseDelayMs: 200, maxDelayMs: 2_000 });
    expect(resolveRetry(client, { baseDelayMs: 10, attempts: undefined })).toMatchObject({ attempts: 3, baseDelayMs: 10, maxDelayMs: 2_000 });
    expect(resolveRetry(client, false).attempts).toBe(1);
  });

  it("refuses nonsense", () => {
    expect(() => resolveRetry(DEFAULT_RETRY, { attempts: 0 })).toThrow(RangeError);
    expect(() => resolveRetry(DEFAULT_RETRY, { attempts: 1.5 })).toThrow(RangeError);
    expect(() => resolveRetry(DEFAULT_RETRY, { baseDelayMs: -1 })).toThrow(RangeError);
  });
});

describe("withRetries", () => {
  const fast = (events: RetryEvent[], attempts = 4): RetryPolicy => ({ ...DEFAULT_RETRY, attempts, baseDelayMs: 1, maxDelayMs: 5, onRetry: (e) => events.push(e) });

  /** An attempt that fails with `errors` in turn, then answers its attempt number. */
  const failing = (errors: unknown[]) => {
    const seen: number[] = [];
    const attempt = async (_signal: AbortSignal | undefined, n: number) => {
      seen.push(n);
      if (n <= errors.length) throw errors[n - 1];
      return n;
    };
    return { seen, attempt };
  };

  it("repeats the call until it succeeds, reporting each retry", async () => {
    const events: RetryEvent[] = [];
    const { seen, attempt } = failing([network(), problem(503), problem(502)]);
    expect(await withRetries(fast(events), { idempotent: true }, attempt)).toBe(4);
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(events.map((e) => e.attempt)).toEqual([1, 2, 3]);
    expect(events.map((e) => (e.error as Error).name)).toEqual(["ShardstepNetworkError", "ShardstepProblem", "ShardstepProblem"]);
  });

  it("throws the last failure when the attempts are spent", async () => {
    const events: RetryEvent[] = [];
    const last = problem(429);
    const { seen, attempt } = failing([problem(503), problem(503), last, problem(503)]);
    await expect(withRetries(fast(events, 3), { idempotent: true }, attempt)).rejects.toBe(last);
    expect(seen).toEqual([1, 2, 3]);
  });

  it("throws at once what is not retryable", async () => {
    const events: RetryEvent[] = [];
    const refused = problem(422);
    const { seen, attempt } = failing([refused]);
    await expect(withRetries(fast(events), { idempotent: true }, attempt)).rejects.toBe(refused);
    const lost = network();
    const other = failing([lost]);
    await expect(withRetries(fast(events), { idempotent: false }, other.attempt)).rejects.toBe(lost);
    expect([seen, other.seen, events]).toEqual([[1], [1], []]);
  });

  it("stops waiting when the caller aborts, with the signal's reason", async () => {
    const controller = new AbortController();
    const policy: RetryPolicy = { ...DEFAULT_RETRY, baseDelayMs: 60_000, maxDelayMs: 60_000 };
    const { seen, attempt } = failing([problem(503), problem(503)]);
    const started = performance.now();
    const pending = withRetries(policy, { idempotent: true, signal: controller.signal }, attempt);
    setTimeout(() => controller.abort(), 20);
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(seen).toEqual([1]);
  });

  it("gives each attempt its own time limit", async () => {
    const events: RetryEvent[] = [];
    const signals: AbortSignal[] = [];
    const attempt = async (signal: AbortSignal | undefined, n: number) => {
      signals.push(signal!);
      if (n === 1) {
        await new Promise((_, reject) => signal!.addEventListener("abort", () => reject(new ShardstepNetworkError("timed out", { cause: signal!.reason }))));
      }
      return n;
    };
    expect(await withRetries({ ...fast(events), timeoutMs: 30 }, { idempotent: true }, attempt)).toBe(2);
    expect(signals[0]!.aborted).toBe(true);
    expect(signals[1]).not.toBe(signals[0]);
    expect(events).toHaveLength(1);
  });
});
