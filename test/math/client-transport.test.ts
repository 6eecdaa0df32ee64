/**
 * @shardstep/client's failures before any answer: a refused connection is a ShardstepNetworkError,
 * retried only for idempotent calls; a failure before anything was sent is thrown as it is.
 */
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { createShardstep, ShardstepNetworkError, type RetryEvent } from "../../packages/client/src/index";

/** A port on 127.0.0.1 where nothing listens. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe("no answer", () => {
  it("a refused connection is retried for reads and pushes, not for metrics", async () => {
    const events: RetryEvent[] = [];
    const api = createShardstep({ baseUrl: `http://127.0.0.1:${await closedPort()}`, token: "t", retry: { attempts: 3, baseDelayMs: 1, onRetry: (e) => events.push(e) } });
    const read = await api.getShard("x").catch((e: unknown) => e);
    expect(read).toBeInstanceOf(ShardstepNetworkError);
    expect((read as Error).cause).toBeInstanceOf(TypeError);
    expect(events.map((e) => e.attempt)).toEqual([1, 2]);
    await expect(api.pushGradient("x", Float32Array.of(1))).rejects.toBeInstanceOf(ShardstepNetworkError);
    expect(events).toHaveLength(4);
    await expect(api.reportMetric("x", 1)).rejects.toBeInstanceOf(ShardstepNetworkError);
    expect(events).toHaveLength(4);
  });

  it("a token function that throws fails the call as it is, unretried", async () => {
    const events: RetryEvent[] = [];
    const broken = new Error("no token today");
    const api = createShardstep({ baseUrl: "http://127.0.0.1:1", token: () => Promise.reject(broken), retry: { baseDelayMs: 1, onRetry: (e) => events.push(e) } });
    await expect(api.getShard("x")).rejects.toBe(broken);
    expect(events).toEqual([]);
  });
});
