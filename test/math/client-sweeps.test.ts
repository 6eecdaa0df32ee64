/**
 * @shardstep/client's sweeps against a fake fetch: every route's request and answer, the
 * Idempotency-Keys of lease requests and their retries, the ensemble file, the worker loop
 * (`api.sweeps.work`: waits, continue and stop, pruning, failures, lost leases, resumes, aborts)
 * and `averagePredictions`. The server side: test/worker/sweeps.test.ts; both against a real
 * `wrangler dev`: test/e2e/sweep-mnist.e2e.test.ts.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  averagePredictions,
  createShardstep,
  isShardstepProblem,
  toSafetensors,
  TrialStopped,
  type RetryEvent,
  type SweepTrial,
  type TrialOutcome,
} from "../../packages/client/src/index";

interface Seen {
  method: string;
  /** Path and query. */
  url: string;
  headers: Record<string, string>;
  body: any;
}

type Handler = (request: Seen, n: number) => Response | Promise<Response>;

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": status >= 400 ? "application/problem+json" : "application/json", ...headers } });
const problem = (status: number, slug: string, detail = slug) => json({ type: `/problems/${slug}`, title: slug, status, detail }, status);

/** A client whose fetch is `handler`, recording every request. */
function fake(handler: Handler, retry: object | false = { baseDelayMs: 0, maxDelayMs: 0 }) {
  const seen: Seen[] = [];
  const fetch = async (input: RequestInfo | URL): Promise<Response> => {
    const request = input as Request;
    const url = new URL(request.url);
    const text = await request.text();
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => (headers[name] = value));
    const entry: Seen = { method: request.method, url: url.pathname + url.search, headers, body: text ? JSON.parse(text) : undefined };
    seen.push(entry);
    return handler(entry, seen.length);
  };
  const events: RetryEvent[] = [];
  const api = createShardstep({
    baseUrl: "http://sweeps.test",
    token: "t",
    fetch: fetch as typeof globalThis.fetch,
    retry: retry === false ? false : { ...retry, onRetry: (e) => events.push(e) },
  });
  return { api, seen, events };
}

const trialOf = (id: number, extra: Partial<SweepTrial> = {}): SweepTrial => ({
  id,
  search_index: id,
  replicate_of: null,
  state: "running",
  params: { lr: 0.01 * (id + 1), rule: "sgd" },
  stage: 0,
  budget: 30,
  value: null,
  metrics: null,
  reason: null,
  unapplied: [],
  shard: `s:trial-${id}`,
  seed: 7,
  worker: "w",
  leases: 1,
  checkpoint: null,
  last_report: null,
  reports: 0,
  created_at: "2026-01-01T00:00:00.000Z",
  updated_at: "2026-01-01T00:00:00.000Z",
  ...extra,
});

const leased = (id: number, resume: { id: number; step: number } | null = null) => ({
  status: "leased",
  trial: trialOf(id),
  lease: { id: `${id}.1.abc`, expires_at: "2026-01-01T00:10:00.000Z" },
  resume,
  unit: "steps",
  replayed: false,
});

const decision = (id: number, stop: string | null, state: SweepTrial["state"] = "running") => ({
  decision: stop === null ? "continue" : "stop",
  reason: stop,
  trial: trialOf(id, { state, ...(state === "pruned" ? { reason: stop } : {}) }),
  lease_expires_at: state === "running" ? "2026-01-01T00:10:00.000Z" : null,
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

afterEach(() => {
  vi.useRealTimers();
});

describe("sweep routes", () => {
  it("creates, reads, lists, replicates and deletes, on the routes of the spec", async () => {
    const sweep = { name: "s", state: "running", counts: { running: 1 }, trials: 4, best: null, warnings: [], stages: [], created_at: "x" };
    const { api, seen } = fake((r) => {
      if (r.method === "PUT") return json(sweep, r.body.seed === 1 ? 201 : 200);
      if (r.url === "/v1/sweeps/s") return json(sweep);
      if (r.url === "/v1/sweeps/s/trials") return json({ trials: [trialOf(0), trialOf(1)] });
      if (r.url === "/v1/sweeps/s/trials/1") return json({ ...trialOf(1), curve: [{ step: 10, value: 0.5, metrics: { loss: 0.5 } }] });
      if (r.url === "/v1/sweeps/s/replicates") return json({ trials: [trialOf(5, { replicate_of: 1, search_index: null })] });
      return problem(404, "not-found");
    });
    const config = { objective: { metric: "loss" }, space: { lr: { kind: "log_uniform" as const, low: 1e-4, high: 1, target: "hyper.lr" } }, seed: 1 };
    expect(await api.sweeps.create("s", config)).toEqual({ created: true, sweep });
    expect((await api.sweeps.create("s", { ...config, seed: 2 })).created).toBe(false);
    expect(seen[0]).toMatchObject({ method: "PUT", url: "/v1/sweeps/s", body: config, headers: { authorization: "Bearer t", "content-type": "application/json" } });
    expect(await api.sweeps.get("s")).toEqual(sweep);
    expect((await api.sweeps.trials("s")).map((t) => t.id)).toEqual([0, 1]);
    expect((await api.sweeps.trial("s", 1)).curve).toEqual([{ step: 10, value: 0.5, metrics: { loss: 0.5 } }]);
    expect((await api.sweeps.replicate("s", { count: 1, of: 1 }))[0]!.replicate_of).toBe(1);
    expect(seen.at(-1)).toMatchObject({ method: "POST", url: "/v1/sweeps/s/replicates", body: { count: 1, of: 1 } });
    const missing = await api.sweeps.get("nope").catch((e: unknown) => e);
    expect(isShardstepProblem(missing, "not-found")).toBe(true);
  });

  it("deletes, and a retried delete that finds the sweep gone counts as done", async () => {
    const { api, seen } = fake((_, n) => (n === 1 ? problem(503, "unavailable") : problem(404, "not-found")));
    await api.sweeps.delete("s");
    expect(seen.map((r) => `${r.method} ${r.url}`)).toEqual(["DELETE /v1/sweeps/s", "DELETE /v1/sweeps/s"]);
    await expect(api.sweeps.delete("s")).rejects.toMatchObject({ status: 404 });
  });

  it("answers the plots as SVG text", async () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg"><text>lr</text></svg>';
    const { api, seen } = fake(() => new Response(svg, { headers: { "content-type": "image/svg+xml; charset=utf-8" } }));
    expect(await api.sweeps.objectivePlot("s", "lr")).toBe(svg);
    expect(await api.sweeps.curvesPlot("s")).toBe(svg);
    expect(seen.map((r) => r.url)).toEqual(["/v1/sweeps/s/plots/objective?param=lr", "/v1/sweeps/s/plots/curves"]);
  });

  it("reads an ensemble's members from its safetensors file, best first as X-Ensemble-Members lists them", async () => {
    const a = Float32Array.of(1, 2, 3);
    const b = Float32Array.of(-1, 0.5, 4);
    const file = toSafetensors({ "trial-3": a, "trial-12": b }, { format: "pt", members: JSON.stringify(["trial-12", "trial-3"]), values: JSON.stringify([0.25, 0.5]) });
    const { api, seen } = fake(() => new Response(file as Uint8Array<ArrayBuffer>, { headers: { "content-type": "application/octet-stream", "x-ensemble-members": "trial-12,trial-3" } }));
    const { members, metadata } = await api.sweeps.ensemble("s", { top: 2 });
    expect(members.map(({ name, trial, value }) => ({ name, trial, value }))).toEqual([
      { name: "trial-12", trial: 12, value: 0.25 },
      { name: "trial-3", trial: 3, value: 0.5 },
    ]);
    expect(Array.from(members[0]!.weights)).toEqual(Array.from(b));
    expect(Array.from(members[1]!.weights)).toEqual(Array.from(a));
    expect(metadata.format).toBe("pt");
    await api.sweeps.ensemble("s", { replicatesOf: 3 });
    await api.sweeps.ensemble("s");
    expect(seen.map((r) => r.url)).toEqual(["/v1/sweeps/s/ensemble?top=2", "/v1/sweeps/s/ensemble?replicates_of=3", "/v1/sweeps/s/ensemble"]);
  });
});

describe("lease requests", () => {
  it("send a new Idempotency-Key per call and the same one on every retry of it", async () => {
    const { api, seen, events } = fake((_, n) => {
      if (n === 1) return problem(503, "unavailable");
      if (n === 2) throw new TypeError("fetch failed: connection reset");
      return json(leased(0));
    });
    const first = await api.sweeps.ask("s", { worker: "w1" });
    expect(first.status).toBe("leased");
    expect(events.map((e) => e.attempt)).toEqual([1, 2]);
    const keys = seen.map((r) => r.headers["idempotency-key"]);
    expect(keys[0]).toMatch(UUID);
    expect(new Set(keys).size).toBe(1);
    expect(seen.every((r) => r.method === "POST" && r.url === "/v1/sweeps/s/trials" && r.body.worker === "w1")).toBe(true);
    await api.sweeps.ask("s");
    expect(seen.at(-1)!.headers["idempotency-key"]).toMatch(UUID);
    expect(seen.at(-1)!.headers["idempotency-key"]).not.toBe(keys[0]);
    expect(seen.at(-1)!.body).toEqual({});
    await api.sweeps.ask("s", { idempotencyKey: "mine" });
    expect(seen.at(-1)!.headers["idempotency-key"]).toBe("mine");
  });

  it("without a key, a lost answer is not sent again (it may have leased a trial)", async () => {
    const { api, seen } = fake(() => {
      throw new TypeError("fetch failed");
    });
    await expect(api.sweeps.ask("s", { idempotencyKey: false })).rejects.toMatchObject({ name: "ShardstepNetworkError" });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.headers["idempotency-key"]).toBeUndefined();
  });

  it("retries reports and completions (the master answers a repeated one as recorded)", async () => {
    const { api, seen } = fake((r, n) => (n % 2 === 1 ? problem(502, "bad-gateway") : r.url.endsWith("/reports") ? json(decision(4, null)) : json(trialOf(4, { state: "complete", value: 0.2 }))));
    const answer = await api.sweeps.report("s", 4, { lease: "4.1.abc", step: 10, metrics: { loss: 0.3 }, checkpoint: true });
    expect(answer).toMatchObject({ decision: "continue", stop: false, pruned: false });
    expect((await api.sweeps.complete("s", 4, { lease: "4.1.abc", metrics: { loss: 0.2 } })).value).toBe(0.2);
    expect(seen.map((r) => `${r.method} ${r.url}`)).toEqual([
      "POST /v1/sweeps/s/trials/4/reports",
      "POST /v1/sweeps/s/trials/4/reports",
      "POST /v1/sweeps/s/trials/4/complete",
      "POST /v1/sweeps/s/trials/4/complete",
    ]);
    expect(seen[1]!.body).toEqual({ lease: "4.1.abc", step: 10, metrics: { loss: 0.3 }, checkpoint: true });
    expect(seen[3]!.body).toEqual({ lease: "4.1.abc", metrics: { loss: 0.2 } });
  });
});

/** A scripted master: lease requests answered in order, reports and completions by trial. */
function master(asks: unknown[], reports: Record<number, (step: number) => Response>) {
  let next = 0;
  return fake((r) => {
    if (r.url === "/v1/sweeps/s/trials" && r.method === "POST") return json(asks[next++] ?? { status: "done" });
    const m = /^\/v1\/sweeps\/s\/trials\/(\d+)\/(reports|complete)$/.exec(r.url);
    if (!m) return problem(404, "not-found");
    const id = Number(m[1]);
    if (m[2] === "reports") return reports[id]!(r.body.step);
    return json(trialOf(id, r.body.failed ? { state: "failed", reason: r.body.failed } : { state: "complete", value: r.body.metrics.loss, metrics: r.body.metrics }));
  });
}

describe("api.sweeps.work", () => {
  it("trains every leased trial until done: completes, stops when pruned, fails on a throw, lets a lost lease go, resumes", async () => {
    const { api, seen } = master(
      [
        { status: "wait", retry_after: 0, reason: "stage 0 is still running" },
        leased(0),
        leased(1),
        leased(2),
        leased(3),
        leased(4, { id: 9, step: 20 }),
        { status: "done" },
      ],
      {
        0: (step) => json(decision(0, step >= 30 ? "the trial's budget (30 steps) is used; complete it" : null)),
        1: (step) => json(step < 20 ? decision(1, null) : decision(1, "pruned by the median rule at steps 20", "pruned")),
        3: () => problem(409, "lease-lost", "lease '3.1.abc' of trial 3 has ended"),
        4: (step) => json(decision(4, step >= 30 ? "the trial's budget (30 steps) is used; complete it" : null)),
      },
    );
    const started: number[] = [];
    const ended: TrialOutcome[] = [];
    const waits: string[] = [];
    const summary = await api.sweeps.work(
      "s",
      async (trial, ctx) => {
        started.push(ctx.resumeStep);
        if (trial.id === 2) throw new Error("the gradient is all NaN");
        let loss = 2;
        for (let step = ctx.resumeStep + 10; step <= trial.budget; step += 10) {
          loss /= 2;
          const answer = await ctx.report(step, { loss, accuracy: 1 - loss }, { checkpoint: step === 20 });
          if (trial.id === 4) ctx.throwIfStopped();
          if (answer.stop) break;
        }
        return trial.id === 0 ? { loss: 0.125, accuracy: 0.9 } : undefined;
      },
      { worker: "w1", onTrialEnd: (o) => ended.push(o), onWait: (w) => waits.push(w.reason) },
    );
    expect(summary).toMatchObject({ trials: 5, completed: 2, pruned: 1, failed: 1, lost: 1 });
    expect(summary.outcomes).toEqual(ended);
    expect(ended.map((o) => [o.trial.id, o.outcome, o.step])).toEqual([
      [0, "complete", 30],
      [1, "pruned", 20],
      [2, "failed", 0],
      [3, "lost", 0],
      [4, "complete", 30],
    ]);
    expect(ended[1]!.reason).toMatch(/median/);
    expect(ended[2]!.reason).toBe("the gradient is all NaN");
    expect(ended[3]!.reason).toMatch(/has ended/);
    expect(waits).toEqual(["stage 0 is still running"]);
    expect(started).toEqual([0, 0, 0, 0, 20]);
    const calls = seen.map((r) => `${r.url.replace("/v1/sweeps/s", "")} ${r.body?.step ?? ""}${r.body?.checkpoint ? " checkpoint" : ""}`.trim());
    expect(calls).toEqual([
      "/trials", "/trials",
      "/trials/0/reports 10", "/trials/0/reports 20 checkpoint", "/trials/0/reports 30", "/trials/0/complete",
      "/trials",
      "/trials/1/reports 10", "/trials/1/reports 20 checkpoint",
      "/trials",
      "/trials/2/complete",
      "/trials",
      "/trials/3/reports 10",
      "/trials",
      "/trials/4/reports 30", "/trials/4/complete",
      "/trials",
    ]);
    const bodies = seen.filter((r) => r.url.endsWith("/complete")).map((r) => r.body);
    expect(bodies).toEqual([
      { lease: "0.1.abc", metrics: { loss: 0.125, accuracy: 0.9 } },
      { lease: "2.1.abc", metrics: {}, failed: "the gradient is all NaN" },
      // TrialStopped after the budget's stop: completed with the last reported metrics.
      { lease: "4.1.abc", metrics: { loss: 1, accuracy: 0 } },
    ]);
    const asks = seen.filter((r) => r.url === "/v1/sweeps/s/trials");
    expect(asks.every((r) => r.body.worker === "w1" && UUID.test(r.headers["idempotency-key"]!))).toBe(true);
    expect(new Set(asks.map((r) => r.headers["idempotency-key"])).size).toBe(asks.length);
  });

  it("aborts the trial's signal when it is pruned, and counts the trial pruned whatever the training function then throws", async () => {
    const { api, seen } = master([leased(1)], { 1: () => json(decision(1, "pruned by the median rule at steps 10", "pruned")) });
    let reason: unknown;
    const summary = await api.sweeps.work("s", async (_, ctx) => {
      await ctx.report(10, { loss: 3 });
      expect(ctx.signal.aborted).toBe(true);
      reason = ctx.signal.reason;
      ctx.signal.throwIfAborted();
    });
    expect(reason).toBeInstanceOf(TrialStopped);
    expect(summary).toMatchObject({ trials: 1, pruned: 1, failed: 0 });
    expect(seen.some((r) => r.url.endsWith("/complete"))).toBe(false);
  });

  it("fails a trial that reports a non-finite metric, without sending it", async () => {
    const { api, seen } = master([leased(0)], { 0: () => json(decision(0, null)) });
    const summary = await api.sweeps.work("s", async (_, ctx) => {
      await ctx.report(10, { loss: 2.5 });
      await ctx.report(20, { loss: NaN });
    });
    expect(summary.outcomes[0]).toMatchObject({ outcome: "failed", reason: "metric 'loss' is NaN at steps 20: the trial diverged", step: 10 });
    expect(seen.filter((r) => r.url.endsWith("/reports"))).toHaveLength(1);
    expect(seen.find((r) => r.url.endsWith("/complete"))!.body).toEqual({ lease: "0.1.abc", metrics: { loss: 2.5 }, failed: "metric 'loss' is NaN at steps 20: the trial diverged" });
  });

  it("fails a trial whose completion the master refuses (no objective), so that it does not stay leased", async () => {
    const { api, seen } = fake((r) => {
      if (r.url === "/v1/sweeps/s/trials") return json(seen.filter((s) => s.url === r.url).length === 1 ? leased(0) : { status: "done" });
      if (r.body.failed) return json(trialOf(0, { state: "failed", reason: r.body.failed }));
      return problem(400, "invalid-request", `the completion has no 'loss', the sweep's objective`);
    });
    const summary = await api.sweeps.work("s", () => ({ accuracy: 0.5 }));
    expect(summary.outcomes[0]).toMatchObject({ outcome: "failed", reason: "the completion was refused: the completion has no 'loss', the sweep's objective" });
    expect(seen.filter((r) => r.url.endsWith("/complete")).map((r) => r.body.failed)).toEqual([undefined, "the completion was refused: the completion has no 'loss', the sweep's objective"]);
  });

  it("sleeps the wait the master asks for before asking again", async () => {
    vi.useFakeTimers();
    const { api, seen } = master([{ status: "wait", retry_after: 2, reason: "4 trials are running" }, { status: "done" }], {});
    let finished = false;
    const working = api.sweeps.work("s", () => undefined).then((s) => ((finished = true), s));
    await vi.advanceTimersByTimeAsync(1_999);
    expect(seen).toHaveLength(1);
    expect(finished).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect((await working).trials).toBe(0);
    expect(seen).toHaveLength(2);
  });

  it("stops waiting when its signal fires, with the signal's reason", async () => {
    const controller = new AbortController();
    const { api, seen } = master([{ status: "wait", retry_after: 600, reason: "4 trials are running" }], {});
    const working = api.sweeps.work("s", () => undefined, { signal: controller.signal, onWait: () => queueMicrotask(() => controller.abort(new Error("shutting down"))) });
    await expect(working).rejects.toThrow("shutting down");
    expect(seen).toHaveLength(1);
  });

  it("leaves a trial it was aborted in (its lease runs out and another worker resumes it)", async () => {
    const controller = new AbortController();
    const { api, seen } = master([leased(0)], { 0: () => json(decision(0, null)) });
    const working = api.sweeps.work("s", async (_, ctx) => {
      await ctx.report(10, { loss: 1 });
      controller.abort(new Error("SIGTERM"));
      ctx.signal.throwIfAborted();
    }, { signal: controller.signal });
    await expect(working).rejects.toThrow("SIGTERM");
    expect(seen.map((r) => r.url)).toEqual(["/v1/sweeps/s/trials", "/v1/sweeps/s/trials/0/reports"]);
  });

  it("stops after maxTrials", async () => {
    const { api, seen } = master([leased(0), leased(1), leased(2)], { 0: () => json(decision(0, null)), 1: () => json(decision(1, null)) });
    const summary = await api.sweeps.work("s", () => ({ loss: 1 }), { maxTrials: 2 });
    expect(summary).toMatchObject({ trials: 2, completed: 2 });
    expect(seen.filter((r) => r.url === "/v1/sweeps/s/trials")).toHaveLength(2);
  });
});

describe("averagePredictions", () => {
  // A toy model: the prediction is the weights scaled by the input.
  const predict = (weights: Float32Array, x: number) => weights.map((w) => w * x);
  const members = [{ weights: Float32Array.of(1, 0, 0.5) }, { weights: Float32Array.of(0, 1, 0.25) }, { weights: Float32Array.of(0.5, 0.5, 0) }];

  it("answers the mean of the members' predictions, as a model or for one input", () => {
    const ensemble = averagePredictions(members, predict);
    expect(Array.from(ensemble(3))).toEqual([1.5, 1.5, 0.75]);
    expect(Array.from(averagePredictions(members, predict, 1))).toEqual([0.5, 0.5, 0.25]);
    expect(Array.from(averagePredictions(members.slice(0, 1), predict, 2))).toEqual([2, 0, 1]);
  });

  it("sums in float64: the mean of many members loses nothing to float32 rounding", () => {
    const many = [{ weights: Float32Array.of(2 ** 24) }, ...Array.from({ length: 8 }, () => ({ weights: Float32Array.of(1) }))];
    expect(averagePredictions(many, (w) => w, null)[0]).toBe(Math.fround((2 ** 24 + 8) / 9));
  });

  it("refuses an empty ensemble and members that disagree on the prediction's length", () => {
    expect(() => averagePredictions([], predict)).toThrow(/at least one member/);
    const ragged = [{ weights: Float32Array.of(1, 2) }, { weights: Float32Array.of(1) }];
    expect(() => averagePredictions(ragged, (w) => w, 0)).toThrow(/member 1 predicts 1 values, member 0 2/);
  });
});
