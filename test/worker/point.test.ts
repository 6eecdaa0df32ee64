import { workerFetch } from "./support/contract";
import { describe, expect, it } from "vitest";
import { createShardstep } from "../../packages/client/src/index";
import { parseSafetensors, readTensor, encodeSafetensors } from "../../src/formats/safetensors";
import { getRule, ruleNames } from "../../src/optim";
import { BASE, call, createShard, floatsOf, push, token, uniqueName } from "./support/api";
import { storedVector } from "./support/snapshot";

/**
 * The evaluation point: where the next gradient is to be taken. GET /point serves it; every push
 * answer with a vector is it, X-Point saying whether it is the weights or distinct from them.
 */
const LENGTH = 7;
const MU = 0.9;
const lookAhead = { rule: "sgd", hyper: { lr: 0.1, momentum: MU, momentum_form: "velocity", nesterov: true }, rate_limit: null };
const gradient = (k: number, n = LENGTH) => Array.from({ length: n }, (_, i) => Math.fround(Math.sin(5 * k + i) * (1 + i)));
const pointOf = (name: string, query = "") => call(`/v1/shards/${name}/point${query}`);
const weightsOf = async (name: string) => floatsOf(await call(`/v1/shards/${name}/weights`));

/** x + μ·v rounded once to float32, from the stored weights and velocity. */
async function lookAheadOf(name: string): Promise<Float32Array> {
  const x = await storedVector(name, "weights");
  const v = await storedVector(name, "slot:velocity");
  return Float32Array.from(x, (xi, i) => xi + MU * v[i]!);
}

// Every rule that declares no point, and SGD's forms other than the look-ahead: the point is the weights.
const weightsRules: [string, Record<string, unknown>][] = [
  ...ruleNames.filter((rule) => rule === "sgd" || getRule(rule).point === undefined).map((rule) => [rule, { rule, hyper: {} }] as [string, Record<string, unknown>]),
  ["sgd momentum nesterov", { rule: "sgd", hyper: { momentum: 0.9, nesterov: true } }],
  ["sgd ema_momentum bias_correction", { rule: "sgd", hyper: { momentum: 0.9, ema_momentum: true, bias_correction: true } }],
  ["sgd momentum_form velocity", { rule: "sgd", hyper: { momentum: 0.9, momentum_form: "velocity" } }],
];

describe("the point is the weights for every rule but the look-ahead Nesterov", () => {
  it.each(weightsRules)("%s", async (_label, config) => {
    const name = await createShard({ length: LENGTH, init: { kind: "uniform", seed: 3 }, rate_limit: null, ...config });
    for (let k = 1; k <= 3; k++) {
      const answer = await push(name, gradient(k));
      expect(answer.status).toBe(200);
      expect(answer.headers.get("x-point")).toBe("weights");
      const point = await pointOf(name);
      expect(point.status).toBe(200);
      expect(point.headers.get("x-point")).toBe("weights");
      expect(point.headers.get("etag")).toBe(answer.headers.get("etag"));
      expect(point.headers.get("x-shard-version")).toBe(String(k));
      const weights = await weightsOf(name);
      expect(Array.from(await floatsOf(point))).toEqual(Array.from(weights));
      expect(Array.from(await floatsOf(answer))).toEqual(Array.from(weights));
    }
  });
});

describe("the notes' look-ahead Nesterov: the point is x + μ·v", () => {
  it("after each push, GET /point and the push answer are x + μ·v of the stored state; GET /weights stays the weights", async () => {
    const name = await createShard({ length: LENGTH, init: { kind: "normal", seed: 5 }, ...lookAhead });
    const before = await pointOf(name);
    expect(before.headers.get("x-point")).toBe("distinct");
    expect(Array.from(await floatsOf(before))).toEqual(Array.from(await weightsOf(name))); // v = 0
    for (let k = 1; k <= 4; k++) {
      const answer = await push(name, gradient(k));
      expect(answer.status).toBe(200);
      expect(answer.headers.get("x-point")).toBe("distinct");
      const expected = Array.from(await lookAheadOf(name));
      expect(Array.from(await floatsOf(answer))).toEqual(expected);
      const point = await pointOf(name);
      expect(point.headers.get("x-shard-version")).toBe(String(k));
      expect(Array.from(await floatsOf(point))).toEqual(expected);
      const weights = await weightsOf(name);
      expect(Array.from(weights)).toEqual(Array.from(await storedVector(name, "weights")));
      expect(Array.from(weights)).not.toEqual(expected);
    }
  });

  it("serves the point as JSON and by range, with ETag and 304 as the weights", async () => {
    const name = await createShard({ length: LENGTH, ...lookAhead });
    const pushed = await push(name, gradient(1), { accept: "application/json" });
    const json = await pushed.json<{ version: number; offset: number; values: number[] }>();
    expect(pushed.headers.get("x-point")).toBe("distinct");
    const expected = Array.from(await lookAheadOf(name));
    expect(json).toMatchObject({ version: 1, offset: 0, values: expected });
    const range = await pointOf(name, "?offset=2&length=3");
    expect(range.headers.get("x-offset")).toBe("2");
    expect(Array.from(await floatsOf(range))).toEqual(expected.slice(2, 5));
    const etag = range.headers.get("etag")!;
    expect((await call(`/v1/shards/${name}/point`, { headers: { "if-none-match": etag } })).status).toBe(304);
    expect((await pointOf(name, "?offset=6&length=2")).status).toBe(400);
  });

  it("answers a replay with the current point, and a minimal answer with no vector", async () => {
    const name = await createShard({ length: LENGTH, ...lookAhead });
    await push(name, gradient(1), { "idempotency-key": "k1" });
    await push(name, gradient(2));
    const replay = await push(name, gradient(1), { "idempotency-key": "k1" });
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.headers.get("x-point")).toBe("distinct");
    expect(Array.from(await floatsOf(replay))).toEqual(Array.from(await lookAheadOf(name)));
    const minimal = await push(name, gradient(3), { prefer: "return=minimal" });
    expect(await minimal.json()).toMatchObject({ version: 3, applied: true });
    expect(minimal.headers.get("x-point")).toBeNull();
  });

  it("a PATCH of momentum moves the point and its ETag, not the weights", async () => {
    const name = await createShard({ length: LENGTH, init: { kind: "normal", seed: 8 }, ...lookAhead });
    await push(name, gradient(1));
    const before = await pointOf(name);
    const weights = Array.from(await weightsOf(name));
    const patched = await call(`/v1/shards/${name}`, { method: "PATCH", json: { hyper: { momentum: 0.5 } } });
    expect(patched.status).toBe(200);
    const after = await call(`/v1/shards/${name}/point`, { headers: { "if-none-match": before.headers.get("etag")! } });
    expect(after.status).toBe(200);
    expect(after.headers.get("etag")).not.toBe(before.headers.get("etag"));
    const x = await storedVector(name, "weights");
    const v = await storedVector(name, "slot:velocity");
    expect(Array.from(await floatsOf(after))).toEqual(Array.from(x, (xi, i) => Math.fround(xi + 0.5 * v[i]!)));
    expect(Array.from(await weightsOf(name))).toEqual(weights);
  });

  it("rounds mode: the answer of a closed round is the point after the round's step", async () => {
    const name = await createShard({ length: LENGTH, ...lookAhead, aggregation: { mode: "rounds", quorum: 2, deadline_ms: 60_000 } });
    const first = await push(name, gradient(1), { "x-client-id": "a" });
    expect(first.status).toBe(202);
    expect(first.headers.get("x-point")).toBeNull();
    const closing = await push(name, gradient(2), { "x-client-id": "b" });
    expect(closing.status).toBe(200);
    expect(closing.headers.get("x-point")).toBe("distinct");
    const expected = Array.from(await lookAheadOf(name));
    expect(Array.from(await floatsOf(closing))).toEqual(expected);
    expect(Array.from(await floatsOf(await pointOf(name)))).toEqual(expected);
    // The mean gradient took one step from zero velocity: v = −lr · mean, x = x0 + v.
    const mean = gradient(1).map((g, i) => (g + gradient(2)[i]!) / 2);
    const v = await storedVector(name, "slot:velocity");
    v.forEach((vi, i) => expect(vi).toBeCloseTo(-0.1 * mean[i]!, 6));
  });

  it("a model answers the point per tensor: GET /point and the push answer", async () => {
    const name = uniqueName("m");
    const tensors = [
      { name: "w", shape: [3, 4] },
      { name: "b", shape: [3] },
    ];
    const sgd = { rule: "sgd", hyper: { lr: 0.1 }, rate_limit: null };
    const created = await call(`/v1/models/${name}`, { method: "PUT", json: { tensors, shard_size: 8, config: lookAhead, overrides: [{ match: "b", config: sgd }] } });
    expect(created.status).toBe(201);
    const grads = { w: { shape: [3, 4], data: Float32Array.from(gradient(1, 12)) }, b: { shape: [3], data: Float32Array.from(gradient(2, 3)) } };
    const pushed = await call(`/v1/models/${name}/gradients`, { method: "POST", body: encodeSafetensors(grads), headers: { "content-type": "application/octet-stream" } });
    expect(pushed.status).toBe(200);
    expect(pushed.headers.get("x-point")).toBe("distinct");
    const tensorsOf = async (res: Response) => {
      const file = parseSafetensors(new Uint8Array(await res.arrayBuffer()));
      return Object.fromEntries(["w", "b"].map((t) => [t, Array.from(readTensor(file, t))]));
    };
    const answered = await tensorsOf(pushed);
    const point = await call(`/v1/models/${name}/point`);
    expect(point.headers.get("x-point")).toBe("distinct");
    const served = await tensorsOf(point);
    expect(served).toEqual(answered);
    const weights = await tensorsOf(await call(`/v1/models/${name}/weights`));
    // w's shards look ahead (x + μ·v from their stored state); b's plain SGD points at its weights.
    const info = await (await call(`/v1/models/${name}`)).json<{ tensors: { name: string; pieces: { shard: string; offset: number; length: number; shard_offset: number }[] }[] }>();
    for (const piece of info.tensors.find((t) => t.name === "w")!.pieces) {
      const ahead = Array.from(await lookAheadOf(piece.shard)).slice(piece.shard_offset, piece.shard_offset + piece.length);
      expect(served.w!.slice(piece.offset, piece.offset + piece.length)).toEqual(ahead);
    }
    expect(served.w).not.toEqual(weights.w);
    expect(served.b).toEqual(weights.b);
  });
});

describe("a client that takes each gradient at the answered point converges", () => {
  it("minimises a quadratic with the look-ahead Nesterov, through the client package", async () => {
    const api = createShardstep({ baseUrl: BASE, token: await token(), fetch: workerFetch });
    // f(x) = ½ Σ a_i (x_i − c_i)², ∇f(y) = a ⊙ (y − c): curvatures from 0.5 to 2.
    const a = Array.from({ length: LENGTH }, (_, i) => 0.5 + (1.5 * i) / (LENGTH - 1));
    const c = Array.from({ length: LENGTH }, (_, i) => Math.cos(i) * 3);
    const gradientAt = (y: Float32Array) => Float32Array.from(y, (yi, i) => a[i]! * (yi - c[i]!));
    const name = await createShard({ length: LENGTH, ...lookAhead });
    const distance = async () => Math.max(...Array.from(await weightsOf(name), (x, i) => Math.abs(x - c[i]!)));
    const start = await distance();

    const first = await api.getPoint(name);
    expect(first.isWeights).toBe(false);
    let point = first.values;
    for (let k = 0; k < 150; k++) {
      const answer = await api.pushGradient(name, gradientAt(point));
      expect(answer.pointIsWeights).toBe(false);
      point = answer.point;
    }
    expect(start).toBeGreaterThan(2);
    expect(await distance()).toBeLessThan(1e-4);
    expect(Array.from(point)).toEqual(Array.from(await lookAheadOf(name)));
  });
});
