import { describe, expect, it } from "vitest";
import { createReferenceEngine, getRule } from "../../src/optim";
import { call, createShard, floatsOf, push } from "./support/api";
import { storedState, storedVector } from "./support/snapshot";

const adam = { rule: "adam", hyper: { lr: 0.1 } };

/** The weights the reference engine reaches from zeros with these gradients. */
function referenceWeights(rule: string, hyper: Record<string, unknown>, grads: number[][], lrs?: number[]): Float32Array {
  const resolved = getRule(rule as "adam").resolve(hyper);
  const engine = createReferenceEngine(rule as "adam", resolved, grads[0]!.length);
  grads.forEach((g, k) => {
    engine.gradient.set(g);
    engine.step(lrs?.[k] ?? (resolved.lr as number));
  });
  return engine.params;
}

describe("POST /v1/shards/{shard}/gradients", () => {
  it("applies the rule and answers the updated weights as raw float32", async () => {
    const name = await createShard({ length: 5, ...adam });
    const g = [1, -2, 0, 0.5, 3];
    const res = await push(name, g);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/octet-stream");
    expect(res.headers.get("x-shard-version")).toBe("1");
    expect(res.headers.get("etag")).toBe('"1"');
    expect(Number(res.headers.get("x-learning-rate"))).toBeCloseTo(0.1, 12);
    const weights = await floatsOf(res);
    const expected = referenceWeights("adam", adam.hyper, [g]);
    weights.forEach((w, i) => expect(w).toBeCloseTo(expected[i]!, 6));
    expect(Array.from(await storedVector(name, "weights"))).toEqual(Array.from(weights));
  });

  it("answers JSON when the client asks, and takes a JSON gradient", async () => {
    const name = await createShard({ length: 3, rule: "sgd", hyper: { lr: 0.5 } });
    const res = await call(`/v1/shards/${name}/gradients`, { method: "POST", json: { values: [1, 2, 3] }, headers: { accept: "application/json" } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ version: 1, revision: 1, offset: 0, values: [-0.5, -1, -1.5] });
  });

  it("answers a summary with Prefer: return=minimal", async () => {
    const name = await createShard({ length: 4, ...adam });
    const res = await push(name, [1, 1, 1, 1], { prefer: "return=minimal" });
    expect(res.headers.get("preference-applied")).toBe("return=minimal");
    expect(await res.json()).toMatchObject({ version: 1, applied: true, lr: 0.1, offset: 0, count: 4, replayed: false, non_finite: 0 });
  });

  it("never applies a retry with the same Idempotency-Key twice", async () => {
    const name = await createShard({ length: 4, ...adam });
    const first = await push(name, [1, 2, 3, 4], { "idempotency-key": "k-1" });
    const before = await storedState(name);
    const retry = await push(name, [1, 2, 3, 4], { "idempotency-key": "k-1" });
    expect(retry.status).toBe(200);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.headers.get("x-shard-version")).toBe("1");
    expect(Array.from(await floatsOf(retry))).toEqual(Array.from(await floatsOf(first)));
    expect(await storedState(name)).toBe(before);
    const other = await push(name, [1, 2, 3, 4], { "idempotency-key": "k-2" });
    expect(other.headers.get("x-shard-version")).toBe("2");
    const late = await push(name, [1, 2, 3, 4], { "idempotency-key": "k-1" });
    expect(late.headers.get("x-push-version")).toBe("1");
    expect(late.headers.get("x-shard-version")).toBe("2");
  });

  it("refuses a key reused for a different gradient, changing nothing", async () => {
    const name = await createShard({ length: 2, ...adam });
    await push(name, [1, 2], { "idempotency-key": "same" });
    const before = await storedState(name);
    const res = await push(name, [2, 1], { "idempotency-key": "same" });
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ type: "/problems/idempotency-key-reused" });
    expect(await storedState(name)).toBe(before);
  });

  it.each([
    ["a gradient of the wrong length", { floats: [1, 2, 3] }, 422, "wrong-length", /has 5 floats \(20 bytes\); the gradient has 3 \(12 bytes\)/],
    ["a body that is not whole floats", { body: new Uint8Array(7), headers: { "content-type": "application/octet-stream" } }, 422, "wrong-length", /7 bytes, not a whole number of float32/],
    ["NaN", { floats: [1, NaN, 0, 0, 0] }, 422, "non-finite", /1 NaN or infinite values, the first at index 1/],
    ["infinity", { floats: [0, 0, 0, 0, -Infinity] }, 422, "non-finite", /the first at index 4/],
    ["a range past the end", { floats: [1, 2], query: "?offset=4" }, 400, "invalid-range", /2 floats at offset 4 does not fit in the shard's 5 floats/],
    ["text", { body: "1,2,3", headers: { "content-type": "text/plain" } }, 415, "unsupported-media-type", /Content-Type 'text\/plain'; send application\/octet-stream or application\/json/],
    ["no content type", { body: new Uint8Array(20) }, 415, "unsupported-media-type", /Content-Type is missing/],
    ["a base version from the future", { floats: [1, 1, 1, 1, 1], headers: { "x-base-version": "9" } }, 409, "version-mismatch", /base version 9 is ahead of the shard's version 0/],
  ])("refuses %s with a problem and changes nothing", async (_what, req, status, type, detail) => {
    const name = await createShard({ length: 5, ...adam });
    const before = await storedState(name);
    const { query = "", ...init } = req as { query?: string } & Record<string, unknown>;
    const res = await call(`/v1/shards/${name}/gradients${query}`, { method: "POST", ...(init as object) });
    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    const problem = (await res.json()) as { type: string; detail: string; status: number };
    expect(problem.type).toBe(`/problems/${type}`);
    expect(problem.status).toBe(status);
    expect(problem.detail).toMatch(detail);
    expect(await storedState(name)).toBe(before);
  });

  it("skips or zeroes non-finite gradients when configured", async () => {
    const skip = await createShard({ length: 3, rule: "sgd", hyper: { lr: 1 }, non_finite: "skip" });
    const skipped = await push(skip, [1, NaN, 1], { prefer: "return=minimal" });
    expect(await skipped.json()).toMatchObject({ applied: false, skipped: "non-finite", non_finite: 1, version: 0 });
    const zero = await createShard({ length: 3, rule: "sgd", hyper: { lr: 1 }, non_finite: "zero" });
    expect(Array.from(await floatsOf(await push(zero, [1, Infinity, 2])))).toEqual([-1, 0, -2]);
  });

  it("updates only the pushed range, leaving other elements and their moments untouched", async () => {
    const name = await createShard({ length: 10, ...adam, page_floats: 4 });
    await push(name, Array(10).fill(1));
    const weights = await storedVector(name, "weights");
    const moments = await storedVector(name, "slot:exp_avg");
    const res = await push(name, [5, 5, 5], {}, "?offset=3");
    expect(res.headers.get("x-offset")).toBe("3");
    expect((await floatsOf(res)).length).toBe(3);
    const after = await storedVector(name, "weights");
    const afterMoments = await storedVector(name, "slot:exp_avg");
    for (let i = 0; i < 10; i++) {
      const inside = i >= 3 && i < 6;
      expect(after[i] === weights[i], `weights[${i}]`).toBe(!inside);
      expect(afterMoments[i] === moments[i], `exp_avg[${i}]`).toBe(!inside);
    }
  });

  it("refuses stale gradients, or scales their step, as configured", async () => {
    const reject = await createShard({ length: 2, rule: "sgd", hyper: { lr: 1 }, staleness: { max: 1, policy: "reject" } });
    for (let k = 0; k < 3; k++) await push(reject, [1, 1]);
    const stale = await push(reject, [1, 1], { "x-base-version": "1" });
    expect(stale.status).toBe(409);
    expect(await stale.json()).toMatchObject({ type: "/problems/stale-gradient", version: 3, staleness: 2, max_staleness: 1 });
    const fresh = await push(reject, [1, 1], { "x-base-version": "2" });
    expect(fresh.status).toBe(200);

    const scale = await createShard({ length: 1, rule: "sgd", hyper: { lr: 1 }, staleness: { max: 0, policy: "scale", exponent: 1 } });
    await push(scale, [1]);
    await push(scale, [1]);
    const scaled = await push(scale, [1], { "x-base-version": "0", prefer: "return=minimal" });
    expect(await scaled.json()).toMatchObject({ staleness: 2, staleness_scale: 1 / 3, lr: 1 / 3, version: 3 });
  });

  it("follows the schedule: the update at version t uses lr(t)", async () => {
    const name = await createShard({ length: 1, rule: "sgd", hyper: { lr: 1 }, schedule: { type: "step", step_size: 2, gamma: 0.5 } });
    const lrs = [];
    for (let k = 0; k < 5; k++) lrs.push(Number((await push(name, [1])).headers.get("x-learning-rate")));
    expect(lrs).toEqual([1, 1, 0.5, 0.5, 0.25]);
    const weights = await floatsOf(await call(`/v1/shards/${name}/weights`));
    expect(weights[0]).toBeCloseTo(-3.25, 6);
  });

  it("clips each push by norm", async () => {
    const name = await createShard({ length: 2, rule: "sgd", hyper: { lr: 1 }, clipping: { kind: "norm", max_norm: 1 } });
    const res = await push(name, [3, 4], { prefer: "return=minimal" });
    expect(await res.json()).toMatchObject({ norm: 5 });
    const w = await floatsOf(await call(`/v1/shards/${name}/weights`));
    expect(w[0]).toBeCloseTo(-0.6, 5);
    expect(w[1]).toBeCloseTo(-0.8, 5);
  });

  it("limits each client's push rate, with Retry-After, changing nothing", async () => {
    const name = await createShard({ length: 2, rule: "sgd", rate_limit: { per_second: 0.5, burst: 2 } });
    expect((await push(name, [1, 1], { "x-client-id": "a" })).status).toBe(200);
    expect((await push(name, [1, 1], { "x-client-id": "a" })).status).toBe(200);
    const before = await storedState(name);
    const limited = await push(name, [1, 1], { "x-client-id": "a" });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("2");
    expect(((await limited.json()) as { detail: string }).detail).toMatch(/client 'a' exceeds 0.5 pushes per second \(bursts of 2\) on this shard; retry in 1\.\d+ s/);
    expect(await storedState(name)).toBe(before);
    expect((await push(name, [1, 1], { "x-client-id": "b" })).status).toBe(200);
  });

  it("is 404 for an unknown shard", async () => {
    const res = await push("never-created", [1]);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ type: "/problems/not-found" });
  });
});
