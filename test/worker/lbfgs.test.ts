import { evictAllDurableObjects } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import type { GoldenCase } from "../support/lbfgs-golden";
import { call, createShard, floatsOf, push } from "./support/api";

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

/**
 * Drives shard `name` through torch's closure calls of case `c` from call (step k, evaluation e) on;
 * `between` runs after each push (an eviction, ...). Asserts every point, outcome, count and move.
 */
async function drive(name: string, c: GoldenCase, between: (k: number, e: number) => Promise<void> = async () => {}, from: [number, number] = [0, 0]): Promise<void> {
  const wolfe = c.given.line_search_fn === "strong_wolfe";
  let point = await pointOf(name);
  let version = point.version;
  for (const [k, stepCall] of c.steps.entries()) {
    if (k < from[0]) continue;
    let moved = 0;
    for (const [e, evaluation] of stepCall.evaluations.entries()) {
      if (k === from[0] && e < from[1]) continue;
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
      const answered = { values: await floatsOf(res), revision: res.headers.get("x-shard-revision")!, distinct: res.headers.get("x-point") === "distinct" };
      await between(k, e);
      point = await pointOf(name);
      expect(bitsOf(answered.values), where).toEqual(bitsOf(point.values));
      expect(answered.revision, where).toBe(point.revision);
      expect(answered.distinct, where).toBe(point.distinct);
    }
    if (k > from[0] || from[1] === 0) expect(moved, `step ${k}: moves`).toBe(stepCall.moves.length);
    expect(bitsOf(await weightsOf(name)), `step ${k}: weights`).toEqual(bitsOf(stepCall.weights));
  }
}

describe("torch.optim.LBFGS's closure calls, pushed through the HTTP API", () => {
  it.each(cases.map((c) => [c.id, c] as const))("%s", async (_id, c) => {
    await drive(await lbfgsShard(c), c);
  });
});
