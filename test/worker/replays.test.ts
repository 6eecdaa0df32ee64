import { describe, expect, it } from "vitest";
import { openApiDocument } from "../../src/edge/app";
import { encodeSafetensors } from "../../src/formats/safetensors";
import { MAX_IDEMPOTENCY_KEY_LENGTH } from "../../src/limits";
import { call, uniqueName, type CallOptions } from "./support/api";

/**
 * Every operation that takes an Idempotency-Key answers a retry the same way: the first request's
 * status and body, with `Idempotent-Replayed: true` (and without it the first time). Keys of up to
 * MAX_IDEMPOTENCY_KEY_LENGTH characters are taken on every one of them, one more is 400; a model's
 * keys at the limit still reach its shards (their derived keys `<key>#<index>` cross RPC).
 */

const OCTET = { "content-type": "application/octet-stream" };
const tensors = [
  { name: "w", shape: [2, 3] },
  { name: "b", shape: [2] },
];
const manifest = { tensors, shard_size: 4, config: { rule: "adam", hyper: { lr: 0.01 }, rate_limit: null } };
const gradient = encodeSafetensors(Object.fromEntries(tensors.map((t) => [t.name, { shape: t.shape, data: Float32Array.from({ length: t.shape.reduce((a, b) => a * b, 1) }, (_, i) => i + 1) }])));
const sweepConfig = {
  objective: { metric: "loss" },
  space: { lr: { kind: "log_uniform", low: 1e-4, high: 1, target: "hyper.lr" } },
  template: { shard: { length: 4, rule: "sgd", hyper: { lr: 0.1 }, rate_limit: null } },
  seed: 5,
  budget: { trials: 4, parallel: 2, resource: 10 },
};

async function created(path: string, json: unknown): Promise<void> {
  const res = await call(path, { method: "PUT", json });
  if (res.status !== 201) throw new Error(`${path}: ${res.status} ${await res.text()}`);
}

/** A keyed operation: where it goes (made fresh per test) and its request. */
interface Keyed {
  prepare: () => Promise<{ path: string; request: CallOptions }>;
  /** A body that carries `replayed` (a summary of the outcome) says so, for all of it; everything else in it is the first answer's. */
  replayedField?: (body: Record<string, unknown>) => boolean;
}

const newShard = async () => {
  const shard = uniqueName("rp");
  await created(`/v1/shards/${shard}`, { length: 4, rule: "adam", rate_limit: null });
  return shard;
};
const newModel = async () => {
  const model = uniqueName("rpm");
  await created(`/v1/models/${model}`, manifest);
  return model;
};

const KEYED: Record<string, Keyed> = {
  "POST /v1/shards/{shard}/gradients": {
    prepare: async () => ({ path: `/v1/shards/${await newShard()}/gradients`, request: { method: "POST", floats: [1, 2, 3, 4] } }),
  },
  "POST /v1/shards/{shard}/checkpoints": {
    prepare: async () => ({ path: `/v1/shards/${await newShard()}/checkpoints`, request: { method: "POST", json: { label: "l" } } }),
  },
  "PUT /v1/shards/{shard}/state": {
    prepare: async () => {
      const shard = await newShard();
      const file = await (await call(`/v1/shards/${shard}/state`)).arrayBuffer();
      return { path: `/v1/shards/${shard}/state`, request: { method: "PUT", body: file, headers: OCTET } };
    },
  },
  "POST /v1/models/{model}/gradients": {
    prepare: async () => ({ path: `/v1/models/${await newModel()}/gradients`, request: { method: "POST", body: gradient, headers: OCTET } }),
  },
  "POST /v1/models/{model}/checkpoints": {
    prepare: async () => ({ path: `/v1/models/${await newModel()}/checkpoints`, request: { method: "POST", json: { label: "l" } } }),
  },
  "PUT /v1/models/{model}/state": {
    prepare: async () => {
      const model = await newModel();
      const file = await (await call(`/v1/models/${model}/state`)).arrayBuffer();
      return { path: `/v1/models/${model}/state`, request: { method: "PUT", body: file, headers: OCTET } };
    },
    replayedField: (body) => {
      const flags = new Set((body.shards as { replayed: boolean }[]).map((s) => s.replayed));
      return flags.size === 1 && flags.has(true);
    },
  },
  "POST /v1/sweeps/{sweep}/trials": {
    prepare: async () => {
      const sweep = uniqueName("rps");
      await created(`/v1/sweeps/${sweep}`, sweepConfig);
      return { path: `/v1/sweeps/${sweep}/trials`, request: { method: "POST", json: { worker: "w" } } };
    },
    replayedField: (body) => body.replayed === true,
  },
};

/** The operations of the OpenAPI document that take an Idempotency-Key header. */
function keyedOperations(): string[] {
  const keyed: string[] = [];
  for (const [path, item] of Object.entries(openApiDocument().paths ?? {})) {
    for (const method of ["get", "post", "put", "patch", "delete"] as const) {
      const takesKey = item[method]?.parameters?.some((p) => "in" in p && p.in === "header" && p.name.toLowerCase() === "idempotency-key");
      if (takesKey) keyed.push(`${method.toUpperCase()} ${path}`);
    }
  }
  return keyed.sort();
}

const send = (path: string, request: CallOptions, key: string) => call(path, { ...request, headers: { ...(request.headers as Record<string, string>), "idempotency-key": key } });

async function answerOf(res: Response) {
  const type = res.headers.get("content-type") ?? "";
  const body = type.includes("json") ? ((await res.json()) as Record<string, unknown>) : Array.from(new Uint8Array(await res.arrayBuffer()));
  return { status: res.status, replayed: res.headers.get("idempotent-replayed"), location: res.headers.get("location"), body };
}

/** A body with its `replayed` fields left out: the rest of a replay is the first answer. */
const withoutReplayed = (body: unknown): unknown => JSON.parse(JSON.stringify(body, (key, value: unknown) => (key === "replayed" ? undefined : value)));

describe("Idempotency-Key: one limit and one replay answer on every keyed operation", () => {
  it("covers every operation that takes an Idempotency-Key", () => {
    expect(Object.keys(KEYED).sort()).toEqual(keyedOperations());
  });

  it.each(Object.keys(KEYED))("%s: a retry answers the first status and body with Idempotent-Replayed: true, for a key at the limit", async (name) => {
    const keyed = KEYED[name]!;
    const { path, request } = await keyed.prepare();
    const key = "k".repeat(MAX_IDEMPOTENCY_KEY_LENGTH);
    const first = await answerOf(await send(path, request, key));
    const retry = await answerOf(await send(path, request, key));
    expect(first.status, JSON.stringify(first.body)).toBeLessThan(300);
    expect(first.replayed).toBeNull();
    expect(retry.replayed).toBe("true");
    expect(retry.status).toBe(first.status);
    expect(retry.location).toBe(first.location);
    if (keyed.replayedField) {
      expect(keyed.replayedField(first.body as Record<string, unknown>)).toEqual(false);
      expect(keyed.replayedField(retry.body as Record<string, unknown>)).toEqual(true);
    }
    expect(withoutReplayed(retry.body)).toEqual(withoutReplayed(first.body));
  });

  it.each(Object.keys(KEYED))("%s: a key one character over the limit is 400, and an empty key too", async (name) => {
    const { path, request } = await KEYED[name]!.prepare();
    for (const key of ["k".repeat(MAX_IDEMPOTENCY_KEY_LENGTH + 1), ""]) {
      const res = await send(path, request, key);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ type: "/problems/invalid-request", detail: expect.stringContaining("idempotency-key") });
    }
  });
});
