import { evictAllDurableObjects } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import type { GoldenCase } from "../support/lbfgs-golden";
import { workerFetch } from "./support/contract";
import { createShardstep } from "../../packages/client/src/index";
import { BASE, call, createShard, floatsOf, push, token, uniqueName } from "./support/api";
import { storedState } from "./support/snapshot";

/**
 * L-BFGS over HTTP: each of torch.optim.LBFGS's closure calls (test/golden/lbfgs.json) is one push
 * carrying torch's recorded loss and gradient, made only once the shard asks for torch's recorded
 * point bit for bit; the weights after every move, the outcomes and the evaluation counts are torch's.
 */
const cases = inject("lbfgsCases");
const bitsOf = (v: ArrayLike<number>) => Array.from(new Uint32Array(Float32Array.from(v).buffer));
const hyperOf = (c: GoldenCase) => Object.fromEntries(Object.entries(c.given).map(([k, v]) => [k, v === null ? "none" : v]));
const weightsOf = async (name: string) => floatsOf(await call(`/v1/shards/${name}/weights`));

/** The shard's point and its revision (GET /point). */
async function pointOf(name: string): Promise<{ values: Float32Array; revision: string; version: number; distinct: boolean }> {
  const res = await call(`/v1/shards/${name}/point`);
  expect(res.status).toBe(200);
  const version = Number(res.headers.get("x-shard-version"));
  return { revision: res.headers.get("x-shard-revision")!, version, distinct: res.headers.get("x-point") === "distinct", values: await floatsOf(res) };
}

/** One closure call: the loss and gradient at the point of `revision`. */
const evaluate = (name: string, loss: number, gradient: ArrayLike<number>, revision: string, headers: Record<string, string> = {}) =>
  push(name, gradient, { "x-loss": String(loss), "x-point-revision": revision, ...headers });

async function lbfgsShard(c: GoldenCase, extra: Record<string, unknown> = {}): Promise<string> {
  const name = await createShard({ length: c.x0.length, rule: "lbfgs", hyper: hyperOf(c), rate_limit: null, ...extra });
  expect((await call(`/v1/shards/${name}/weights`, { method: "PUT", floats: c.x0 })).status).toBe(204);
  return name;
}

type Call = [step: number, evaluation: number];
interface Drive {
  /** Runs after each push (an eviction, ...). */
  between?: (k: number, e: number) => Promise<void>;
  /** The first closure call to make (the shard asks for its point). */
  from?: Call;
  /** The closure call to stop before. */
  until?: Call;
  /** Also asks GET /point after every push and holds it equal to the answer (always when `between` is given). */
  confirmPoint?: boolean;
}
const before = ([k, e]: Call, [k2, e2]: Call) => k < k2 || (k === k2 && e < e2);

/**
 * Drives shard `name` through torch's closure calls of case `c` over [from, until). Asserts every
 * point, outcome, count and move.
 */
async function drive(name: string, c: GoldenCase, { between, from = [0, 0], until = [Infinity, 0], confirmPoint = between !== undefined }: Drive = {}): Promise<void> {
  const wolfe = c.given.line_search_fn === "strong_wolfe";
  let point = await pointOf(name);
  let version = point.version;
  for (const [k, stepCall] of c.steps.entries()) {
    if (k < from[0]) continue;
    // Starting inside a step() call: the moves made so far are those up to the weights the shard holds.
    let moved = 0;
    if (k === from[0] && from[1] > 0) {
      const held = JSON.stringify(bitsOf(await weightsOf(name)));
      moved = stepCall.moves.findIndex((m) => JSON.stringify(bitsOf(m)) === held) + 1;
    }
    for (const [e, evaluation] of stepCall.evaluations.entries()) {
      if (before([k, e], from)) continue;
      if (!before([k, e], until)) return;
      const where = `step ${k}, closure call ${e}`;
      expect(bitsOf(point.values), where).toEqual(bitsOf(evaluation.point));
      expect(point.distinct, where).toBe(wolfe && e > 0);
      const res = await evaluate(name, evaluation.loss, evaluation.gradient, point.revision);
      expect(res.status, `${where}: ${res.status === 200 ? "" : await res.clone().text()}`).toBe(200);
      const last = e === stepCall.evaluations.length - 1;
      const outcome = res.headers.get("x-lbfgs-outcome");
      expect(res.headers.get("x-lbfgs-step-evaluations"), where).toBe(String(e + 1));
      expect(outcome === "converged" || outcome === "step_done", where).toBe(last);
      const newVersion = Number(res.headers.get("x-shard-version"));
      if (newVersion !== version) {
        expect(newVersion, where).toBe(version + 1);
        expect(bitsOf(await weightsOf(name)), `${where}: move ${moved}`).toEqual(bitsOf(stepCall.moves[moved]!));
        moved += 1;
      } else expect(outcome, where).not.toBe("accepted");
      if (outcome === "accepted") expect(newVersion).toBe(version + 1);
      version = newVersion;
      if (last) {
        expect(res.headers.get("x-lbfgs-func-evals"), where).toBe(String(stepCall.func_evals));
        expect(res.headers.get("x-lbfgs-n-iter"), where).toBe(String(stepCall.n_iter));
      }
      // The answer is the next point, under its revision.
      const answered = { values: await floatsOf(res), revision: res.headers.get("x-shard-revision")!, distinct: res.headers.get("x-point") === "distinct", version };
      await between?.(k, e);
      point = answered;
      if (confirmPoint) {
        point = await pointOf(name);
        expect(bitsOf(answered.values), where).toEqual(bitsOf(point.values));
        expect(answered.revision, where).toBe(point.revision);
        expect(answered.distinct, where).toBe(point.distinct);
      }
    }
    expect(moved, `step ${k}: moves`).toBe(stepCall.moves.length);
    expect(bitsOf(await weightsOf(name)), `step ${k}: weights`).toEqual(bitsOf(stepCall.weights));
  }
}

/** The cases whose every answer is also held equal to GET /point (one of each line search; the eviction tests below too). */
const CONFIRMED = new Set(["rosen10_wolfe_h3", "quad_ill_fixed_h3"]);

describe("torch.optim.LBFGS's closure calls, pushed through the HTTP API", () => {
  it.each(cases.map((c) => [c.id, c] as const))("%s", async (_id, c) => {
    await drive(await lbfgsShard(c), c, { confirmPoint: CONFIRMED.has(c.id) });
  });
});

const byId = (id: string) => cases.find((c) => c.id === id)!;
const WOLFE = byId("rosen10_wolfe_h3");
const FIXED = byId("quad_well_fixed_h3");
/** A closure call inside the line search of WOLFE's second step() call. */
const MID_SEARCH: Call = [1, 3];

describe("an lbfgs shard keeps its machine in storage", () => {
  it("goes on bit for bit with torch after an eviction after every push (pages of 3 floats)", async () => {
    const name = await lbfgsShard(WOLFE, { page_floats: 3 });
    await drive(name, WOLFE, { between: () => evictAllDurableObjects() });
  });

  it("restores a checkpoint taken in the middle of a line search and goes on as torch from there", async () => {
    const name = await lbfgsShard(WOLFE);
    await drive(name, WOLFE, { until: MID_SEARCH });
    const taken = await call(`/v1/shards/${name}/checkpoints`, { method: "POST", json: {} });
    expect(taken.status).toBe(201);
    const { id } = await taken.json<{ id: number }>();
    const stale = await pointOf(name);
    await drive(name, WOLFE, { from: MID_SEARCH, until: [2, 2] });
    expect((await call(`/v1/shards/${name}/checkpoints/${id}/restore`, { method: "POST" })).status).toBe(200);
    const restored = await pointOf(name);
    expect(bitsOf(restored.values)).toEqual(bitsOf(stale.values));
    expect(restored.revision).not.toBe(stale.revision);
    await drive(name, WOLFE, { from: MID_SEARCH });
  });

  it("exports its state in the middle of a line search; a fresh shard importing it goes on as torch", async () => {
    const name = await lbfgsShard(WOLFE);
    await drive(name, WOLFE, { until: MID_SEARCH });
    const exported = await call(`/v1/shards/${name}/state`);
    expect(exported.status).toBe(200);
    const file = new Uint8Array(await exported.arrayBuffer());
    const copy = await createShard({ length: WOLFE.x0.length, rule: "lbfgs", hyper: hyperOf(WOLFE), rate_limit: null });
    const imported = await call(`/v1/shards/${copy}/state`, { method: "PUT", body: file, headers: { "content-type": "application/octet-stream" } });
    expect(imported.status, await imported.clone().text()).toBe(200);
    const again = new Uint8Array(await (await call(`/v1/shards/${copy}/state`)).arrayBuffer());
    expect(again.length).toBe(file.length);
    await drive(copy, WOLFE, { from: MID_SEARCH });
  });
});

describe("lbfgs pushes", () => {
  it("answers a retried Idempotency-Key with the first outcome and applies nothing", async () => {
    const name = await lbfgsShard(WOLFE);
    await drive(name, WOLFE, { until: [0, 1] });
    const point = await pointOf(name);
    const evaluation = WOLFE.steps[0]!.evaluations[1]!;
    const first = await evaluate(name, evaluation.loss, evaluation.gradient, point.revision, { "idempotency-key": "k1", prefer: "return=minimal" });
    expect(first.status).toBe(200);
    const summary = await first.json<{ lbfgs: Record<string, unknown>; revision: number }>();
    const state = await storedState(name);
    const again = await evaluate(name, evaluation.loss, evaluation.gradient, point.revision, { "idempotency-key": "k1", prefer: "return=minimal" });
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await again.json()).toMatchObject({ lbfgs: summary.lbfgs, revision: summary.revision, replayed: true });
    expect(await storedState(name)).toBe(state);
    // The same key with another loss is another request.
    const reused = await evaluate(name, evaluation.loss * 2, evaluation.gradient, point.revision, { "idempotency-key": "k1" });
    expect(reused.status).toBe(422);
    expect((await reused.json<{ type: string }>()).type).toBe("/problems/idempotency-key-reused");
    expect(await storedState(name)).toBe(state);
    await drive(name, WOLFE, { from: [0, 2] });
  });

  it("refuses what is not one closure call at the shard's point, precisely and with no change", async () => {
    const name = await lbfgsShard(FIXED);
    const { revision } = await pointOf(name);
    const { loss, gradient } = FIXED.steps[0]!.evaluations[0]!;
    const state = await storedState(name);
    const refusals: [Promise<Response>, number, string, RegExp][] = [
      [push(name, gradient, { "x-point-revision": revision }), 422, "loss-required", /X-Loss/],
      [evaluate(name, Number.NaN, gradient, revision), 422, "non-finite", /X-Loss is NaN/],
      [evaluate(name, Infinity, gradient, revision), 422, "non-finite", /X-Loss is Infinity/],
      [push(name, gradient, { "x-loss": String(loss) }), 428, "point-revision-required", /X-Point-Revision/],
      [evaluate(name, loss, gradient, String(Number(revision) - 1)), 409, "point-moved", new RegExp(`revision ${revision}`)],
      [push(name, gradient.slice(0, 5), { "x-loss": String(loss), "x-point-revision": revision }, "?offset=2"), 400, "invalid-range", /whole gradient/],
      [evaluate(name, loss, gradient.slice(1), revision), 400, "invalid-range", /all 20 floats/],
      [evaluate(name, loss, gradient.map((g, i) => (i === 4 ? Number.NaN : g)), revision), 422, "non-finite", /index 4/],
    ];
    for (const [pending, status, type, detail] of refusals) {
      const res = await pending;
      const body = await res.json<{ type: string; detail: string }>();
      expect([res.status, body.type], body.detail).toEqual([status, `/problems/${type}`]);
      expect(body.detail).toMatch(detail);
      expect(await storedState(name)).toBe(state);
    }
    await drive(name, FIXED);
  });

  it("refuses configurations lbfgs cannot honour, and its PATCH", async () => {
    const base = { length: 4, rule: "lbfgs" };
    // The request schema refuses a hyperparameter out of its domain (invalid-request); the rest is invalid-config.
    const refused: [Record<string, unknown>, RegExp, string?][] = [
      [{ clipping: { kind: "norm", max_norm: 1 } }, /^clipping: lbfgs/],
      [{ staleness: { max: 2, policy: "reject" } }, /^staleness: lbfgs/],
      [{ non_finite: "skip" }, /non_finite 'skip': lbfgs/],
      [{ non_finite: "zero" }, /non_finite 'zero': lbfgs/],
      [{ schedule: { type: "step", step_size: 2 } }, /^schedule: lbfgs/],
      [{ schedules: { tolerance_grad: { type: "step", step_size: 2 } } }, /^schedules: lbfgs/],
      [{ averages: { ema: { kind: "ema", decay: 0.9 } } }, /^averages: lbfgs/],
      [{ aggregation: { mode: "rounds", quorum: 2, late: "roll" } }, /^aggregation.late "roll": lbfgs in rounds mode/],
      [{ aggregation: { mode: "rounds", quorum: 2, input: "delta" } }, /^aggregation.input "delta": lbfgs in rounds mode/],
      [{ aggregation: { mode: "rounds", quorum: 2, clip_norm: 1 } }, /^aggregation.clip_norm 1: lbfgs in rounds mode/],
      [{ aggregation: { mode: "rounds", quorum: 2, clip_norm: 1, noise_multiplier: 1, reducer: "mean" } }, /^aggregation.clip_norm 1: lbfgs in rounds mode/],
      [{ hyper: { line_search_fn: "backtracking" } }, /line_search_fn/, "invalid-request"],
      [{ hyper: { history_size: 0 } }, /history_size/, "invalid-request"],
    ];
    for (const [extra, detail, type = "invalid-config"] of refused) {
      const res = await call(`/v1/shards/${uniqueName()}`, { method: "PUT", json: { ...base, ...extra } });
      const body = await res.json<{ type: string; detail: string }>();
      expect([res.status, body.type], JSON.stringify(extra)).toEqual([400, `/problems/${type}`]);
      expect(body.detail).toMatch(detail);
    }
    const name = await createShard(base);
    const patched = await call(`/v1/shards/${name}`, { method: "PATCH", json: { hyper: { lr: 0.5 } } });
    expect(patched.status).toBe(400);
    expect((await patched.json<{ detail: string }>()).detail).toMatch(/replace the shard/);
    const model = await call(`/v1/models/${uniqueName("m")}`, { method: "PUT", json: { tensors: [{ name: "w", shape: [3] }], config: { rule: "lbfgs" } } });
    expect(model.status).toBe(400);
    expect((await model.json<{ detail: string }>()).detail).toMatch(/a model takes no lbfgs/);
  });

  it("is listed with torch's defaults", async () => {
    const body = await (await call("/v1/rules")).json<{ rules: { name: string; defaults: Record<string, unknown> }[] }>();
    expect(body.rules.find((r) => r.name === "lbfgs")?.defaults).toEqual({ lr: 1, max_iter: 20, max_eval: 25, tolerance_grad: 1e-7, tolerance_change: 1e-9, history_size: 100, line_search_fn: "none" });
  });
});

describe("the client", () => {
  it("pushes the loss at the point it was given and exposes the outcome and the next point", async () => {
    const api = createShardstep({ baseUrl: BASE, token: await token(), fetch: workerFetch });
    const name = await lbfgsShard(WOLFE);
    let point = await api.getPoint(name);
    for (const stepCall of WOLFE.steps) {
      for (const [e, evaluation] of stepCall.evaluations.entries()) {
        expect(bitsOf(point.values)).toEqual(bitsOf(evaluation.point));
        const result = await api.pushGradient(name, Float32Array.from(evaluation.gradient), { loss: evaluation.loss, pointRevision: point.revision });
        expect(result.lbfgs?.step_evaluations).toBe(e + 1);
        expect(result.lbfgs?.end !== null).toBe(e === stepCall.evaluations.length - 1);
        point = { ...point, values: result.point, revision: result.revision };
      }
      expect(bitsOf(point.values)).toEqual(bitsOf(stepCall.weights));
    }
  });
});

describe("a closure call that would store a non-finite scalar", () => {
  it("is undone and refused; the shard goes on from where it was", async () => {
    const name = await lbfgsShard(WOLFE);
    const [first, second] = WOLFE.steps[0]!.evaluations;
    expect((await evaluate(name, -1e308, first!.gradient, (await pointOf(name)).revision)).status).toBe(200);
    const trial = await pointOf(name);
    const state = await storedState(name);
    const res = await evaluate(name, 1e308, second!.gradient, trial.revision);
    const body = await res.json<{ type: string; detail: string }>();
    expect([res.status, body.type], body.detail).toEqual([422, "/problems/non-finite"]);
    expect(body.detail).toMatch(/nothing was applied/);
    expect(await storedState(name)).toBe(state);
    const after = await pointOf(name);
    expect([after.revision, bitsOf(after.values)]).toEqual([trial.revision, bitsOf(trial.values)]);
  });
});
