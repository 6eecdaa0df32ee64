import { describe, expect, it } from "vitest";
import { MAX_BODY_BYTES, MAX_PAGE_FLOATS } from "../../src/limits";
import { call, createShard, floatsOf, push, uniqueName } from "./support/api";
import { storedState } from "./support/snapshot";

const config = { length: 8, rule: "adam", hyper: { lr: 0.01 }, averages: { ema: { kind: "ema", decay: 0.9 } } };

describe("PUT /v1/shards/{shard}", () => {
  it("creates with every default filled in, and a re-PUT of the same config is a no-op", async () => {
    const name = uniqueName();
    const created = await call(`/v1/shards/${name}`, { method: "PUT", json: config });
    expect(created.status).toBe(201);
    const info = (await created.json()) as { config: Record<string, unknown>; version: number; lr: number };
    expect(info.version).toBe(0);
    expect(info.lr).toBe(0.01);
    expect(info.config).toMatchObject({
      length: 8,
      rule: "adam",
      hyper: { lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0, amsgrad: false, maximize: false, eps_root: 0 },
      schedule: { type: "constant", factor: 1, total_iters: 0 },
      init: { kind: "zeros" },
      non_finite: "reject",
      clipping: null,
      staleness: null,
      page_floats: MAX_PAGE_FLOATS,
    });
    const before = await storedState(name);
    const again = await call(`/v1/shards/${name}`, { method: "PUT", json: config });
    expect(again.status).toBe(200);
    expect(await storedState(name)).toBe(before);
  });

  it("refuses a different config with 409 unless asked to replace", async () => {
    const name = await createShard(config);
    await push(name, Array(8).fill(1));
    const before = await storedState(name);
    const other = { ...config, hyper: { lr: 0.02 } };
    const conflict = await call(`/v1/shards/${name}`, { method: "PUT", json: other });
    expect(conflict.status).toBe(409);
    expect(await conflict.json()).toMatchObject({ type: "/problems/config-conflict", version: 1 });
    expect(await storedState(name)).toBe(before);
    const replaced = await call(`/v1/shards/${name}?replace=true`, { method: "PUT", json: other });
    expect(replaced.status).toBe(201);
    expect(await replaced.json()).toMatchObject({ version: 0, lr: 0.02 });
  });

  it("starts from seeded initial weights, the same for the same seed", async () => {
    const init = { kind: "normal", mean: 0, std: 0.1, seed: 42 };
    const a = await createShard({ ...config, init });
    const b = await createShard({ ...config, init });
    const wa = await floatsOf(await call(`/v1/shards/${a}/weights`));
    const wb = await floatsOf(await call(`/v1/shards/${b}/weights`));
    expect(Array.from(wa)).toEqual(Array.from(wb));
    expect(wa.some((x) => x !== 0)).toBe(true);
    const avg = await floatsOf(await call(`/v1/shards/${a}/averages/ema`));
    expect(Array.from(avg)).toEqual(Array.from(wa));
  });

  it.each([
    ["an unknown rule", { length: 4, rule: "adamz" }, 400, /rule/],
    ["an unknown hyperparameter", { length: 4, rule: "adam", hyper: { learning_rate: 1 } }, 400, /hyper: Unrecognized key: "learning_rate"/],
    ["a negative lr", { length: 4, rule: "sgd", hyper: { lr: -1 } }, 400, /hyper.lr: Too small: expected number to be >=0/],
    ["betas out of range", { length: 4, rule: "adam", hyper: { betas: [0.9, 1] } }, 400, /hyper.betas.1: Too big: expected number to be <1/],
    ["nesterov without momentum", { length: 4, rule: "sgd", hyper: { nesterov: true } }, 400, /nesterov momentum requires momentum > 0/],
    ["a zero length", { length: 0, rule: "sgd" }, 400, /length: Too small/],
    ["an unknown schedule", { length: 4, rule: "sgd", schedule: { type: "warp" } }, 400, /schedule/],
    ["a bad schedule parameter", { length: 4, rule: "sgd", schedule: { type: "step", step_size: 0 } }, 400, /step_size/],
    ["an unknown field", { length: 4, rule: "sgd", colour: "blue" }, 400, /Unrecognized key: "colour"/],
    ["more than fits the memory budget", { length: 4_000_000, rule: "adam", hyper: { amsgrad: true } }, 413, /bytes resident; the budget is 67108864 \(at most \d+ floats for this configuration\)/],
  ])("refuses %s with a precise problem", async (_what, body, status, detail) => {
    const name = uniqueName();
    const res = await call(`/v1/shards/${name}`, { method: "PUT", json: body });
    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(((await res.json()) as { detail: string }).detail).toMatch(detail);
    expect((await call(`/v1/shards/${name}`)).status).toBe(404);
  });

  it("refuses a body that is not JSON, or too large", async () => {
    const name = uniqueName();
    expect((await call(`/v1/shards/${name}`, { method: "PUT", body: "length=4", headers: { "content-type": "text/plain" } })).status).toBe(415);
    const huge = await call(`/v1/shards/${name}`, { method: "PUT", body: " ".repeat(3 * 1024 * 1024), headers: { "content-type": "application/json" } });
    expect(huge.status).toBe(413);
    expect(await huge.json()).toMatchObject({ type: "/problems/body-too-large" });
  });
});

describe("GET, PATCH, DELETE /v1/shards/{shard}", () => {
  it("reports the version, the next learning rate and the averages' counts", async () => {
    const name = await createShard({ ...config, schedule: { type: "exponential", gamma: 0.5 } });
    await push(name, Array(8).fill(1));
    const info = await (await call(`/v1/shards/${name}`)).json();
    expect(info).toMatchObject({ name, version: 1, revision: 1, lr: 0.005, averages: { ema: { kind: "ema", decay: 0.9, count: 1 } } });
  });

  it("changes lr and the schedule live, recording the version they took effect at", async () => {
    const name = await createShard({ length: 1, rule: "sgd", hyper: { lr: 1 } });
    await push(name, [1]);
    const patched = await call(`/v1/shards/${name}`, { method: "PATCH", json: { hyper: { lr: 0.5 } } });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({ lr: 0.5, version: 1 });
    expect(Number((await push(name, [1])).headers.get("x-learning-rate"))).toBe(0.5);
    await call(`/v1/shards/${name}`, { method: "PATCH", json: { schedule: { type: "step", step_size: 1, gamma: 0.1 } } });
    const lrs = [];
    for (let k = 0; k < 2; k++) lrs.push(Number((await push(name, [1])).headers.get("x-learning-rate")));
    expect(lrs[0]).toBe(0.5);
    expect(lrs[1]).toBeCloseTo(0.05, 12);
    const history = (await (await call(`/v1/shards/${name}/history`)).json()) as { version: number }[];
    expect(history.map((h) => h.version)).toEqual([1, 2]);
    // A re-PUT of the configuration the shard was created with is still a no-op.
    expect((await call(`/v1/shards/${name}`, { method: "PUT", json: { length: 1, rule: "sgd", hyper: { lr: 1 } } })).status).toBe(200);
  });

  it("refuses a patch that would add optimizer state, changing nothing", async () => {
    const name = await createShard({ length: 2, rule: "sgd", hyper: { lr: 1 } });
    const before = await storedState(name);
    const res = await call(`/v1/shards/${name}`, { method: "PATCH", json: { hyper: { momentum: 0.9 } } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ type: "/problems/invalid-config" });
    expect(await storedState(name)).toBe(before);
  });

  it("deletes a shard and everything in it", async () => {
    const name = await createShard(config);
    expect((await call(`/v1/shards/${name}`, { method: "DELETE" })).status).toBe(204);
    expect((await call(`/v1/shards/${name}`)).status).toBe(404);
    expect((await call(`/v1/shards/${name}/weights`)).status).toBe(404);
    expect(await storedState(name)).toBe("");
    expect((await call(`/v1/shards/${name}`, { method: "DELETE" })).status).toBe(404);
  });

  it("refuses names that are not names", async () => {
    const res = await call(`/v1/shards/${encodeURIComponent("a b")}`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ type: "/problems/invalid-request" });
  });
});

describe("production limits, asserted in our own code", () => {
  it("refuses a gradient body over the limit before reading it", async () => {
    const name = await createShard({ length: 4, rule: "sgd" });
    const res = await call(`/v1/shards/${name}/gradients`, {
      method: "POST",
      body: new Uint8Array(MAX_BODY_BYTES + 4),
      headers: { "content-type": "application/octet-stream" },
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ type: "/problems/body-too-large", limit: MAX_BODY_BYTES });
  });
});
