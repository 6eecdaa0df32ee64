import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { encodeSafetensors, parseSafetensors, readTensor, type SafetensorsFile, type TensorInput } from "../../src/formats/safetensors";
import { MAX_STATE_BODY_BYTES, RPC_MAX_BYTES } from "../../src/limits";
import { ruleNames } from "../../src/optim";
import { call, createShard, push } from "./support/api";

/**
 * The optimizer state in and out (docs/state.md): export → import into a fresh shard → the same
 * state and the same updates after it, for every rule; every refusal changes nothing; an import is
 * atomic and idempotent; a state larger than one RPC answer streams both ways.
 */

const SEED = 20261206;
console.log(`state.test.ts: seed ${SEED}`);

/** A seeded stream of floats in [-1, 1) (mulberry32). */
function randoms(seed: number, n: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1;
  }
  return out;
}

const LENGTH = 300;
/** Hyperparameters that give a rule the most state; rules not named here run with their defaults. */
const richest: Record<string, Record<string, unknown>> = {
  sgd: { momentum: 0.9 },
  rmsprop: { centered: true, momentum: 0.5 },
  adam: { amsgrad: true },
  adamw: { amsgrad: true },
};
const configOf = (rule: string, init: Record<string, unknown> = { kind: "normal", seed: SEED }) => ({
  length: LENGTH,
  rule,
  hyper: { lr: 0.01, ...richest[rule] },
  page_floats: 128,
  rate_limit: null,
  init,
});

async function exportOf(name: string): Promise<Uint8Array> {
  const res = await call(`/v1/shards/${name}/state`);
  if (res.status !== 200) throw new Error(`export of ${name}: ${res.status} ${await res.text()}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  expect(bytes.byteLength).toBe(Number(res.headers.get("content-length")));
  return bytes;
}

const importInto = (name: string, body: BodyInit, headers: Record<string, string> = {}) =>
  call(`/v1/shards/${name}/state`, { method: "PUT", body, headers: { "content-type": "application/octet-stream", ...headers } });

/** The file's tensors (names, dtypes, shapes, bytes): everything but the metadata, which names the shard and its version. */
function tensorsOf(file: SafetensorsFile) {
  return Object.fromEntries([...file.tensors].map(([name, info]) => [name, { dtype: info.dtype, shape: info.shape, bytes: [...file.data.subarray(info.begin, info.end)] }]));
}

/** The file rebuilt with tensors replaced, added (a value) or removed (null). */
function edited(bytes: Uint8Array, changes: Record<string, TensorInput | null>): Uint8Array {
  const file = parseSafetensors(bytes);
  const tensors: Record<string, TensorInput> = {};
  for (const [name, info] of file.tensors) tensors[name] = { shape: info.shape, data: readTensor(file, name) };
  for (const [name, change] of Object.entries(changes)) {
    if (change === null) delete tensors[name];
    else tensors[name] = change;
  }
  return encodeSafetensors(tensors, { ...file.metadata });
}

const stagedPages = (name: string) =>
  runInDurableObject(env.SHARDS.get(env.SHARDS.idFromName(name)), (_o: unknown, state: DurableObjectState) =>
    state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM pages WHERE slot LIKE 'import:%'").one().n,
  );

async function pushAll(name: string, gradients: Float32Array[]): Promise<Uint8Array[]> {
  const answers: Uint8Array[] = [];
  for (const g of gradients) {
    const res = await push(name, g);
    expect(res.status).toBe(200);
    answers.push(new Uint8Array(await res.arrayBuffer()));
  }
  return answers;
}

const gradients = (seed: number, n: number) => Array.from({ length: n }, (_, i) => randoms(seed + i, LENGTH));

describe("state round trip, every rule", () => {
  it.each(ruleNames.map((r) => [r]))("%s: export → import into a fresh shard → the same file and the same pushes after", async (rule) => {
    const source = await createShard(configOf(rule));
    await pushAll(source, gradients(SEED, 3));
    const exported = await exportOf(source);
    const file = parseSafetensors(exported);
    expect(file.metadata.rule).toBe(rule);
    expect(file.metadata.version).toBe("3");
    expect(JSON.parse(file.metadata.hyper!)).toMatchObject({ lr: 0.01 });
    expect([...file.tensors.keys()]).toContain("weights");
    expect(file.tensors.get("step")).toMatchObject({ dtype: "F64", shape: [] });
    expect(readTensor(file, "step")[0]).toBe(3);

    const target = await createShard(configOf(rule, { kind: "zeros" }));
    const res = await importInto(target, exported);
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toEqual({ version: 1, revision: 1, step: 3 });
    const again = parseSafetensors(await exportOf(target));
    expect(tensorsOf(again)).toEqual(tensorsOf(file));
    expect({ ...again.metadata, shard: "", version: "", revision: "" }).toEqual({ ...file.metadata, shard: "", version: "", revision: "" });

    const next = gradients(SEED + 100, 3);
    expect(await pushAll(target, next)).toEqual(await pushAll(source, next));
    expect(tensorsOf(parseSafetensors(await exportOf(target)))).toEqual(tensorsOf(parseSafetensors(await exportOf(source))));
  });
});

describe("state import refusals change nothing", () => {
  const nadam = () => createShard(configOf("nadam"));
  const cases: [string, (file: Uint8Array) => BodyInit, number, string, RegExp][] = [
    ["a missing slot", (f) => edited(f, { exp_avg_sq: null }), 422, "state-mismatch", /lacks 'exp_avg_sq'/],
    ["an unknown tensor", (f) => edited(f, { momentum_buffer: { shape: [LENGTH], data: new Float32Array(LENGTH) } }), 422, "state-mismatch", /has 'momentum_buffer', which this shard does not keep/],
    ["a slot in F64", (f) => edited(f, { exp_avg: { shape: [LENGTH], data: new Float64Array(LENGTH) } }), 422, "state-mismatch", /'exp_avg' is F64; state vectors are F32/],
    ["weights of the wrong length", (f) => edited(f, { weights: { shape: [LENGTH - 1], data: new Float32Array(LENGTH - 1) } }), 422, "wrong-length", /'weights' has 299 elements; this shard's 'weights' has 300/],
    ["a slot of the wrong shape", (f) => edited(f, { exp_avg: { shape: [3, 100], data: new Float32Array(LENGTH) } }), 422, "wrong-length", /shape \[3,100\]; it must be \[300\]/],
    ["a NaN in the last page of a slot", (f) => edited(f, { exp_avg_sq: { shape: [LENGTH], data: new Float32Array(LENGTH).fill(1).fill(NaN, 290, 291) } }), 422, "non-finite", /'exp_avg_sq' has a non-finite value \(NaN\) at element 290/],
    ["an infinite weight", (f) => edited(f, { weights: { shape: [LENGTH], data: new Float32Array(LENGTH).fill(Infinity, 5, 6) } }), 422, "non-finite", /'weights' has a non-finite value \(Infinity\) at element 5/],
    ["a negative step", (f) => edited(f, { step: { shape: [], data: Float64Array.of(-1) } }), 422, "invalid-state", /'step' is -1; it must be a non-negative whole number/],
    ["a fractional step", (f) => edited(f, { step: { shape: [], data: Float32Array.of(2.5) } }), 422, "invalid-state", /'step' is 2.5/],
    ["a step of shape [1]", (f) => edited(f, { step: { shape: [1], data: Float64Array.of(2) } }), 422, "state-mismatch", /'step' has shape \[1\]; it must be a 0-d tensor/],
    ["mu_product out of its range", (f) => edited(f, { mu_product: { shape: [], data: Float64Array.of(1.5) } }), 422, "invalid-state", /'mu_product' is 1.5; it must be a finite number in \[0, 1\]/],
    ["a truncated file", (f) => f.slice(0, f.byteLength - 7), 422, "invalid-safetensors", /ends after/],
    ["not safetensors", () => new Uint8Array(3), 422, "invalid-safetensors", /the body ends after 3 bytes, inside the header/],
  ];

  it.each(cases)("%s", async (_what, body, status, type, detail) => {
    const name = await nadam();
    await pushAll(name, gradients(SEED, 2));
    const before = await exportOf(name);
    const ifMatch = { "if-match": '"2"' };
    const res = await importInto(name, body(before), ifMatch);
    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    const problem = (await res.json()) as { type: string; detail: string };
    expect(problem.type).toBe(`/problems/${type}`);
    expect(problem.detail).toMatch(detail);
    expect(await exportOf(name)).toEqual(before);
    expect(await stagedPages(name)).toBe(0);
  });

  it("wants If-Match naming the current revision once training has started", async () => {
    const name = await nadam();
    await pushAll(name, gradients(SEED, 2));
    const before = await exportOf(name);
    for (const headers of [{}, { "if-match": '"1"' }] as Record<string, string>[]) {
      const res = await importInto(name, before, headers);
      expect(res.status).toBe(412);
      expect(((await res.json()) as { type: string }).type).toBe("/problems/precondition-failed");
    }
    expect(await exportOf(name)).toEqual(before);
    const res = await importInto(name, before, { "if-match": '"2"' });
    expect(res.status).toBe(200);
    expect(res.headers.get("etag")).toBe('"3"');
  });

  it("refuses another media type, a body past the limit, and a token without the admin scope", async () => {
    const name = await nadam();
    const file = await exportOf(name);
    const json = await call(`/v1/shards/${name}/state`, { method: "PUT", body: file, headers: { "content-type": "application/json" } });
    expect(json.status).toBe(415);
    const big = await call(`/v1/shards/${name}/state`, { method: "PUT", body: file, headers: { "content-type": "application/octet-stream", "content-length": String(MAX_STATE_BODY_BYTES + 1) } });
    expect(big.status).toBe(413);
    const train = await call(`/v1/shards/${name}/state`, { method: "PUT", body: file, scopes: ["train"], headers: { "content-type": "application/octet-stream" } });
    expect(train.status).toBe(403);
    const read = await call(`/v1/shards/${name}/state`, { scopes: ["read"] });
    expect(read.status).toBe(200);
    expect(await exportOf(name)).toEqual(file);
  });

  it("answers 404 for a shard that does not exist", async () => {
    expect((await call("/v1/shards/no-such-shard-state/state")).status).toBe(404);
  });
});

describe("state import: atomic and idempotent", () => {
  it("a body that breaks off after its first vectors were staged changes nothing", async () => {
    const name = await createShard(configOf("adam"));
    await pushAll(name, gradients(SEED, 2));
    const before = await exportOf(name);
    const broken = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(before.slice(0, before.byteLength - 200));
        controller.error(new Error("the connection broke"));
      },
    });
    const res = await importInto(name, broken, { "if-match": '"2"' }).catch((e: Error) => e);
    if (res instanceof Response) expect(res.status).toBeGreaterThanOrEqual(400);
    expect(await exportOf(name)).toEqual(before);
    expect(await stagedPages(name)).toBe(0);
  });

  it("one import at a time: another, while the first streams, is refused", async () => {
    const source = await createShard(configOf("adam"));
    await pushAll(source, gradients(SEED, 1));
    const file = await exportOf(source);
    const target = await createShard(configOf("adam", { kind: "zeros" }));
    let finish!: () => void;
    const held = new Promise<void>((resolve) => (finish = resolve));
    // The first import sends its header and the first bytes of its data, then holds the rest back.
    const sent = 8 + Number(new DataView(file.buffer, file.byteOffset).getBigUint64(0, true)) + 100;
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(file.slice(0, sent));
        await held;
        controller.enqueue(file.slice(sent));
        controller.close();
      },
    });
    const first = importInto(target, body);
    let firstEnded: string | undefined;
    first.then(
      (res) => (firstEnded = `answered ${res.status}`),
      (e: Error) => (firstEnded = `failed: ${e.message}`),
    );
    // Until the first import has reached the shard, the second (an empty file) is refused as
    // malformed; once it has, as under way. The first cannot end before `finish()` unless it fails,
    // so this loop ends whatever the machine's speed (and fails at once, with its answer, if it ended).
    let second: { status: number; type: string };
    do {
      if (firstEnded) expect.fail(`the first import ended before the second was refused as under way: ${firstEnded}`);
      const res = await importInto(target, new Uint8Array(0));
      second = { status: res.status, type: ((await res.json()) as { type: string }).type };
      if (second.status !== 409) expect(second).toEqual({ status: 422, type: "/problems/invalid-safetensors" });
    } while (second.status !== 409);
    expect(second).toEqual({ status: 409, type: "/problems/import-under-way" });
    finish();
    expect((await first).status).toBe(200);
    expect(tensorsOf(parseSafetensors(await exportOf(target)))).toEqual(tensorsOf(parseSafetensors(file)));
  });

  it("a model's shard imports only through its model", async () => {
    const model = `state-owned-${SEED}`;
    expect((await call(`/v1/models/${model}`, { method: "PUT", json: { tensors: [{ name: "w", shape: [4] }], config: { rule: "sgd", hyper: { lr: 0.1 } } } })).status).toBe(201);
    const file = await exportOf(`${model}:0`);
    const res = await importInto(`${model}:0`, file);
    expect(res.status).toBe(409);
    expect(((await res.json()) as { detail: string }).detail).toMatch(new RegExp(`belongs to model '${model}'`));
  });

  it("a retry with the same Idempotency-Key answers the first import; another body with it is refused", async () => {
    const source = await createShard(configOf("adam"));
    await pushAll(source, gradients(SEED, 2));
    const file = await exportOf(source);
    const target = await createShard(configOf("adam", { kind: "zeros" }));
    const key = { "idempotency-key": "import-1" };
    const first = await importInto(target, file, key);
    expect(first.status).toBe(200);
    await pushAll(target, gradients(SEED + 7, 1));
    const after = await exportOf(target);
    const retry = await importInto(target, file, key);
    expect(retry.status).toBe(200);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(await retry.json()).toEqual({ version: 1, revision: 1, step: 2 });
    expect(await exportOf(target)).toEqual(after);
    const other = await importInto(target, edited(file, { step: { shape: [], data: Float64Array.of(9) } }), key);
    expect(other.status).toBe(422);
    expect(((await other.json()) as { type: string }).type).toBe("/problems/idempotency-key-reused");
    expect(await exportOf(target)).toEqual(after);
  });
});

describe("an export is one state of the shard", () => {
  it("is cut short of its Content-Length when the shard changes while it streams", async () => {
    const length = 1 << 20; // 12 MiB of Adam state, read a page at a time: far more than any buffer between the shard and the reader
    const name = await createShard({ length, rule: "adam", hyper: { lr: 0.01 }, rate_limit: null });
    const res = await call(`/v1/shards/${name}/state`);
    expect(res.status).toBe(200);
    const declared = Number(res.headers.get("content-length"));
    const reader = res.body!.getReader();
    let received = (await reader.read()).value!.byteLength;
    expect((await push(name, randoms(SEED, length))).status).toBe(200);
    // The body breaks off (an error, or an end short of its Content-Length): never a file of two states.
    await (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        received += value.byteLength;
      }
    })().catch(() => undefined);
    expect(received).toBeLessThan(declared);
    // Read again: the whole file, at the new version.
    expect(parseSafetensors(await exportOf(name)).metadata.version).toBe("1");
  });
});

describe("a state larger than one RPC answer", () => {
  it("streams out and back in (Adam at the longest length its resident budget allows)", async () => {
    const length = 4_194_224;
    const config = { length, rule: "adam", hyper: { lr: 0.01 }, rate_limit: null, init: { kind: "normal", seed: SEED } };
    const source = await createShard(config);
    expect((await push(source, randoms(SEED, length))).status).toBe(200);
    const exported = await exportOf(source);
    expect(exported.byteLength).toBeGreaterThan(RPC_MAX_BYTES);
    const target = await createShard({ ...config, init: { kind: "zeros" } });
    const res = await importInto(target, exported);
    expect(res.status, await res.clone().text()).toBe(200);
    const again = await exportOf(target);
    expect(tensorsOf(parseSafetensors(again)).exp_avg_sq!.bytes.length).toBe(length * 4);
    const a = parseSafetensors(again);
    const b = parseSafetensors(exported);
    for (const name of ["weights", "exp_avg", "exp_avg_sq", "step"]) expect(Buffer.compare(a.data.subarray(a.tensors.get(name)!.begin, a.tensors.get(name)!.end), b.data.subarray(b.tensors.get(name)!.begin, b.tensors.get(name)!.end))).toBe(0);
  }, 120_000);
});

describe("a model's state, per tensor", () => {
  const adam = { rule: "adam", hyper: { lr: 0.01 }, rate_limit: null };
  const sgd = { rule: "sgd", hyper: { lr: 0.1, momentum: 0.9 }, rate_limit: null };
  const tensors = [
    { name: "layer.weight", shape: [10, 30] },
    { name: "layer.bias", shape: [10] },
    { name: "embed", shape: [5, 100] },
  ];
  // 256 floats per shard: layer.weight spans two shards, layer.bias has a shard (and a rule) of its own, embed two more.
  const manifest = { tensors, shard_size: 256, config: { ...adam, init: { kind: "normal", seed: SEED } }, overrides: [{ match: "*.bias", config: sgd }] };
  const gradientFile = (seed: number) =>
    encodeSafetensors(Object.fromEntries(tensors.map((t, j) => [t.name, { shape: t.shape, data: randoms(seed + j, t.shape.reduce((a, b) => a * b, 1)) }])));
  const createModel = async (name: string) => expect((await call(`/v1/models/${name}`, { method: "PUT", json: manifest })).status).toBe(201);
  const pushModel = async (name: string, seed: number) => {
    const res = await call(`/v1/models/${name}/gradients`, { method: "POST", body: gradientFile(seed), headers: { "content-type": "application/octet-stream" } });
    expect(res.status).toBe(200);
    return new Uint8Array(await res.arrayBuffer());
  };
  const modelState = async (name: string) => {
    const res = await call(`/v1/models/${name}/state`);
    expect(res.status).toBe(200);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(bytes.byteLength).toBe(Number(res.headers.get("content-length")));
    return bytes;
  };
  const putModelState = (name: string, body: Uint8Array, headers: Record<string, string> = {}) =>
    call(`/v1/models/${name}/state`, { method: "PUT", body, headers: { "content-type": "application/octet-stream", ...headers } });

  it("exports every tensor's weights, slots, step and scalars; a fresh model imports them and then steps alike", async () => {
    const source = `state-model-a-${SEED}`;
    const target = `state-model-b-${SEED}`;
    await createModel(source);
    await createModel(target);
    await pushModel(source, SEED);
    await pushModel(source, SEED + 10);
    const exported = await modelState(source);
    const file = parseSafetensors(exported);
    expect([...file.tensors.keys()].sort()).toEqual(
      ["embed", "embed#exp_avg", "embed#exp_avg_sq", "embed#step", "layer.bias", "layer.bias#momentum_buffer", "layer.bias#step", "layer.weight", "layer.weight#exp_avg", "layer.weight#exp_avg_sq", "layer.weight#step"].sort(),
    );
    expect(file.tensors.get("layer.weight#exp_avg")).toMatchObject({ dtype: "F32", shape: [10, 30] });
    expect(readTensor(file, "embed#step")[0]).toBe(2);
    // The same values as the shards' own files: layer.weight is the first 256 floats of shard 0 and 44 of shard 1.
    const shard0 = parseSafetensors(await exportOf(`${source}:0`));
    const shard1 = parseSafetensors(await exportOf(`${source}:1`));
    expect([...readTensor(file, "layer.weight#exp_avg_sq")]).toEqual([...readTensor(shard0, "exp_avg_sq"), ...readTensor(shard1, "exp_avg_sq")]);

    const res = await putModelState(target, exported, { "idempotency-key": "model-import" });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(tensorsOf(parseSafetensors(await modelState(target)))).toEqual(tensorsOf(file));
    const retry = await putModelState(target, exported, { "idempotency-key": "model-import" });
    expect(retry.status).toBe(200);
    expect(((await retry.json()) as { shards: { replayed: boolean }[] }).shards.every((s) => s.replayed)).toBe(true);
    // The answers' metadata name the shards' versions, which differ (an import is one version): compare the tensors.
    expect(tensorsOf(parseSafetensors(await pushModel(target, SEED + 20)))).toEqual(tensorsOf(parseSafetensors(await pushModel(source, SEED + 20))));

    const again = await putModelState(target, exported);
    expect(again.status).toBe(412);
  });

  it("refuses a file that lacks a tensor's slot, changing no shard", async () => {
    const name = `state-model-c-${SEED}`;
    await createModel(name);
    await pushModel(name, SEED);
    const before = await modelState(name);
    const etag = (await call(`/v1/models/${name}/weights`)).headers.get("etag")!;
    const res = await putModelState(name, edited(before, { "embed#exp_avg": null }), { "if-match": etag });
    expect(res.status).toBe(422);
    const problem = (await res.json()) as { type: string; detail: string };
    expect(problem.type).toBe("/problems/state-mismatch");
    expect(problem.detail).toMatch(/lacks 'embed#exp_avg'/);
    expect(await modelState(name)).toEqual(before);
    const ok = await putModelState(name, before, { "if-match": etag, "idempotency-key": "model-retry" });
    expect(ok.status, await ok.clone().text()).toBe(200);
    // A retry of it carries the ETag it had, now stale: answered as the first import, changing nothing.
    const after = await modelState(name);
    const retry = await putModelState(name, before, { "if-match": etag, "idempotency-key": "model-retry" });
    expect(retry.status, await retry.clone().text()).toBe(200);
    expect(((await retry.json()) as { shards: { replayed: boolean }[] }).shards.every((s) => s.replayed)).toBe(true);
    expect(await modelState(name)).toEqual(after);
    // A new import with that stale ETag is refused by every shard.
    expect((await putModelState(name, before, { "if-match": etag })).status).toBe(412);
  });
});
