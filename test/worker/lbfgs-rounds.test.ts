import { env } from "cloudflare:workers";
import { evictAllDurableObjects, runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { seededUniform } from "../../src/optim/init";
import { call, createShard, floatsOf, pastRoundDeadline, push } from "./support/api";
import { storedState } from "./support/snapshot";

/**
 * L-BFGS in rounds mode: three clients each hold a share of a least-squares problem's rows; each
 * round is one closure call on their combined gradient and loss. The reference is an async lbfgs
 * shard fed, at each of its points, the combination computed here in float64 exactly as the
 * reducer defines it: both shards must ask for the same points and end at the same weights, bit
 * for bit.
 */
const SEED = 20261206;
console.log(`lbfgs-rounds: data seed ${SEED}`);
const DIM = 4;
const SHARES = [3, 4, 5];

const random = seededUniform(SEED);
const rows = Array.from({ length: SHARES.reduce((a, b) => a + b, 0) }, () => ({ a: Array.from({ length: DIM }, () => 2 * random() - 1), b: 2 * random() - 1 }));
const shares = SHARES.map((n, j) => rows.slice(SHARES.slice(0, j).reduce((a, b) => a + b, 0), SHARES.slice(0, j + 1).reduce((a, b) => a + b, 0)));

/**
 * How clients report their share: its mean loss and gradient with its sample count, combined by
 * `weighted_mean` (the full data's mean), or its sums, combined by `mean` (the full sum over k).
 */
type Form = "mean" | "sum";
const reducerOf = { mean: "weighted_mean", sum: "mean" } as const;
const weightsOf = (form: Form, clients: number[]) => clients.map((j) => (form === "mean" ? SHARES[j]! : 1));

/** A client's loss ½(a·x − b)² over its rows and its gradient (float32) at `x`, as `form` says. */
function evaluateShare(share: typeof rows, x: Float32Array, form: Form = "mean"): { loss: number; gradient: Float32Array } {
  let loss = 0;
  const g = new Float64Array(DIM);
  for (const { a, b } of share) {
    const r = a.reduce((s, ai, i) => s + ai * x[i]!, 0) - b;
    loss += (r * r) / 2;
    for (let i = 0; i < DIM; i++) g[i] = g[i]! + r * a[i]!;
  }
  const n = form === "mean" ? share.length : 1;
  return { loss: loss / n, gradient: Float32Array.from(g, (v) => v / n) };
}

/** weighted_mean as the reducer defines it: Σ w·v / Σ w in float64, in push order. */
function weightedMean(vs: ArrayLike<number>[], w: number[]): number[] {
  const total = w.reduce((a, b) => a + b, 0);
  return Array.from({ length: vs[0]!.length }, (_, i) => {
    let sum = 0;
    for (let j = 0; j < vs.length; j++) sum += w[j]! * vs[j]![i]!;
    return sum / total;
  });
}

const hyper = { lr: 1, max_iter: 5, history_size: 3, line_search_fn: "strong_wolfe", tolerance_grad: 1e-5, tolerance_change: 1e-9 };
const roundsConfig = (aggregation: Record<string, unknown> = {}) => ({
  length: DIM,
  rule: "lbfgs",
  hyper,
  rate_limit: null,
  aggregation: { mode: "rounds", quorum: SHARES.length, reducer: "weighted_mean", deadline_ms: 60_000, ...aggregation },
});
const bitsOf = (v: ArrayLike<number>) => Array.from(new Uint32Array(Float32Array.from(v).buffer));
const stubOf = (name: string) => env.SHARDS.get(env.SHARDS.idFromName(name));
const statusOf = async (name: string) => (await call(`/v1/shards/${name}/status`)).json<Record<string, any>>();
const X0 = [0.5, -0.25, 1, 0.75];

async function pointOf(name: string): Promise<{ values: Float32Array; revision: string }> {
  const res = await call(`/v1/shards/${name}/point`);
  expect(res.status).toBe(200);
  return { revision: res.headers.get("x-shard-revision")!, values: await floatsOf(res) };
}

async function startAt(config: Record<string, unknown>): Promise<string> {
  const name = await createShard(config);
  expect((await call(`/v1/shards/${name}/weights`, { method: "PUT", floats: X0 })).status).toBe(204);
  return name;
}

/** Client j's push at the point of `revision`. */
const pushShare = (name: string, j: number, point: Float32Array, revision: string, headers: Record<string, string> = {}, form: Form = "mean") => {
  const { loss, gradient } = evaluateShare(shares[j]!, point, form);
  return push(name, gradient, { "x-client-id": `c${j}`, "x-sample-count": String(SHARES[j]), "x-loss": String(loss), "x-point-revision": revision, ...headers });
};

/** The round's combination as the reducer makes it: the gradient stored as float32, the loss in float64. */
function combined(point: Float32Array, form: Form = "mean"): { loss: number; gradient: Float32Array } {
  const parts = shares.map((s) => evaluateShare(s, point, form));
  const w = weightsOf(form, [0, 1, 2]);
  return { loss: weightedMean(parts.map((p) => [p.loss]), w)[0]!, gradient: Float32Array.from(weightedMean(parts.map((p) => p.gradient), w)) };
}

/** Runs one round on `name` (all clients push at its point); answers the closing push. */
async function round(name: string, between: (j: number, revision: string) => Promise<void> = async () => {}, headers: (j: number) => Record<string, string> = () => ({}), form: Form = "mean"): Promise<Response> {
  const { values, revision } = await pointOf(name);
  let last: Response | undefined;
  for (let j = 0; j < SHARES.length; j++) {
    last = await pushShare(name, j, values, revision, headers(j), form);
    const expected = j < SHARES.length - 1 ? 202 : 200;
    expect(last.status, await last.clone().text()).toBe(expected);
    expect(last.headers.get("x-round")).toBe(String(Number(revision) + 1));
    await between(j, revision);
  }
  return last!;
}

describe("lbfgs in rounds mode", () => {
  it.each(["mean", "sum"] as const)("each round is one closure call on the combined gradient and loss (clients' %s): the same points and weights as async lbfgs fed them, bit for bit", async (form) => {
    const federated = await startAt(roundsConfig({ reducer: reducerOf[form] }));
    const reference = await startAt({ length: DIM, rule: "lbfgs", hyper, rate_limit: null });
    let outcome = "";
    let rounds = 0;
    let probes = 0;
    while (outcome !== "converged") {
      expect(rounds, "converges within 60 rounds").toBeLessThan(60);
      const here = await pointOf(federated);
      const there = await pointOf(reference);
      expect(bitsOf(here.values), `round ${rounds + 1}`).toEqual(bitsOf(there.values));
      const versionBefore = (await statusOf(federated)).version;
      const closing = await round(federated, undefined, undefined, form);
      const { loss, gradient } = combined(here.values, form);
      const fed = await push(reference, gradient, { "x-loss": String(loss), "x-point-revision": there.revision });
      expect(fed.status).toBe(200);
      for (const header of ["x-lbfgs-outcome", "x-lbfgs-end", "x-lbfgs-step-evaluations", "x-lbfgs-func-evals", "x-lbfgs-n-iter", "x-shard-version", "x-shard-revision"]) {
        expect(closing.headers.get(header), `${header}, round ${rounds + 1}`).toBe(fed.headers.get(header));
      }
      expect(bitsOf(await floatsOf(closing))).toEqual(bitsOf(await floatsOf(fed)));
      outcome = closing.headers.get("x-lbfgs-outcome")!;
      if (Number(closing.headers.get("x-shard-version")) === versionBefore) probes += 1;
      rounds += 1;
    }
    expect(probes, "line-search probes that did not move the weights opened rounds of their own").toBeGreaterThan(0);
    const weights = async (name: string) => bitsOf(await floatsOf(await call(`/v1/shards/${name}/weights`)));
    expect(await weights(federated)).toEqual(await weights(reference));
    // The least-squares gradient at the end is within tolerance_grad: the full problem's minimum.
    const end = await floatsOf(await call(`/v1/shards/${federated}/weights`));
    expect(Math.max(...combined(end, form).gradient.map(Math.abs))).toBeLessThanOrEqual(1e-5);
    console.log(`lbfgs-rounds (${form}): converged in ${rounds} rounds (${probes} probes)`);
  });

  it("refuses a push for the point of a closed round (late), and one ahead of the point, with no change", async () => {
    const name = await startAt(roundsConfig());
    const first = await pointOf(name);
    await round(name);
    const state = await storedState(name);
    const late = await pushShare(name, 0, first.values, first.revision);
    expect(late.status).toBe(409);
    expect(await late.json()).toMatchObject({ type: "/problems/round-closed", round: Number(first.revision) + 2 });
    const ahead = await pushShare(name, 0, first.values, String(Number(first.revision) + 5));
    expect(ahead.status).toBe(409);
    expect((await ahead.json<{ type: string }>()).type).toBe("/problems/point-moved");
    const noLoss = await push(name, new Float32Array(DIM), { "x-client-id": "c0", "x-point-revision": String(Number(first.revision) + 1) });
    expect(noLoss.status).toBe(422);
    expect((await noLoss.json<{ type: string }>()).type).toBe("/problems/loss-required");
    expect(await storedState(name)).toBe(state);
  });

  it("closes at the deadline with the pushes it has: one closure call on their combination", async () => {
    const federated = await startAt(roundsConfig({ deadline_ms: 1_500 }));
    const reference = await startAt({ length: DIM, rule: "lbfgs", hyper, rate_limit: null });
    const { values, revision } = await pointOf(federated);
    expect((await pushShare(federated, 0, values, revision)).status).toBe(202);
    expect((await pushShare(federated, 2, values, revision)).status).toBe(202);
    await pastRoundDeadline(federated);
    await runDurableObjectAlarm(stubOf(federated));
    expect(await statusOf(federated)).toMatchObject({ revision: Number(revision) + 1, rounds: { by_deadline: 1, last: { round: Number(revision) + 1, pushes: 2 } } });
    const parts = [0, 2].map((j) => evaluateShare(shares[j]!, values));
    const w = [SHARES[0]!, SHARES[2]!];
    const fed = await push(reference, Float32Array.from(weightedMean(parts.map((p) => p.gradient), w)), {
      "x-loss": String(weightedMean(parts.map((p) => [p.loss]), w)[0]),
      "x-point-revision": (await pointOf(reference)).revision,
    });
    expect(fed.status).toBe(200);
    expect(bitsOf((await pointOf(federated)).values)).toEqual(bitsOf((await pointOf(reference)).values));
    // A second alarm changes nothing.
    const state = await storedState(federated);
    await runDurableObjectAlarm(stubOf(federated));
    expect(await storedState(federated)).toBe(state);
  });

  it("replays a retried push with its first answer, and keeps a round's pushes and losses across evictions", async () => {
    const federated = await startAt(roundsConfig());
    const reference = await startAt({ length: DIM, rule: "lbfgs", hyper, rate_limit: null });
    for (let r = 0; r < 4; r++) {
      const { values } = await pointOf(federated);
      const key = { "idempotency-key": `r${r}`, prefer: "return=minimal" };
      const pushed = (j: number) => (j === 0 ? key : {});
      const closing = await round(
        federated,
        async (j, revision) => {
          await evictAllDurableObjects();
          if (j === 0) {
            const again = await pushShare(federated, 0, values, revision, key);
            expect(again.status).toBe(202);
            expect(again.headers.get("idempotent-replayed")).toBe("true");
            expect(await again.json()).toMatchObject({ replayed: true, round: { number: Number(revision) + 1, contributors: 1 } });
          }
        },
        pushed,
      );
      const { loss, gradient } = combined(values);
      const fed = await push(reference, gradient, { "x-loss": String(loss), "x-point-revision": (await pointOf(reference)).revision });
      expect(closing.headers.get("x-lbfgs-outcome")).toBe(fed.headers.get("x-lbfgs-outcome"));
      expect(bitsOf(await floatsOf(closing))).toEqual(bitsOf(await floatsOf(fed)));
    }
  });

  it("Prefer: wait answers the round's closure call and the next point", async () => {
    const name = await startAt(roundsConfig());
    const { values, revision } = await pointOf(name);
    const waiting = pushShare(name, 0, values, revision, { prefer: "wait=10" });
    await new Promise((r) => setTimeout(r, 50));
    await pushShare(name, 1, values, revision);
    const closing = await pushShare(name, 2, values, revision);
    const waited = await waiting;
    expect(waited.status).toBe(200);
    for (const header of ["x-lbfgs-outcome", "x-lbfgs-step-evaluations", "x-lbfgs-func-evals", "etag", "x-shard-version", "x-point"]) {
      expect(waited.headers.get(header), header).toBe(closing.headers.get(header));
    }
    expect(bitsOf(await floatsOf(waited))).toEqual(bitsOf(await floatsOf(closing)));
  });

  it("a close whose closure call would store a non-finite scalar is refused and changes nothing", async () => {
    // A quorum of 1: each push closes its round, so the machine sees each loss as sent.
    const name = await startAt(roundsConfig({ quorum: 1, reducer: "mean" }));
    const at = async (loss: number) => {
      const { values, revision } = await pointOf(name);
      return push(name, evaluateShare(shares[0]!, values).gradient, { "x-client-id": "c0", "x-loss": String(loss), "x-point-revision": revision });
    };
    expect((await at(-1e308)).status).toBe(200);
    const state = await storedState(name);
    const res = await at(1e308);
    const body = await res.json<{ type: string; detail: string }>();
    expect([res.status, body.type], body.detail).toEqual([422, "/problems/non-finite"]);
    expect(body.detail).toMatch(/nothing was applied/);
    expect(await storedState(name)).toBe(state);
    const { revision } = await pointOf(name);
    expect(await statusOf(name)).toMatchObject({ revision: Number(revision), round: { number: Number(revision) + 1, contributors: 0 }, rounds: { closed: 1 } });
  });
});
