/**
 * Inputs an attacker sent (issue 12, items 1-3): a glob that backtracked for minutes, a schedule
 * nested deep enough to overflow the validator's stack, initial weights that cannot be float32.
 * Each is refused promptly, as a problem, and changes nothing.
 */
import { describe, expect, it } from "vitest";
import { MAX_JSON_DEPTH, MAX_SCHEDULE_DEPTH } from "../../src/limits";
import { call, createShard, uniqueName } from "./support/api";
import { storedState } from "./support/snapshot";

async function problemOf(res: Response): Promise<{ type: string; status: number; detail: string }> {
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  return res.json();
}

/** A `sequence` schedule `levels` deep: the 850 levels are 45 KB of JSON. */
function nestedSchedule(levels: number): Record<string, unknown> {
  let s: Record<string, unknown> = { type: "constant" };
  for (let i = 1; i < levels; i++) s = { type: "sequence", schedules: [s], milestones: [] };
  return s;
}

describe("a glob that backtracked (item 1)", () => {
  it("PUT /v1/models/x with a 200-character name and the override `******b` answers at once", async () => {
    const manifest = {
      tensors: [{ name: "a".repeat(200), shape: [2] }],
      shard_size: 8,
      config: { rule: "sgd", hyper: { lr: 0.1 } },
      overrides: [{ match: "******b", config: { rule: "adam" } }],
    };
    const started = Date.now();
    const res = await call(`/v1/models/${uniqueName("glob")}`, { method: "PUT", json: manifest });
    expect(Date.now() - started, "a glob matched in microseconds, within a generous 2 s").toBeLessThan(2000);
    expect(res.status, await res.clone().text()).toBe(201);
    expect(((await res.json()) as { tensors: { config: number }[] }).tensors[0]!.config).toBe(0);
    expect((await call("/health")).status).toBe(200);
  });

  it("refuses a pattern beyond the bound as invalid-manifest, saying the bound", async () => {
    const manifest = {
      tensors: [{ name: "w", shape: [2] }],
      config: { rule: "sgd" },
      overrides: [{ match: "*".repeat(17) + "b", config: { rule: "adam" } }],
    };
    const res = await call(`/v1/models/${uniqueName("glob")}`, { method: "PUT", json: manifest });
    expect(res.status).toBe(400);
    const problem = await problemOf(res);
    expect(problem.type).toBe("/problems/invalid-manifest");
    expect(problem.detail).toMatch(/overrides\[0\]\.match has 17 wildcards; at most 16/);
  });
});

describe("deep JSON (item 2)", () => {
  const base = { length: 4, rule: "sgd", hyper: { lr: 0.1 } };

  it("PUT of a shard with the issue's 850-level sequence: 400, not 500, and no shard", async () => {
    const name = uniqueName("deep");
    const res = await call(`/v1/shards/${name}`, { method: "PUT", json: { ...base, schedule: nestedSchedule(850) } });
    expect(res.status).toBe(400);
    expect((await problemOf(res)).detail).toMatch(new RegExp(`nests deeper than ${MAX_JSON_DEPTH} levels`));
    expect((await call(`/v1/shards/${name}`)).status).toBe(404);
  });

  it("PATCH of a shard with it: 400, and the shard unchanged", async () => {
    const name = await createShard(base);
    const before = await storedState(name);
    const res = await call(`/v1/shards/${name}`, { method: "PATCH", json: { schedule: nestedSchedule(850) } });
    expect(res.status).toBe(400);
    expect((await problemOf(res)).detail).toMatch(/JSON body nests deeper than/);
    expect(await storedState(name)).toBe(before);
  });

  it("a sequence deeper than the schedule bound but within the JSON bound: invalid-request naming the bound", async () => {
    const name = await createShard(base);
    const before = await storedState(name);
    for (const method of ["PUT", "PATCH"] as const) {
      const body = method === "PUT" ? { ...base, schedule: nestedSchedule(MAX_SCHEDULE_DEPTH + 1) } : { schedule: nestedSchedule(MAX_SCHEDULE_DEPTH + 1) };
      const res = await call(`/v1/shards/${name}${method === "PUT" ? "?replace=true" : ""}`, { method, json: body });
      expect(res.status, method).toBe(400);
      expect((await problemOf(res)).detail).toMatch(new RegExp(`at most ${MAX_SCHEDULE_DEPTH} levels`));
    }
    expect(await storedState(name)).toBe(before);
    const deepest = await call(`/v1/shards/${name}`, { method: "PATCH", json: { schedule: nestedSchedule(MAX_SCHEDULE_DEPTH) } });
    expect(deepest.status, await deepest.clone().text()).toBe(200);
  });

  it.each([
    ["PUT a model", "PUT", (m: string) => `/v1/models/${m}`],
    ["POST a metric", "POST", (s: string) => `/v1/shards/${s}/metrics`],
    ["POST a gradient as JSON", "POST", (s: string) => `/v1/shards/${s}/gradients`],
    ["POST a checkpoint", "POST", (s: string) => `/v1/shards/${s}/checkpoints`],
  ])("%s nested 100,000 levels: 400 saying the depth limit", async (_what, method, path) => {
    const name = await createShard(base);
    const before = await storedState(name);
    const body = "[".repeat(100_000) + "]".repeat(100_000);
    const res = await call(path(name), { method, body, headers: { "content-type": "application/json" } });
    expect(res.status).toBe(400);
    expect((await problemOf(res)).detail).toMatch(new RegExp(`nests deeper than ${MAX_JSON_DEPTH} levels`));
    expect(await storedState(name)).toBe(before);
  });
});

describe("initial weights that cannot be float32 (item 3)", () => {
  it.each([
    ["normal, mean 1e39", { kind: "normal", mean: 1e39 }],
    ["normal, std 1e300", { kind: "normal", std: 1e300 }],
    ["normal, mean and std together past the largest float32", { kind: "normal", mean: 3e38, std: 1e37 }],
    ["uniform, low -1e39", { kind: "uniform", low: -1e39, high: 0 }],
    ["uniform, high 1e39", { kind: "uniform", low: 0, high: 1e39 }],
  ])("%s: 400, no shard", async (_what, init) => {
    const name = uniqueName("init");
    const res = await call(`/v1/shards/${name}`, { method: "PUT", json: { length: 4, rule: "sgd", init } });
    expect(res.status).toBe(400);
    expect((await problemOf(res)).detail).toMatch(/3\.4028234663852886e\+38/);
    expect((await call(`/v1/shards/${name}`)).status).toBe(404);
  });

  it("refuses it in a model's configuration too", async () => {
    const manifest = { tensors: [{ name: "w", shape: [2] }], config: { rule: "sgd", init: { kind: "normal", mean: 1e39 } } };
    const res = await call(`/v1/models/${uniqueName("init")}`, { method: "PUT", json: manifest });
    expect(res.status).toBe(400);
    expect((await problemOf(res)).detail).toMatch(/3\.4028234663852886e\+38/);
  });

  it("accepts the widest init that stays finite, and its weights read back as numbers", async () => {
    const name = await createShard({ length: 64, rule: "sgd", init: { kind: "uniform", low: -3.4e38, high: 3.4e38, seed: 7 } });
    const res = await call(`/v1/shards/${name}/weights`, { headers: { accept: "application/json" } });
    const { values } = (await res.json()) as { values: (number | null)[] };
    expect(values.every((v) => typeof v === "number" && Number.isFinite(v))).toBe(true);
  });
});
