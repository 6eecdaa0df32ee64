import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/edge/app";
import { encodeSafetensors } from "../../src/formats/safetensors";
import { CATALOG_NAME } from "../../src/catalog/client";
import { MAX_IDEMPOTENCY_KEY_LENGTH, MAX_JSON_BODY_BYTES, MAX_BODY_BYTES, MAX_MODEL_BODY_BYTES, MAX_STATE_BODY_BYTES } from "../../src/limits";
import { call, token, uniqueName, type CallOptions } from "./support/api";
import { storedObject } from "./support/snapshot";

/**
 * Every state-changing operation, every refusal class that applies to it (authentication, scope,
 * negotiation, validation, limits): the answer is the refusal, and nothing stored or served changed
 * (every table of every object the operation could touch, and what GET answers).
 */

type Class = "auth" | "scope" | "negotiation" | "validation" | "limits";
interface Refused extends CallOptions {
  class: Class;
  what: string;
  path?: string;
  status: number;
  type: string;
  /** Sent with an admin token of this name prefix. */
  prefix?: string;
}

const shardConfig = { length: 4, rule: "adam", hyper: { lr: 0.01 }, rate_limit: null, averages: { ema: { kind: "ema", decay: 0.5 } } };
const tensors = [
  { name: "w", shape: [2, 3] },
  { name: "b", shape: [2] },
];
const manifest = { tensors, shard_size: 4, config: { rule: "adam", hyper: { lr: 0.01 }, rate_limit: null } };
const modelGradient = (scale = 1) => encodeSafetensors(Object.fromEntries(tensors.map((t, j) => [t.name, { shape: t.shape, data: Float32Array.from({ length: t.shape.reduce((a, b) => a * b, 1) }, (_, i) => scale * (i + j + 1)) }])));
const sweepConfig = {
  objective: { metric: "loss" },
  space: { lr: { kind: "log_uniform", low: 1e-4, high: 1, target: "hyper.lr" } },
  template: { shard: { length: 4, rule: "sgd", hyper: { lr: 0.1 }, rate_limit: null } },
  seed: 3,
  budget: { trials: 4, parallel: 2, resource: 10 },
};

const OCTET = { "content-type": "application/octet-stream" };
const tooLongKey = "k".repeat(MAX_IDEMPOTENCY_KEY_LENGTH + 1);
const invalidRequest = "/problems/invalid-request";

/** A state file (as GET answers it) with its first vector tensor reshaped to [2, n/2]: the same bytes, another shape. */
function reshaped(file: Uint8Array): Uint8Array {
  const length = Number(new DataView(file.buffer, file.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(file.subarray(8, 8 + length))) as Record<string, { dtype: string; shape: number[] }>;
  const vector = Object.keys(header).find((n) => n !== "__metadata__" && header[n]!.dtype === "F32" && header[n]!.shape.length === 1)!;
  header[vector]!.shape = [2, header[vector]!.shape[0]! / 2];
  let text = JSON.stringify(header);
  text += " ".repeat((8 - (text.length % 8)) % 8);
  const out = new Uint8Array(8 + text.length + file.byteLength - 8 - length);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(new TextEncoder().encode(text), 8);
  out.set(file.subarray(8 + length), 8 + text.length);
  return out;
}

/** A body of `bytes` zeros that declares its length, streamed: the refusal must come from the declared length, before a byte is read. */
function declaredBody(bytes: number, type = "application/octet-stream"): CallOptions {
  const chunk = new Uint8Array(1 << 20);
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= bytes) return controller.close();
      const part = chunk.subarray(0, Math.min(chunk.byteLength, bytes - sent));
      sent += part.byteLength;
      controller.enqueue(part);
    },
  });
  return { body, headers: { "content-type": type, "content-length": String(bytes) } };
}
const tooLarge = (limit: number, type?: string): Omit<Refused, "class" | "what"> => ({ ...declaredBody(limit + 1, type), status: 413, type: "/problems/body-too-large" });

interface World {
  shard: string;
  model: string;
  sweep: string;
  shardEtag: string;
  modelEtag: string;
  /** The state files GET answers: valid, so that only the precondition refuses them. */
  shardState: Uint8Array;
  modelState: Uint8Array;
  /** The same files with one vector tensor of another shape. */
  shardStateReshaped: Uint8Array;
  modelStateReshaped: Uint8Array;
}

async function ok(res: Promise<Response>, status = 200): Promise<Response> {
  const r = await res;
  if (r.status !== status) throw new Error(`${r.url}: ${r.status} ${await r.text()}`);
  return r;
}

/** A shard (pushed, checkpointed twice, once under the Idempotency-Key "taken"), a model (pushed, checkpointed) and a sweep with a leased trial. */
async function makeWorld(): Promise<World> {
  const shard = uniqueName("rs");
  await ok(call(`/v1/shards/${shard}`, { method: "PUT", json: shardConfig }), 201);
  await ok(call(`/v1/shards/${shard}/gradients`, { method: "POST", floats: [1, 2, 3, 4], headers: { "idempotency-key": "first" } }));
  await ok(call(`/v1/shards/${shard}/checkpoints`, { method: "POST", json: { label: "one" } }), 201);
  await ok(call(`/v1/shards/${shard}/checkpoints`, { method: "POST", json: { label: "keyed" }, headers: { "idempotency-key": "taken" } }), 201);
  const shardEtag = (await ok(call(`/v1/shards/${shard}/weights`))).headers.get("etag")!;
  const model = uniqueName("rm");
  await ok(call(`/v1/models/${model}`, { method: "PUT", json: manifest }), 201);
  await ok(call(`/v1/models/${model}/gradients`, { method: "POST", body: modelGradient(), headers: { ...OCTET, "idempotency-key": "first" } }));
  await ok(call(`/v1/models/${model}/checkpoints`, { method: "POST", json: { label: "one" } }), 201);
  const modelEtag = (await ok(call(`/v1/models/${model}/weights`))).headers.get("etag")!;
  const sweep = uniqueName("rw");
  await ok(call(`/v1/sweeps/${sweep}`, { method: "PUT", json: sweepConfig }), 201);
  await ok(call(`/v1/sweeps/${sweep}/trials`, { method: "POST", json: { worker: "w" }, headers: { "idempotency-key": "first" } }));
  const stateOf = async (path: string) => new Uint8Array(await (await ok(call(path))).arrayBuffer());
  const [shardState, modelState] = [await stateOf(`/v1/shards/${shard}/state`), await stateOf(`/v1/models/${model}/state`)];
  return { shard, model, sweep, shardEtag, modelEtag, shardState, modelState, shardStateReshaped: reshaped(shardState), modelStateReshaped: reshaped(modelState) };
}

/** Everything the world stores and serves. */
async function snapshot(w: World): Promise<string[]> {
  const shards = [w.shard, `${w.model}:0`, `${w.model}:1`];
  const served = async (path: string) => {
    const res = await call(path);
    return `${path} ${res.status} ${res.headers.get("etag")} ${Array.from(new Uint8Array(await res.arrayBuffer())).join(",")}`;
  };
  return [
    ...(await Promise.all(shards.map((s) => storedObject(env.SHARDS, s)))),
    await storedObject(env.CATALOG, CATALOG_NAME),
    await storedObject(env.SWEEPS, w.sweep),
    ...(await Promise.all(
      [
        `/v1/shards/${w.shard}/state`,
        `/v1/shards/${w.shard}/checkpoints`,
        `/v1/shards/${w.shard}/averages/ema`,
        `/v1/models/${w.model}/weights`,
        `/v1/models/${w.model}/state`,
        `/v1/models/${w.model}/checkpoints`,
        `/v1/sweeps/${w.sweep}/trials`,
      ].map(served),
    )),
  ];
}

/** The refusals every operation makes before it looks at its request: no token, a token without the scope, a token of another prefix. */
/** The refusals of a missing or insufficient token; an operation that needs only `read` (a live ticket) takes a read-only token. */
function accessRefusals(scope: "read" | "train" = "train"): Refused[] {
  return [
    { class: "auth", what: "no token", auth: false, status: 401, type: "/problems/unauthorized" },
    ...(scope === "read" ? [] : [{ class: "scope", what: "a read-only token", scopes: ["read"], status: 403, type: "/problems/forbidden" } satisfies Refused]),
    { class: "scope", what: "a token of another prefix", prefix: "other.", status: 403, type: "/problems/forbidden" },
  ];
}

/** Every state-changing operation (as `createApp().routes` names it: `METHOD /v1/...:param`) and the refusals that apply to it. */
function operations(w: World): Record<string, { path: string; body: CallOptions; refusals: Refused[]; scope?: "read" }> {
  const s = `/v1/shards/${w.shard}`;
  const m = `/v1/models/${w.model}`;
  const sw = `/v1/sweeps/${w.sweep}`;
  const json = (body: unknown): CallOptions => ({ json: body });
  const v = (what: string, r: Omit<Refused, "class" | "what">): Refused => ({ class: "validation", what, ...r });
  const l = (what: string, r: Omit<Refused, "class" | "what">): Refused => ({ class: "limits", what, ...r });
  const n = (what: string, r: Omit<Refused, "class" | "what">): Refused => ({ class: "negotiation", what, ...r });
  const longKey = (body: CallOptions): Refused => l("an Idempotency-Key one character too long", { ...body, headers: { ...(body.headers as object), "idempotency-key": tooLongKey }, status: 400, type: invalidRequest });
  const malformed = (what = "malformed JSON"): Refused => v(what, { body: "{", headers: { "content-type": "application/json" }, status: 400, type: "/problems/malformed-json" });
  const noBody = (): Refused => v("no body", { status: 415, type: "/problems/unsupported-media-type" });
  const wrongType = (status = 415): Refused => v("a body of another media type", { body: "x", headers: { "content-type": "text/plain" }, status, type: "/problems/unsupported-media-type" });
  const jsonTooLarge = (): Refused => l("a JSON body over its limit", tooLarge(MAX_JSON_BODY_BYTES, "application/json"));
  const floats = { floats: [1, 1, 1, 1] };
  const gradient = { body: modelGradient(), headers: OCTET };
  const stateFile = { body: new Uint8Array(8), headers: { ...OCTET, "if-match": w.shardEtag } };
  const modelStateFile = { body: new Uint8Array(8), headers: { ...OCTET, "if-match": w.modelEtag } };
  const staleState = (file: Uint8Array, stale: string) => ({ body: file, headers: { ...OCTET, "if-match": stale } });
  return {
    "PUT /v1/shards/:shard": {
      path: s,
      body: json(shardConfig),
      refusals: [
        v("a field of the wrong type", { json: { ...shardConfig, length: "many" }, status: 400, type: invalidRequest }),
        v("another configuration without replace", { json: { ...shardConfig, length: 8 }, status: 409, type: "/problems/config-conflict" }),
        v("replace=maybe", { path: `${s}?replace=maybe`, json: shardConfig, status: 400, type: invalidRequest }),
        malformed(),
        noBody(), wrongType(),
        jsonTooLarge(),
      ],
    },
    "PATCH /v1/shards/:shard": {
      path: s,
      body: json({ hyper: { lr: 0.5 } }),
      refusals: [
        v("hyper of the wrong type", { json: { hyper: 3 }, status: 400, type: invalidRequest }),
        v("an unknown field", { json: { lr: 0.5 }, status: 400, type: invalidRequest }),
        v("a hyperparameter out of range", { json: { hyper: { lr: -1 } }, status: 400, type: "/problems/invalid-config" }),
        malformed(),
        noBody(), wrongType(),
        jsonTooLarge(),
      ],
    },
    "DELETE /v1/shards/:shard": { path: s, body: {}, refusals: [v("a name that is not a shard name", { path: "/v1/shards/bad%20name", status: 400, type: invalidRequest })] },
    "POST /v1/shards/:shard/live/tickets": { path: s + "/live/tickets", body: {}, scope: "read", refusals: [v("a name that is not a shard name", { path: "/v1/shards/bad%20name/live/tickets", status: 400, type: invalidRequest })] },
    "POST /v1/models/:model/live/tickets": {
      path: m + "/live/tickets",
      body: {},
      scope: "read",
      refusals: [
        v("a name that is not a model name", { path: "/v1/models/bad%20name/live/tickets", status: 400, type: invalidRequest }),
        v("a model that does not exist", { path: "/v1/models/no-such-model/live/tickets", status: 404, type: "/problems/not-found" }),
      ],
    },
    "PUT /v1/shards/:shard/weights": {
      path: s + "/weights",
      body: { ...floats, headers: { "if-match": w.shardEtag } },
      refusals: [
        v("offset=x", { path: `${s}/weights?offset=x`, ...floats, headers: { "if-match": w.shardEtag }, status: 400, type: invalidRequest }),
        v("no If-Match once trained", { ...floats, status: 412, type: "/problems/precondition-failed" }),
        v("a stale If-Match", { ...floats, headers: { "if-match": '"0"' }, status: 412, type: "/problems/precondition-failed" }),
        v("an If-Match that is no ETag of ours", { ...floats, headers: { "if-match": "nope" }, status: 400, type: invalidRequest }),
        v("a range past the end", { path: `${s}/weights?offset=3`, floats: [1, 1], headers: { "if-match": w.shardEtag }, status: 400, type: "/problems/invalid-range" }),
        v("bytes that are no whole float32", { body: new Uint8Array(3), headers: { ...OCTET, "if-match": w.shardEtag }, status: 422, type: "/problems/wrong-length" }),
        v("NaN", { floats: [NaN, 1, 1, 1], headers: { "if-match": w.shardEtag }, status: 422, type: "/problems/non-finite" }),
        malformed(),
        noBody(), wrongType(),
        l("a body over its limit", tooLarge(MAX_BODY_BYTES)),
      ],
    },
    "POST /v1/shards/:shard/gradients": {
      path: s + "/gradients",
      body: floats,
      refusals: [
        n("Accept: text/html", { ...floats, headers: { accept: "text/html" }, status: 406, type: "/problems/not-acceptable" }),
        v("offset=abc", { path: `${s}/gradients?offset=abc`, ...floats, status: 400, type: invalidRequest }),
        v("X-Base-Version: 1e0", { ...floats, headers: { "x-base-version": "1e0" }, status: 400, type: invalidRequest }),
        v("X-Sample-Count: 0", { ...floats, headers: { "x-sample-count": "0" }, status: 400, type: invalidRequest }),
        v("another client's X-Client-Id", { ...floats, headers: { "x-client-id": "someone-else" }, scopes: ["train"], status: 403, type: "/problems/forbidden" }),
        v("too few floats", { floats: [1, 1], status: 422, type: "/problems/wrong-length" }),
        v("NaN", { floats: [NaN, 1, 1, 1], status: 422, type: "/problems/non-finite" }),
        v("a reused Idempotency-Key with another gradient", { floats: [9, 9, 9, 9], headers: { "idempotency-key": "first" }, status: 422, type: "/problems/idempotency-key-reused" }),
        malformed(),
        v("JSON without values", { json: { value: [1] }, status: 400, type: "/problems/malformed-json" }),
        noBody(), wrongType(),
        longKey(floats),
        l("a body over its limit", tooLarge(MAX_BODY_BYTES)),
      ],
    },
    "POST /v1/shards/:shard/metrics": {
      path: s + "/metrics",
      body: json({ value: 1 }),
      refusals: [v("a value that is no number", { json: { value: "low" }, status: 400, type: invalidRequest }), malformed(), noBody(), wrongType(), jsonTooLarge()],
    },
    "PUT /v1/shards/:shard/state": {
      path: s + "/state",
      body: stateFile,
      refusals: [
        v("a file that is no safetensors", { ...stateFile, status: 422, type: "/problems/invalid-safetensors" }),
        v("an empty body", { body: new Uint8Array(0), headers: stateFile.headers, status: 422, type: "/problems/invalid-safetensors" }),
        v("a stale If-Match", { ...staleState(w.shardState, '"0"'), status: 412, type: "/problems/precondition-failed" }),
        v("a tensor of another shape", { ...staleState(w.shardState, w.shardEtag), body: w.shardStateReshaped, status: 422, type: "/problems/wrong-length" }),
        v("an If-Match that is no ETag of ours", { ...stateFile, headers: { ...OCTET, "if-match": "nope" }, status: 400, type: invalidRequest }),
        noBody(), wrongType(),
        longKey(stateFile),
        l("a body over its limit", tooLarge(MAX_STATE_BODY_BYTES)),
      ],
    },
    "POST /v1/shards/:shard/checkpoints": {
      path: s + "/checkpoints",
      body: json({}),
      refusals: [
        v("a label that is no string", { json: { label: 5 }, status: 400, type: invalidRequest }),
        v("a label too long", { json: { label: "x".repeat(129) }, status: 400, type: invalidRequest }),
        v("a reused Idempotency-Key with another label", { json: { label: "two" }, headers: { "idempotency-key": "taken" }, status: 422, type: "/problems/idempotency-key-reused" }),
        malformed(),
        wrongType(),
        longKey(json({})),
        jsonTooLarge(),
      ],
    },
    "DELETE /v1/shards/:shard/checkpoints/:id": {
      path: s + "/checkpoints/1",
      body: {},
      refusals: [v("id=abc", { path: `${s}/checkpoints/abc`, status: 400, type: invalidRequest }), v("an unknown id", { path: `${s}/checkpoints/99`, status: 404, type: "/problems/not-found" })],
    },
    "POST /v1/shards/:shard/checkpoints/:id/restore": {
      path: s + "/checkpoints/1/restore",
      body: {},
      refusals: [v("id=abc", { path: `${s}/checkpoints/abc/restore`, status: 400, type: invalidRequest }), v("an unknown id", { path: `${s}/checkpoints/99/restore`, status: 404, type: "/problems/not-found" })],
    },
    "PUT /v1/models/:model": {
      path: m,
      body: json(manifest),
      refusals: [
        v("an empty manifest", { json: {}, status: 400, type: invalidRequest }),
        v("another manifest", { json: { ...manifest, shard_size: 8 }, status: 409, type: "/problems/config-conflict" }),
        malformed(),
        noBody(), wrongType(),
        jsonTooLarge(),
      ],
    },
    "DELETE /v1/models/:model": { path: m, body: {}, refusals: [v("a name that is not a model name", { path: "/v1/models/bad%20name", status: 400, type: invalidRequest })] },
    "POST /v1/models/:model/gradients": {
      path: m + "/gradients",
      body: gradient,
      refusals: [
        n("Accept: text/html", { ...gradient, headers: { ...OCTET, accept: "text/html" }, status: 406, type: "/problems/not-acceptable" }),
        v("X-Sample-Count: many", { ...gradient, headers: { ...OCTET, "x-sample-count": "many" }, status: 400, type: invalidRequest }),
        v("another client's X-Client-Id", { ...gradient, headers: { ...OCTET, "x-client-id": "someone-else" }, scopes: ["train"], status: 403, type: "/problems/forbidden" }),
        v("a file that is no safetensors", { body: new Uint8Array(8), headers: OCTET, status: 422, type: "/problems/invalid-safetensors" }),
        v("an empty body", { body: new Uint8Array(0), headers: OCTET, status: 422, type: "/problems/invalid-safetensors" }),
        v("a tensor missing", { body: encodeSafetensors({ w: { shape: [2, 3], data: new Float32Array(6) } }), headers: OCTET, status: 422, type: "/problems/invalid-safetensors" }),
        v("a tensor of another shape", { body: encodeSafetensors({ w: { shape: [3, 2], data: new Float32Array(6) }, b: { shape: [2], data: new Float32Array(2) } }), headers: OCTET, status: 422, type: "/problems/wrong-length" }),
        v("NaN in a tensor", { body: encodeSafetensors({ w: { shape: [2, 3], data: Float32Array.of(1, 1, 1, 1, 1, NaN) }, b: { shape: [2], data: new Float32Array(2) } }), headers: OCTET, status: 422, type: "/problems/non-finite" }),
        v("a reused Idempotency-Key with another gradient", { body: modelGradient(2), headers: { ...OCTET, "idempotency-key": "first" }, status: 422, type: "/problems/idempotency-key-reused" }),
        noBody(), wrongType(),
        longKey(gradient),
        l("a body over its limit", tooLarge(MAX_MODEL_BODY_BYTES)),
      ],
    },
    "PUT /v1/models/:model/state": {
      path: m + "/state",
      body: modelStateFile,
      refusals: [
        v("a file that is no safetensors", { ...modelStateFile, status: 422, type: "/problems/invalid-safetensors" }),
        v("an empty body", { body: new Uint8Array(0), headers: modelStateFile.headers, status: 422, type: "/problems/invalid-safetensors" }),
        v("a stale If-Match", { ...staleState(w.modelState, 'W/"m2-0"'), status: 412, type: "/problems/precondition-failed" }),
        v("an If-Match that is no model ETag of ours", { ...staleState(w.modelState, '"3"'), status: 400, type: invalidRequest }),
        v("a tensor of another shape", { ...staleState(w.modelState, w.modelEtag), body: w.modelStateReshaped, status: 422, type: "/problems/wrong-length" }),
        noBody(), wrongType(),
        longKey(modelStateFile),
        l("a body over its limit", tooLarge(MAX_MODEL_BODY_BYTES)),
      ],
    },
    "POST /v1/models/:model/checkpoints": {
      path: m + "/checkpoints",
      body: json({}),
      refusals: [
        v("a label that is no string", { json: { label: 5 }, status: 400, type: invalidRequest }),
        v("a label too long", { json: { label: "x".repeat(129) }, status: 400, type: invalidRequest }),
        malformed(),
        wrongType(),
        longKey(json({})),
        jsonTooLarge(),
      ],
    },
    "POST /v1/models/:model/checkpoints/:id/restore": {
      path: m + "/checkpoints/1/restore",
      body: {},
      refusals: [v("id=x", { path: `${m}/checkpoints/x/restore`, status: 400, type: invalidRequest }), v("an unknown id", { path: `${m}/checkpoints/99/restore`, status: 404, type: "/problems/not-found" })],
    },
    "DELETE /v1/models/:model/checkpoints/:id": {
      path: m + "/checkpoints/1",
      body: {},
      refusals: [v("id=x", { path: `${m}/checkpoints/x`, status: 400, type: invalidRequest }), v("an unknown id", { path: `${m}/checkpoints/99`, status: 404, type: "/problems/not-found" })],
    },
    "PUT /v1/sweeps/:sweep": {
      path: sw,
      body: json(sweepConfig),
      refusals: [
        v("an empty configuration", { json: {}, status: 400, type: invalidRequest }),
        v("another configuration", { json: { ...sweepConfig, seed: 4 }, status: 409, type: "/problems/sweep-conflict" }),
        malformed(),
        noBody(), wrongType(),
        jsonTooLarge(),
      ],
    },
    "DELETE /v1/sweeps/:sweep": { path: sw, body: {}, refusals: [v("a name that is not a sweep name", { path: "/v1/sweeps/bad%20name", status: 400, type: invalidRequest })] },
    "POST /v1/sweeps/:sweep/trials": {
      path: sw + "/trials",
      body: json({ worker: "w" }),
      refusals: [v("a worker that is no string", { json: { worker: 5 }, status: 400, type: invalidRequest }), malformed(), wrongType(), longKey(json({ worker: "w" })), jsonTooLarge()],
    },
    "POST /v1/sweeps/:sweep/trials/:trial/reports": {
      path: sw + "/trials/0/reports",
      body: json({ lease: "l", step: 1, metrics: { loss: 1 } }),
      refusals: [
        v("trial=x", { path: `${sw}/trials/x/reports`, json: { lease: "l", step: 1, metrics: { loss: 1 } }, status: 400, type: invalidRequest }),
        v("no lease", { json: { step: 1, metrics: { loss: 1 } }, status: 400, type: invalidRequest }),
        v("a lease that is not the trial's", { json: { lease: "l", step: 1, metrics: { loss: 1 } }, status: 409, type: "/problems/lease-lost" }),
        malformed(),
        noBody(), wrongType(),
        jsonTooLarge(),
      ],
    },
    "POST /v1/sweeps/:sweep/trials/:trial/complete": {
      path: sw + "/trials/0/complete",
      body: json({ lease: "l", metrics: { loss: 1 } }),
      refusals: [
        v("no metrics", { json: { lease: "l" }, status: 400, type: invalidRequest }),
        v("a lease that is not the trial's", { json: { lease: "l", metrics: { loss: 1 } }, status: 409, type: "/problems/lease-lost" }),
        malformed(),
        noBody(), wrongType(),
        jsonTooLarge(),
      ],
    },
    "POST /v1/sweeps/:sweep/replicates": {
      path: sw + "/replicates",
      body: json({ count: 1 }),
      refusals: [v("count=0", { json: { count: 0 }, status: 400, type: invalidRequest }), malformed(), noBody(), wrongType(), jsonTooLarge()],
    },
  };
}

/** Every state-changing route of the app, as `METHOD path`. */
const stateChangingRoutes = () =>
  [...new Set(createApp().routes.filter((r) => ["POST", "PUT", "PATCH", "DELETE"].includes(r.method)).map((r) => `${r.method} ${r.path}`))].sort();

async function send(op: { path: string }, method: string, r: Refused): Promise<Response> {
  const { class: _c, what: _w, status: _s, type: _t, path, prefix, ...init } = r;
  const headers = new Headers(init.headers);
  if (prefix !== undefined) headers.set("authorization", `Bearer ${await token(["admin"], prefix)}`);
  return call(path ?? op.path, { ...init, method, headers });
}

describe("refusals change nothing", () => {
  it("has an entry for every state-changing route", async () => {
    const world = { shard: "s", model: "m", sweep: "w", shardEtag: "", modelEtag: "", shardState: new Uint8Array(), modelState: new Uint8Array(), shardStateReshaped: new Uint8Array(), modelStateReshaped: new Uint8Array() };
    expect(Object.keys(operations(world)).sort()).toEqual(stateChangingRoutes());
  });

  // 210 requests, each followed by a snapshot of the world: seconds alone, more beside other files.
  it("refuses every request of every class on every state-changing route, and stores and serves what it did before", { timeout: 60_000 }, async () => {
    const world = await makeWorld();
    let before = await snapshot(world);
    let requests = 0;
    const pairs = new Set<string>();
    const wrong: string[] = [];
    for (const [name, op] of Object.entries(operations(world))) {
      const method = name.split(" ")[0]!;
      const refusals = [...accessRefusals(op.scope).map((r) => ({ ...r, ...op.body, headers: { ...(op.body.headers as object), ...(r.headers as object) } })), ...op.refusals];
      for (const r of refusals) {
        const res = await send(op, method, r);
        const body = await res.text();
        const label = `${name} — ${r.class}: ${r.what}`;
        const type = res.headers.get("content-type") === "application/problem+json" ? (JSON.parse(body) as { type: string }).type : body.slice(0, 80);
        if (res.status !== r.status || type !== r.type) wrong.push(`${label}: answered ${res.status} ${type}, not ${r.status} ${r.type}`);
        const after = await snapshot(world);
        if (after.join("\n") !== before.join("\n")) {
          wrong.push(`${label}: changed the state`);
          before = after;
        }
        requests++;
        pairs.add(`${name} ${r.class}`);
      }
    }
    expect(wrong).toEqual([]);
    console.log(`refusals: ${requests} requests over ${Object.keys(operations(world)).length} operations; operation × class pairs: ${pairs.size}`);
  });
});
