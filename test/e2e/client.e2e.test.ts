/**
 * @shardstep/client against a real `wrangler dev`: shards and models created and read, pushes with
 * automatic Idempotency-Keys that apply once although their answers are lost or rate-limited,
 * progress of 4 MiB transfers, typed problems, safetensors through the model routes. Then the
 * package as `npm pack` makes it: imported by Node, type-checked by a NodeNext consumer, and run
 * in headless Chromium.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createShardstep,
  fromSafetensors,
  isShardstepProblem,
  ShardstepNetworkError,
  ShardstepProblem,
  toSafetensors,
  type Progress,
  type RetryEvent,
  type Shardstep,
} from "../../packages/client/src/index";
import { launchChromium } from "./support/chromium";
import { bitDifference } from "./support/replay";
import { adminToken, DevServer } from "./support/server";

const root = fileURLToPath(new URL("../../", import.meta.url));
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const MiB = 1024 * 1024;

let server: DevServer;
let token: string;
let api: Shardstep;
/** Every retry `api` made, with the test that caused it. */
const retries: RetryEvent[] = [];

beforeAll(async () => {
  server = await DevServer.start();
  token = await adminToken();
  api = createShardstep({ baseUrl: server.baseUrl, token, retry: { baseDelayMs: 50, onRetry: (e) => retries.push(e) } });
});

afterAll(async () => {
  await server?.dispose();
});

const sgd = (length: number) => ({ length, rule: "sgd" as const, hyper: { lr: 0.5 } });
const ramp = (n: number, scale = 1) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.1) * scale);

/**
 * A fetch that loses the answers of the first `lose` POSTs: the request reaches the server and is
 * carried out, then the client sees a failed connection instead of the answer. Records each POST's
 * Idempotency-Key.
 */
function losingFetch(lose: number) {
  const keys: (string | null)[] = [];
  let lost = 0;
  const lossy: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    const post = request.method === "POST";
    if (post) keys.push(request.headers.get("idempotency-key"));
    const response = await fetch(request);
    if (post && lost < lose) {
      lost += 1;
      await response.body?.cancel();
      throw new TypeError("fetch failed: the connection broke before the answer arrived");
    }
    return response;
  };
  return { fetch: lossy, keys };
}

/** The error `promise` rejects with. */
async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error("expected a failure");
}

describe("shards", () => {
  it("creates, lists, reads and deletes", async () => {
    expect((await api.health()).status).toBe("ok");
    expect((await api.rules()).rules.map((r) => r.name)).toContain("adam");
    expect((await api.createShard("c.life", sgd(8))).created).toBe(true);
    const again = await api.createShard("c.life", sgd(8));
    expect(again.created).toBe(false);
    expect(again.info).toMatchObject({ name: "c.life", version: 0 });
    expect((await api.listShards({ prefix: "c.life" })).map((s) => s.name)).toEqual(["c.life"]);
    expect((await api.getShard("c.life")).config.length).toBe(8);
    expect((await api.patchShard("c.life", { hyper: { lr: 0.25 } })).lr).toBe(0.25);
    expect(await api.history("c.life")).toMatchObject([{ version: 0, change: { hyper: { lr: 0.25 } } }]);
    expect(await api.reportMetric("c.life", 1.5, "eval")).toMatchObject({ lr: 0.25 });
    const summary = await api.pushGradientSummary("c.life", ramp(8));
    expect(summary).toMatchObject({ version: 1, applied: true });
    expect(await api.getStatus("c.life")).toMatchObject({ mode: "async", version: 1 });
    await api.deleteShard("c.life");
    expect(isShardstepProblem(await failure(api.getShard("c.life")), "not-found")).toBe(true);
  });
});

describe("pushes with automatic Idempotency-Keys", () => {
  it("retries a push whose answer was lost with the same key: it applies once", async () => {
    await api.createShard("c.lost", sgd(4));
    const lossy = losingFetch(1);
    const client = createShardstep({ baseUrl: server.baseUrl, token, fetch: lossy.fetch, retry: { baseDelayMs: 20 } });

    const first = await client.pushGradient("c.lost", Float32Array.of(1, 2, 3, 4));
    expect(lossy.keys).toHaveLength(2);
    expect(lossy.keys[0]).toMatch(UUID);
    expect(lossy.keys[1]).toBe(lossy.keys[0]);
    // The server applied the first attempt; the retry got its recorded outcome.
    expect(first).toMatchObject({ version: 1, weightsVersion: 1, replayed: true });
    expect(first.weights).toEqual(Float32Array.of(-0.5, -1, -1.5, -2));

    const second = await client.pushGradient("c.lost", Float32Array.of(1, 1, 1, 1));
    expect(second).toMatchObject({ version: 2, replayed: false });
    expect(lossy.keys).toHaveLength(3);
    expect(lossy.keys[2]).toMatch(UUID);
    expect(lossy.keys[2]).not.toBe(lossy.keys[0]);
    expect((await api.getShard("c.lost")).version).toBe(2);
  });

  it("without a key, does not retry a lost answer (the push may have been applied)", async () => {
    await api.createShard("c.nokey", sgd(2));
    const lossy = losingFetch(1);
    const client = createShardstep({ baseUrl: server.baseUrl, token, fetch: lossy.fetch, retry: { baseDelayMs: 20 } });
    const error = await failure(client.pushGradient("c.nokey", Float32Array.of(1, 1), { idempotencyKey: false }));
    expect(error).toBeInstanceOf(ShardstepNetworkError);
    expect(lossy.keys).toEqual([null]);
    expect((await api.getShard("c.nokey")).version).toBe(1);
  });

  // The rate limiter counts on the server's clock, so a test that needs a refusal must not depend
  // on how soon the machine sends the next push: refusals here come from pushes sent together (one
  // push per 5 s), or from a bucket that refills more slowly (one push per 10 min) than the test may
  // run (testTimeout is 3 min).
  it("waits out the rate limiter's 429s (Retry-After) and applies each push once", async () => {
    await api.createShard("c.limited", { ...sgd(2), rate_limit: { per_second: 0.2, burst: 1 } });
    const events: RetryEvent[] = [];
    const client = createShardstep({ baseUrl: server.baseUrl, token, retry: { onRetry: (e) => events.push(e) } });
    const started = performance.now();
    // Three at once: one applies, the two that arrive with it are refused and wait, then one of them
    // applies and the other waits again.
    const pushed = await Promise.all([0, 1, 2].map(() => client.pushGradient("c.limited", Float32Array.of(1, -1), { clientId: "one" })));
    const elapsed = performance.now() - started;
    expect(pushed.map((p) => p.version).sort()).toEqual([1, 2, 3]);
    expect(pushed.every((p) => !p.replayed)).toBe(true);
    expect(events.length).toBeGreaterThanOrEqual(2);
    for (const event of events) {
      expect(isShardstepProblem(event.error, "rate-limited")).toBe(true);
      // The client waits what the server asked for (Retry-After, whole seconds; 5 s for a whole token).
      const asked = (event.error as ShardstepProblem).retryAfterMs!;
      expect(event.delayMs).toBe(asked);
      expect(asked).toBeGreaterThan(0);
      expect(asked).toBeLessThanOrEqual(5_000);
    }
    expect(elapsed).toBeGreaterThanOrEqual(Math.max(...events.map((e) => e.delayMs)) - 5);
    expect((await api.getShard("c.limited")).version).toBe(3);
  });

  it("hands back a 429 it will not wait out, and an abort ends a wait for Retry-After at once", async () => {
    // After the first push, every push of this test is refused, however slowly the test runs.
    await api.createShard("c.throttled", { ...sgd(2), rate_limit: { per_second: 1 / 600, burst: 1 } });
    const push = (client: Shardstep, options: Parameters<Shardstep["pushGradient"]>[2] = {}) =>
      client.pushGradient("c.throttled", Float32Array.of(1, -1), { clientId: "one", ...options });
    const events: RetryEvent[] = [];
    const client = createShardstep({ baseUrl: server.baseUrl, token, retry: { onRetry: (e) => events.push(e) } });
    expect((await push(client)).version).toBe(1);

    // Without retries the 429 comes back as it is. Retry-After is the time to a whole token: 600 s
    // less what has refilled since, which the test's 3 minutes keep above 420 s.
    const refused = await failure(push(client, { retry: false }));
    expect(refused).toBeInstanceOf(ShardstepProblem);
    expect(refused).toMatchObject({ status: 429, slug: "rate-limited" });
    const { retryAfterMs, extensions } = refused as ShardstepProblem;
    expect(retryAfterMs).toBe(1_000 * (extensions.retry_after as number));
    expect(retryAfterMs).toBeGreaterThan(420_000);
    expect(retryAfterMs).toBeLessThanOrEqual(600_000);

    // A Retry-After beyond the client's maxDelayMs (10 s by default) ends its retries at once.
    expect(await failure(push(client))).toMatchObject({ status: 429, slug: "rate-limited" });
    expect(events).toEqual([]);

    // A client that would wait that long: aborted while it waits, it stops waiting at once.
    const controller = new AbortController();
    let abortedAt = 0;
    const patient = createShardstep({
      baseUrl: server.baseUrl,
      token,
      retry: {
        maxDelayMs: 3_600_000,
        onRetry: (e) => {
          events.push(e);
          abortedAt = performance.now();
          controller.abort();
        },
      },
    });
    const aborted = await failure(push(patient, { signal: controller.signal }));
    expect(aborted).toMatchObject({ name: "AbortError" });
    expect(events).toHaveLength(1);
    expect(events[0]!.delayMs).toBeGreaterThan(420_000);
    // It would have waited over 7 minutes.
    expect(performance.now() - abortedAt).toBeLessThan(60_000);
    expect((await api.getShard("c.throttled")).version).toBe(1);
  });
});

describe("rounds", () => {
  const config = { rule: "sgd" as const, hyper: { lr: 1 }, aggregation: { mode: "rounds" as const, quorum: 2, deadline_ms: 60_000, reducer: "mean" as const, input: "gradient" as const } };

  it("a shard's round: the first push waits in it, the second closes it", async () => {
    await api.createShard("c.rounds", { ...config, length: 2 });
    const first = await api.pushToRound("c.rounds", Float32Array.of(1, 2), { clientId: "a", baseVersion: 0 });
    expect(first).toMatchObject({ closed: false, round: 1, receipt: { number: 1, contributors: 1, quorum: 2 } });
    const second = await api.pushToRound("c.rounds", Float32Array.of(3, 4), { clientId: "b", baseVersion: 0 });
    expect(second).toMatchObject({ closed: true, round: 1, version: 1 });
    expect(second.closed && second.weights).toEqual(Float32Array.of(-2, -3));
    // pushGradient counts in the open round too: the receipt is its answer, not an error (and not weights).
    const counted = await api.pushGradient("c.rounds", Float32Array.of(1, 1), { clientId: "a", baseVersion: 1 });
    expect(counted).toMatchObject({ version: 1, receipt: { number: 2, closed: false, contributors: 1, quorum: 2 } });
    expect(counted.weights).toHaveLength(0);
    expect((await api.getStatus("c.rounds")).round).toMatchObject({ number: 2, contributors: 1 });
  });

  it("a model's rounds: the same, with safetensors", async () => {
    await api.createModel("c.fed", { tensors: [{ name: "w", shape: [2] }], config });
    const first = await api.pushModelToRound("c.fed", { w: Float32Array.of(1, 2) }, { clientId: "a", baseVersion: 0 });
    expect(first.closed).toBe(false);
    expect(!first.closed && first.summary.shards).toHaveLength(1);
    const second = await api.pushModelToRound("c.fed", { w: Float32Array.of(3, 4) }, { clientId: "b", baseVersion: 0 });
    expect(second.closed && second.tensors.w).toEqual(Float32Array.of(-2, -3));
    const counted = await api.pushModelGradients("c.fed", { w: Float32Array.of(1, 1) }, { clientId: "a", baseVersion: 1 });
    expect(counted.receipts?.shards).toMatchObject([{ round: { number: 2, closed: false, contributors: 1 } }]);
    expect(counted.tensors).toEqual({});
  });
});

// A failed connection is retried by the client (reads and keyed pushes), so a test that counts
// attempts counts only the ones its subject causes. The wrangler dev server closes a connection after
// 15 s idle; fetch closes its own after 4 s, but only when its timers run: a test that blocked the
// event loop for seconds (toEqual on 2^20 floats takes 6 s on a loaded 2-core machine) made fetch
// reuse a connection the server had closed (EPIPE, "other side closed"), and the next call retried.
describe("progress of large transfers", () => {
  const N = 2 ** 20;
  const values = ramp(N);

  it("uploads 2^20 floats in 1 MiB chunks and downloads them as they stream", async () => {
    await api.createShard("c.big", sgd(N));
    const up: Progress[] = [];
    const stamp = await api.uploadWeights("c.big", values, { onProgress: (p) => up.push({ ...p }) });
    expect(up).toEqual([0, 1, 2, 3, 4].map((m) => ({ phase: "upload", loaded: m * MiB, total: 4 * MiB })));
    expect(stamp).toMatchObject({ version: 0, revision: 4 });

    const down: Progress[] = [];
    const read = await api.getWeights("c.big", { onProgress: (p) => down.push({ ...p }) });
    expect(bitDifference(read.values, values)).toBeUndefined();
    expect(down.length).toBeGreaterThan(2);
    expect(down.every((p) => p.phase === "download" && p.total === 4 * MiB)).toBe(true);
    expect(down.map((p) => p.loaded)).toEqual([...down.map((p) => p.loaded)].sort((a, b) => a - b));
    expect(down.at(-1)!.loaded).toBe(4 * MiB);
  });

  it("reports a push's upload at its ends and its answer as it arrives", async () => {
    const events: Progress[] = [];
    const before = retries.length;
    const pushed = await api.pushGradient("c.big", ramp(N, 0.01), { onProgress: (p) => events.push({ ...p }) });
    expect(pushed.version).toBe(1);
    // Every attempt reports its upload from 0; the one that succeeded, in full.
    const starts = events.flatMap((p, i) => (p.phase === "upload" && p.loaded === 0 ? [i] : []));
    expect(starts).toHaveLength(1 + retries.length - before);
    const last = events.slice(starts.at(-1));
    expect(last.slice(0, 2)).toEqual([
      { phase: "upload", loaded: 0, total: 4 * MiB },
      { phase: "upload", loaded: 4 * MiB, total: 4 * MiB },
    ]);
    expect(last.slice(2).every((p) => p.phase === "download")).toBe(true);
    expect(last.at(-1)!.loaded).toBe(4 * MiB);
  });

  it("chains If-Match through the chunks once training has started", async () => {
    const current = await api.getWeights("c.big", { length: 1 });
    const stamp = await api.uploadWeights("c.big", values, { ifMatch: current.etag, chunkFloats: N / 2 });
    expect(stamp.revision).toBe(current.revision + 2);
    const stale = await failure(api.uploadWeights("c.big", values, { ifMatch: current.etag }));
    expect(stale).toMatchObject({ status: 412, slug: "precondition-failed" });
    expect(bitDifference((await api.getWeights("c.big")).values, values)).toBeUndefined();
  });
});

describe("typed problems", () => {
  it("404 and 422 are ShardstepProblems with their members, and are not retried", async () => {
    const before = retries.length;
    const missing = await failure(api.getShard("c.nowhere"));
    expect(missing).toBeInstanceOf(ShardstepProblem);
    expect(missing).toMatchObject({ status: 404, type: "/problems/not-found", slug: "not-found" });

    await api.createShard("c.len", sgd(4));
    const wrong = await failure(api.pushGradient("c.len", Float32Array.of(1, 2, 3)));
    expect(isShardstepProblem(wrong, "wrong-length")).toBe(true);
    expect(wrong).toMatchObject({ status: 422, title: "Wrong Length", extensions: { expected: 4, received: 3 } });
    expect((wrong as ShardstepProblem).detail).toMatch(/the shard has 4 floats/);
    // Neither answer was retried (a retry after a failed connection is not one of them).
    expect(retries.slice(before).filter((e) => e.error instanceof ShardstepProblem && [404, 422].includes(e.error.status))).toEqual([]);
    expect((await api.getShard("c.len")).version).toBe(0);
  });

  it("a long poll that sees no change answers null", async () => {
    const { etag } = await api.getWeights("c.len");
    expect(await api.waitForWeights("c.len", etag, 1)).toBeNull();
    const poll = api.waitForWeights("c.len", etag, 20);
    await api.pushGradient("c.len", Float32Array.of(1, 1, 1, 1));
    expect((await poll)?.version).toBe(1);
  });
});

describe("models", () => {
  const manifest = {
    tensors: [
      { name: "fc.weight", shape: [3, 4] },
      { name: "fc.bias", shape: [3] },
    ],
    shard_size: 8,
    config: { rule: "sgd" as const, hyper: { lr: 0.5 }, averages: { ema: { kind: "ema" as const, decay: 0.5 } } },
    overrides: [{ match: "*.bias", config: { rule: "sgd" as const, hyper: { lr: 0.25 }, averages: { ema: { kind: "ema" as const, decay: 0.5 } } } }],
  };
  const gradients = { "fc.weight": { data: ramp(12), shape: [3, 4] }, "fc.bias": { data: Float32Array.of(1, 2, 4), shape: [3] } };

  it("creates a model laid out on shards, finds it again, refuses another manifest", async () => {
    const { created, info } = await api.createModel("c.mlp", manifest);
    expect(created).toBe(true);
    expect(info.shards.map((s) => s.length)).toEqual([8, 4, 3]);
    expect(info.tensors.find((t) => t.name === "fc.weight")!.pieces).toHaveLength(2);
    expect((await api.createModel("c.mlp", manifest)).created).toBe(false);
    const conflict = await failure(api.createModel("c.mlp", { ...manifest, shard_size: 16 }));
    expect(conflict).toMatchObject({ status: 409 });
    expect((await api.listModels({ prefix: "c.ml" })).map((m) => m.name)).toEqual(["c.mlp"]);
  });

  it("pushes Float32Arrays and gets the updated model back as safetensors, once although the answer was lost", async () => {
    const lossy = losingFetch(1);
    const client = createShardstep({ baseUrl: server.baseUrl, token, fetch: lossy.fetch, retry: { baseDelayMs: 20 } });
    const updated = await client.pushModelGradients("c.mlp", gradients);
    expect(lossy.keys).toHaveLength(2);
    expect(lossy.keys[1]).toBe(lossy.keys[0]);
    expect(updated.shapes).toEqual({ "fc.weight": [3, 4], "fc.bias": [3] });
    expect(updated.tensors["fc.weight"]).toEqual(gradients["fc.weight"].data.map((g) => 0 - 0.5 * g));
    expect(updated.tensors["fc.bias"]).toEqual(Float32Array.of(-0.25, -0.5, -1));
    expect(updated.version).toBe(1);
    expect(Object.values(updated.versions)).toEqual([1, 1, 1]);
    expect(fromSafetensors(updated.bytes).tensors).toEqual(updated.tensors);

    const info = await api.getModel("c.mlp");
    expect(info.shards.map((s) => s.version)).toEqual([1, 1, 1]);
    const events: Progress[] = [];
    const weights = await api.getModelWeights("c.mlp", { onProgress: (p) => events.push({ ...p }) });
    expect(weights.tensors).toEqual(updated.tensors);
    // Streamed by the server without a Content-Length.
    expect(events.at(-1)).toEqual({ phase: "download", loaded: weights.bytes.length, total: undefined });
    expect(weights.etag).toBe(updated.etag);
  });

  it("pushes raw safetensors bytes, and reads an average", async () => {
    const second = await api.pushModelGradients("c.mlp", toSafetensors(gradients));
    expect(second.version).toBe(2);
    expect(second.tensors["fc.bias"]).toEqual(Float32Array.of(-0.5, -1, -2));

    // The model's average is its shards' averages, tensor by tensor.
    const ema = await api.getModelAverage("c.mlp", "ema");
    expect(ema.shapes).toEqual(second.shapes);
    const { pieces } = (await api.getModel("c.mlp")).tensors.find((t) => t.name === "fc.bias")!;
    expect(pieces).toHaveLength(1);
    const shardEma = await api.getAverage(pieces[0]!.shard, "ema", { offset: pieces[0]!.shard_offset, length: 3 });
    expect(ema.tensors["fc.bias"]).toEqual(shardEma.values);
    expect(ema.tensors["fc.bias"]).not.toEqual(second.tensors["fc.bias"]);

    const incomplete = await failure(api.pushModelGradients("c.mlp", { "fc.weight": gradients["fc.weight"] }));
    expect(incomplete).toBeInstanceOf(ShardstepProblem);
    expect((incomplete as ShardstepProblem).status).toBeLessThan(500);
    expect((await api.getModel("c.mlp")).shards.map((s) => s.version)).toEqual([2, 2, 2]);
  });

  it("deletes the model", async () => {
    await api.deleteModel("c.mlp");
    expect(isShardstepProblem(await failure(api.getModel("c.mlp")), "not-found")).toBe(true);
  });
});

describe("the package as npm pack makes it", () => {
  let dir: string;
  let pkg: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "shardstep-client-pack-"));
    // What prepack runs (generate, esbuild, tsc declarations), then the pack itself.
    const cwd = join(root, "packages/client");
    execFileSync("npm", ["run", "--silent", "build"], { cwd, stdio: "ignore" });
    const packed = JSON.parse(execFileSync("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", dir], { cwd, encoding: "utf8" })) as { filename: string; files: { path: string }[] }[];
    const files = packed[0]!.files.map((f) => f.path);
    expect(files).toContain("dist/index.js");
    expect(files).toContain("dist/index.d.ts");
    expect(files).toContain("README.md");
    expect(files.filter((f) => f.startsWith("src/") || f.startsWith("scripts/"))).toEqual([]);
    pkg = join(dir, "node_modules/@shardstep/client");
    mkdirSync(pkg, { recursive: true });
    execFileSync("tar", ["-xzf", join(dir, packed[0]!.filename), "-C", pkg, "--strip-components=1"]);
  }, 120_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("imports in Node by its name and talks to the server", async () => {
    writeFileSync(
      join(dir, "use.mjs"),
      `import { createShardstep, fromSafetensors, toSafetensors, isShardstepProblem } from "@shardstep/client";
const api = createShardstep({ baseUrl: process.env.BASE_URL, token: process.env.TOKEN });
await api.createShard("c.packed", { length: 3, rule: "sgd", hyper: { lr: 1 } });
const pushed = await api.pushGradient("c.packed", Float32Array.of(1, 2, 3));
const missing = await api.getShard("c.absent").catch((e) => e);
const round = fromSafetensors(toSafetensors({ x: { data: Float32Array.of(7, 8), shape: [1, 2] } }));
console.log(JSON.stringify({ version: pushed.version, weights: [...pushed.weights], missing: isShardstepProblem(missing, "not-found"), shape: round.shapes.x }));
`,
    );
    const out = execFileSync(process.execPath, [join(dir, "use.mjs")], { cwd: dir, env: { ...process.env, BASE_URL: server.baseUrl, TOKEN: token }, encoding: "utf8" });
    expect(JSON.parse(out)).toEqual({ version: 1, weights: [-1, -2, -3], missing: true, shape: [1, 2] });
  });

  it("type-checks for a consumer with NodeNext resolution and strict library checks", () => {
    writeFileSync(
      join(dir, "use.ts"),
      `import { createShardstep, isShardstepProblem, type PushResult, type ShardConfigInput } from "@shardstep/client";
const api = createShardstep({ baseUrl: "http://127.0.0.1:8787", retry: { attempts: 3 } });
const config: ShardConfigInput = { length: 4, rule: "adam", hyper: { lr: 0.001 } };
export async function step(gradient: Float32Array): Promise<number> {
  await api.createShard("x", config);
  const result: PushResult = await api.pushGradient("x", gradient, { onProgress: (p) => void p.loaded });
  try {
    await api.getModelWeights("m");
  } catch (e) {
    if (isShardstepProblem(e, "not-found")) return e.status;
  }
  return result.version;
}
// @ts-expect-error: the package checks its options
createShardstep({ baseUrl: 1 });
`,
    );
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", lib: ["ES2023", "DOM"], types: [], strict: true, noEmit: true, skipLibCheck: false }, files: ["use.ts"] }),
    );
    execFileSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", dir], { cwd: dir, encoding: "utf8" });
  });

  it("runs in headless Chromium", async () => {
    const files: Record<string, { type: string; body: string }> = {
      "index.js": { type: "text/javascript", body: readFileSync(join(pkg, "dist/index.js"), "utf8") },
      "index.html": { type: "text/html", body: `<!doctype html><body data-token="${token}"><script type="module" src="run.js"></script>` },
      // What the page does: a module of its own, so the test's transform never touches it.
      "run.js": {
        type: "text/javascript",
        body: `import { createShardstep, isShardstepProblem } from "./index.js";
try {
  const api = createShardstep({ baseUrl: location.origin, token: document.body.dataset.token });
  await api.createShard("c.browser", { length: 65536, rule: "sgd", hyper: { lr: 1 } });
  const progress = [];
  const pushed = await api.pushGradient("c.browser", new Float32Array(65536).fill(2), { onProgress: (p) => progress.push(p.loaded) });
  const missing = await api.getShard("c.gone").catch((e) => e);
  window.result = { version: pushed.version, first: pushed.weights[0], last: pushed.weights[65535], loaded: progress.at(-1), problem: isShardstepProblem(missing, "not-found"), name: missing.name };
} catch (e) {
  window.result = { error: String(e && e.stack || e) };
}`,
      },
    };
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      // The page and the bundle come from the test; the API calls go to the server, same origin.
      await page.route(`${server.baseUrl}/__client/**`, (route) => {
        const file = files[new URL(route.request().url()).pathname.slice("/__client/".length)];
        return file ? route.fulfill({ contentType: file.type, body: file.body }) : route.fulfill({ status: 404, body: "" });
      });
      await page.goto(`${server.baseUrl}/__client/index.html`);
      await page.waitForFunction("window.result !== undefined", undefined, { timeout: 30_000 });
      expect(await page.evaluate("window.result")).toEqual({ version: 1, first: -2, last: -2, loaded: 65536 * 4, problem: true, name: "ShardstepProblem" });
    } finally {
      await browser.close();
    }
  });
});
