/** @shardstep/client's errors: RFC 9457 problems read from answers, their members, the type guard. */
import { describe, expect, it } from "vitest";
import { isShardstepProblem, problemOf, ShardstepNetworkError, ShardstepProblem } from "../../packages/client/src/problem";

const answer = (status: number, headers: Record<string, string> = {}) => new Response(null, { status, statusText: "Status Text", headers });

describe("problemOf", () => {
  const body = { type: "/problems/wrong-length", title: "Wrong Length", status: 422, detail: "the gradient has 3 values; the shard has 4", instance: "/v1/shards/x/gradients", expected: 4, received: 3 };

  it("reads a problem with its extension members", () => {
    const p = problemOf(answer(422), body);
    expect(p).toBeInstanceOf(ShardstepProblem);
    expect(p).toBeInstanceOf(Error);
    expect(p).toMatchObject({ name: "ShardstepProblem", status: 422, type: "/problems/wrong-length", slug: "wrong-length", title: "Wrong Length", detail: body.detail, instance: body.instance });
    expect(p.extensions).toEqual({ expected: 4, received: 3 });
    expect(p.problem).toEqual(body);
    expect(p.message).toBe("422 /problems/wrong-length the gradient has 3 values; the shard has 4");
    expect(p.retryAfterMs).toBeUndefined();
  });

  it("keeps the answer's Retry-After", () => {
    const p = problemOf(answer(429, { "retry-after": "2" }), { type: "/problems/rate-limited", title: "Too Many Requests", status: 429, detail: "slow down", retry_after: 2 });
    expect(p.retryAfterMs).toBe(2_000);
    expect(p.extensions).toEqual({ retry_after: 2 });
  });

  it("makes a problem of any other error answer", () => {
    const text = problemOf(answer(502), "<html>Bad Gateway</html>");
    expect(text).toMatchObject({ status: 502, type: "about:blank", slug: "about:blank", title: "HTTP 502", detail: "<html>Bad Gateway</html>", problem: undefined });
    expect(text.extensions).toEqual({});
    expect(problemOf(answer(500), { error: "x" }).detail).toBe("500 Status Text");
    expect(problemOf(answer(504), "x".repeat(2_000)).detail).toHaveLength(500);
  });
});

describe("isShardstepProblem", () => {
  const p = new ShardstepProblem(404, { type: "/problems/not-found", title: "Not Found", status: 404, detail: "no shard 'x'" });

  it("narrows, optionally to one type", () => {
    expect(isShardstepProblem(p)).toBe(true);
    expect(isShardstepProblem(p, "not-found")).toBe(true);
    expect(isShardstepProblem(p, "wrong-length")).toBe(false);
  });

  it("recognises a problem from another copy of the package, and nothing else", () => {
    const foreign = Object.assign(new Error("404"), { name: "ShardstepProblem", status: 404, type: "/problems/not-found", slug: "not-found" });
    expect(isShardstepProblem(foreign, "not-found")).toBe(true);
    for (const other of [new Error("x"), new ShardstepNetworkError("reset"), { name: "ShardstepProblem", status: 404, type: "t" }, null, undefined, "ShardstepProblem"]) {
      expect(isShardstepProblem(other)).toBe(false);
    }
  });
});
