import { env } from "cloudflare:workers";
import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { encodeSafetensors, parseSafetensors, readTensor } from "../../src/formats/safetensors";
import { call, floatsOf, push, uniqueName } from "./support/api";

const at = (sweep: string, rest = "") => `/v1/sweeps/${sweep}${rest}`;
const jsonOf = async <T = Record<string, any>>(res: Response | Promise<Response>) => (await res).json<T>();

const template = { shard: { length: 4, rule: "sgd", hyper: { lr: 0.1, momentum: 0.9 }, init: { kind: "normal", std: 0.1, seed: 7 }, rate_limit: null } };
const space = {
  lr: { kind: "log_uniform", low: 1e-4, high: 1, target: "hyper.lr" },
  momentum: { kind: "uniform", low: 0.5, high: 0.99, target: "hyper.momentum" },
  batch: { kind: "int", low: 16, high: 256, log: true },
};
const config = (extra: Record<string, unknown> = {}) => ({ objective: { metric: "loss" }, space, template, seed: 11, budget: { trials: 6, parallel: 2, resource: 10 }, ...extra });

async function createSweep(body: unknown, name = uniqueName("sw")): Promise<string> {
  const res = await call(at(name), { method: "PUT", json: body });
  if (res.status !== 201) throw new Error(`create ${name}: ${res.status} ${await res.text()}`);
  return name;
}

const ask = (sweep: string, key?: string) => call(at(sweep, "/trials"), { method: "POST", json: { worker: "w" }, headers: key ? { "idempotency-key": key } : {} });
const report = (sweep: string, lease: any, step: number, loss: number, checkpoint = false) =>
  call(at(sweep, `/trials/${lease.trial.id}/reports`), { method: "POST", json: { lease: lease.lease.id, step, metrics: { loss }, checkpoint } });
const complete = (sweep: string, lease: any, loss: number) => call(at(sweep, `/trials/${lease.trial.id}/complete`), { method: "POST", json: { lease: lease.lease.id, metrics: { loss } } });

async function leaseOk(sweep: string, key?: string): Promise<any> {
  const body = await jsonOf(ask(sweep, key));
  if (body.status !== "leased") throw new Error(`no lease: ${JSON.stringify(body)}`);
  return body;
}

/** A deterministic objective of the parameters: a bowl in log10(lr) around -2. */
const objective = (p: Record<string, any>) => (Math.log10(p.lr) + 2) ** 2 + ((p.momentum ?? 0.9) - 0.9) ** 2;

/** Runs a sweep sequentially to its end: ask, report twice, complete; answers the trials' parameters and values. */
async function runToEnd(sweep: string, crash = false): Promise<{ params: unknown; value: unknown; state: unknown }[]> {
  for (let i = 0; i < 100; i++) {
    if (crash) abortAllDurableObjects();
    const answer = await jsonOf(ask(sweep, `k${i}`));
    if (answer.status === "done") break;
    if (answer.status !== "leased") throw new Error(JSON.stringify(answer));
    const v = objective(answer.trial.params);
    const first = await report(sweep, answer, 1, v + 1);
    if (first.status !== 200) throw new Error(`report: ${first.status} ${await first.text()}`);
    if (crash) abortAllDurableObjects();
    expect((await report(sweep, answer, 1, v + 1)).status).toBe(200);
    expect((await complete(sweep, answer, v)).status).toBe(200);
  }
  const { trials } = await jsonOf(call(at(sweep, "/trials")));
  return trials.map((t: any) => ({ params: t.params, value: t.value, state: t.state }));
}

describe("sweeps", () => {
  it("creates a sweep idempotently and refuses another configuration or an impossible one, saying how to fix it", async () => {
    const name = await createSweep(config());
    expect((await call(at(name), { method: "PUT", json: config() })).status).toBe(200);
    const listed = await jsonOf(call(`/v1/sweeps?prefix=${name}`));
    expect(listed.sweeps.map((s: any) => s.name)).toEqual([name]);
    const conflict = await call(at(name), { method: "PUT", json: config({ seed: 12 }) });
    expect(conflict.status).toBe(409);
    expect((await conflict.json<any>()).type).toBe("/problems/sweep-conflict");
    const cases: [unknown, RegExp][] = [
      [config({ space: { lr: { kind: "log_uniform", low: 0, high: 1, target: "hyper.lr" } } }), /low/],
      [config({ space: { lr: { kind: "uniform", low: 1, high: 1 } } }), /low|high/],
      [config({ space: { x: { kind: "choice", values: [] } } }), /values|choice/],
      [config({ space: { lr: { kind: "uniform", low: 0, high: 1, target: "hyper.lr" } }, template: null }), /template/],
      [config({ space: { lr: { kind: "log_uniform", low: 1e-3, high: 1, target: "hyper.nonsense" } } }), /nonsense/],
    ];
    for (const [body, message] of cases) {
      const res = await call(at(uniqueName("bad")), { method: "PUT", json: body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      const problem = await res.json<any>();
      expect(problem.type).toMatch(/^\/problems\/invalid-(config|request)$/);
      expect(problem.detail).toMatch(message);
    }
  });

  it("leases a trial whose shard has the trial's parameters, and takes reports and the completion", async () => {
    const sweep = await createSweep(config());
    const lease = await leaseOk(sweep);
    expect(lease.trial.state).toBe("running");
    expect(lease.resume).toBeNull();
    const shard = await jsonOf(call(`/v1/shards/${lease.trial.shard}`));
    expect(shard.config.hyper.lr).toBe(lease.trial.params.lr);
    expect(shard.config.hyper.momentum).toBe(lease.trial.params.momentum);
    expect(Number.isInteger(lease.trial.params.batch)).toBe(true);
    expect((await push(lease.trial.shard, [1, 2, 3, 4])).status).toBe(200);
    const r = await jsonOf(report(sweep, lease, 1, 0.5));
    expect(r.decision).toBe("continue");
    expect(r.trial.last_report).toEqual({ step: 1, value: 0.5 });
    const done = await jsonOf(complete(sweep, lease, 0.25));
    expect(done.state).toBe("complete");
    expect(done.value).toBe(0.25);
    expect(await jsonOf(complete(sweep, lease, 0.25))).toEqual(done);
    const view = await jsonOf(call(at(sweep)));
    expect(view.best.id).toBe(lease.trial.id);
    expect(view.counts.complete).toBe(1);
    // The trial's shard belongs to the sweep.
    const del = await call(`/v1/shards/${lease.trial.shard}`, { method: "DELETE" });
    expect(del.status).toBe(409);
    expect((await del.json<any>()).detail).toContain(`sweep '${sweep}'`);
  });

  it("records the parameters a chosen rule has no use for, and gives trials the template's initialisation seed", async () => {
    const sweep = await createSweep(config({ space: { rule: { kind: "choice", values: ["adam"], target: "rule" }, momentum: space.momentum }, budget: { trials: 1, parallel: 1, resource: 1 } }));
    const lease = await leaseOk(sweep);
    expect(lease.trial.unapplied).toEqual(["momentum: rule 'adam' has no 'momentum'"]);
    expect(lease.trial.seed).toBe(7);
    const shard = await jsonOf(call(`/v1/shards/${lease.trial.shard}`));
    expect(shard.config.rule).toBe("adam");
    expect(shard.config.init.seed).toBe(7);
  });

  it("answers the same lease to a retried request, the same decision to a retried report, and waits at the parallel budget", async () => {
    const sweep = await createSweep(config());
    const a = await leaseOk(sweep, "one");
    const again = await leaseOk(sweep, "one");
    expect(again.lease.id).toBe(a.lease.id);
    expect(again.replayed).toBe(true);
    await leaseOk(sweep, "two");
    const wait = await ask(sweep, "three");
    expect(wait.headers.get("retry-after")).toBe("2");
    expect((await wait.json<any>()).status).toBe("wait");
    const first = await jsonOf(report(sweep, a, 3, 1.5));
    expect(await jsonOf(report(sweep, a, 3, 1.5))).toEqual(first);
    const back = await report(sweep, a, 2, 1);
    expect(back.status).toBe(409);
    expect((await back.json<any>()).type).toBe("/problems/report-out-of-order");
  });

  const algorithms = [
    { kind: "random" },
    { kind: "grid", points: 3 },
    { kind: "coarse_to_fine", stages: [{ trials: 4, budget: 1 }, { trials: 2, budget: 3 }], shrink: 0.5 },
    { kind: "tpe", startup_trials: 3 },
  ];
  it.each(algorithms)("suggests the same trials from the same seed and results, with or without crashes of the master ($kind)", async (algorithm) => {
    const budget = algorithm.kind === "coarse_to_fine" ? { parallel: 2, resource: 1 } : { trials: 6, parallel: 2, resource: 10 };
    const plain = await runToEnd(await createSweep(config({ algorithm, budget })));
    const crashed = await runToEnd(await createSweep(config({ algorithm, budget })), true);
    expect(crashed).toEqual(plain);
    expect(plain).toHaveLength(6);
    expect(plain.every((t) => t.state === "complete")).toBe(true);
    const other = await runToEnd(await createSweep(config({ algorithm, budget, seed: 12 })));
    expect(other.map((t) => t.params)).not.toEqual(plain.map((t) => t.params));
  });

  it("gives an expired lease's trial to the next worker, its shard back at the last checkpoint", async () => {
    const sweep = await createSweep(config({ lease_seconds: 60 }));
    const a = await leaseOk(sweep);
    const shard = a.trial.shard as string;
    await push(shard, [1, 1, 1, 1]);
    expect((await jsonOf(report(sweep, a, 1, 2, true))).trial.checkpoint.step).toBe(1);
    const atCheckpoint = Array.from(await floatsOf(await call(`/v1/shards/${shard}/weights`)));
    await push(shard, [5, 5, 5, 5]);
    await report(sweep, a, 2, 1.5);
    // The worker dies: its lease runs out and the alarm requeues the trial.
    const stub = env.SWEEPS.get(env.SWEEPS.idFromName(sweep));
    await runInDurableObject(stub, (_, state) => state.storage.sql.exec("UPDATE trials SET lease_expires = 1 WHERE id = ?", a.trial.id));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const b = await leaseOk(sweep);
    expect(b.trial.id).toBe(a.trial.id);
    expect(b.trial.leases).toBe(2);
    expect(b.resume).toEqual({ id: a.trial.id === b.trial.id ? b.trial.checkpoint.id : -1, step: 1 });
    expect(b.trial.reports).toBe(1);
    expect(Array.from(await floatsOf(await call(`/v1/shards/${shard}/weights`)))).toEqual(atCheckpoint);
    const late = await report(sweep, a, 3, 1);
    expect(late.status).toBe(409);
    expect((await late.json<any>()).type).toBe("/problems/lease-lost");
    expect((await jsonOf(complete(sweep, b, 0.5))).state).toBe("complete");
  });

  it("prunes a trial whose curve is worse than the median of the finished ones", async () => {
    const sweep = await createSweep(config({ pruner: { kind: "median", startup_trials: 2, warmup_steps: 0 }, budget: { trials: 6, parallel: 6, resource: 10 } }));
    for (const v of [1, 2]) {
      const l = await leaseOk(sweep);
      await report(sweep, l, 1, v);
      await complete(sweep, l, v);
    }
    const good = await leaseOk(sweep);
    expect((await jsonOf(report(sweep, good, 1, 0.5))).decision).toBe("continue");
    const bad = await leaseOk(sweep);
    const answer = await jsonOf(report(sweep, bad, 1, 9));
    expect(answer.decision).toBe("stop");
    expect(answer.reason).toMatch(/median/);
    expect(answer.trial.state).toBe("pruned");
  });

  it("warns when the best value lies at the edge of its range, and plots the sweep as SVG", async () => {
    const sweep = await createSweep(config({ space: { lr: { kind: "log_uniform", low: 1e-6, high: 1e-3, target: "hyper.lr" } }, budget: { trials: 8, parallel: 1, resource: 1 } }));
    await runToEnd(sweep);
    const view = await jsonOf(call(at(sweep)));
    expect(view.warnings).toHaveLength(1);
    expect(view.warnings[0]).toMatchObject({ param: "lr", side: "high" });
    for (const path of ["/plots/objective?param=lr", "/plots/curves"]) {
      const res = await call(at(sweep, path));
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toContain("image/svg+xml");
      expect(await res.text()).toMatch(/^<svg[\s\S]*<\/svg>$/);
    }
    expect((await call(at(sweep, "/plots/objective?param=nope"))).status).toBe(404);
  });

  it("replicates the best trial under other seeds and serves an ensemble's weights in one safetensors file", async () => {
    const sweep = await createSweep(config({ budget: { trials: 3, parallel: 3, resource: 1 } }));
    await runToEnd(sweep);
    const best = (await jsonOf(call(at(sweep)))).best;
    const { trials } = await jsonOf(call(at(sweep, "/replicates"), { method: "POST", json: { count: 2 } }));
    expect(trials).toHaveLength(2);
    expect((await jsonOf(call(at(sweep, "/replicates"), { method: "POST", json: { count: 2 } }))).trials).toHaveLength(2);
    const seeds = new Set(trials.map((t: any) => t.seed));
    expect(seeds.size).toBe(2);
    for (const t of trials) expect(t.params).toEqual(best.params);
    for (let i = 0; i < 2; i++) {
      const l = await leaseOk(sweep);
      expect(l.trial.replicate_of).toBe(best.id);
      await complete(sweep, l, 1);
    }
    const replicaWeights = await floatsOf(await call(`/v1/shards/${trials[0].shard}/weights`));
    const bestWeights = await floatsOf(await call(`/v1/shards/${best.shard}/weights`));
    expect(Array.from(replicaWeights)).not.toEqual(Array.from(bestWeights));
    const res = await call(at(sweep, "/ensemble"));
    expect(res.status).toBe(200);
    const members = res.headers.get("x-ensemble-members")!.split(",");
    expect(members).toEqual([`trial-${best.id}`, ...trials.map((t: any) => `trial-${t.id}`)]);
    const file = parseSafetensors(new Uint8Array(await res.arrayBuffer()));
    expect(Array.from(readTensor(file, `trial-${best.id}`))).toEqual(Array.from(bestWeights));
    const top = await call(at(sweep, "/ensemble?top=2"));
    expect(top.headers.get("x-ensemble-members")!.split(",")).toHaveLength(2);
  });

  it("refuses workers without the train scope, and forgets the sweep and its trials' shards on DELETE", async () => {
    const sweep = await createSweep(config());
    expect((await call(at(sweep, "/trials"), { method: "POST", json: {}, scopes: ["read"] })).status).toBe(403);
    const lease = await leaseOk(sweep);
    expect((await call(at(sweep), { method: "DELETE" })).status).toBe(204);
    expect((await call(`/v1/shards/${lease.trial.shard}`)).status).toBe(404);
    expect((await call(at(sweep))).status).toBe(404);
    expect((await jsonOf(call(`/v1/sweeps?prefix=${sweep}`))).sweeps).toEqual([]);
  });

  it("trains each trial on a model made from a model template, resumes it from its checkpoint and serves its tensors", async () => {
    const manifest = {
      tensors: [{ name: "w", shape: [2, 3] }, { name: "b", shape: [3] }],
      config: { rule: "sgd", hyper: { lr: 0.1 }, init: { kind: "uniform", low: -1, high: 1, seed: 3 }, rate_limit: null },
    };
    const sweep = await createSweep(config({ space: { lr: space.lr }, template: { model: manifest }, budget: { trials: 2, parallel: 1, resource: 10 } }), uniqueName("msw"));
    const a = await leaseOk(sweep);
    expect(a.trial.shard).toBe(`${sweep}.trial-${a.trial.id}`);
    const model = await jsonOf(call(`/v1/models/${a.trial.shard}`));
    expect(model.shards.every((s: any) => s.rule === "sgd")).toBe(true);
    const shardConfig = await jsonOf(call(`/v1/shards/${model.shards[0].name}`));
    expect(shardConfig.config.hyper.lr).toBe(a.trial.params.lr);
    const modelWeights = async () => {
      const file = parseSafetensors(new Uint8Array(await (await call(`/v1/models/${a.trial.shard}/weights`)).arrayBuffer()));
      return ["w", "b"].map((t) => Array.from(readTensor(file, t)));
    };
    const before = await modelWeights();
    await report(sweep, a, 1, 3, true);
    const gradient = encodeSafetensors({ w: { shape: [2, 3], data: new Float32Array(6).fill(1) }, b: { shape: [3], data: new Float32Array(3).fill(1) } });
    const pushed = await call(`/v1/models/${a.trial.shard}/gradients`, { method: "POST", body: gradient, headers: { "content-type": "application/octet-stream" } });
    expect(pushed.status).toBe(200);
    expect(await modelWeights()).not.toEqual(before);
    const stub = env.SWEEPS.get(env.SWEEPS.idFromName(sweep));
    await runInDurableObject(stub, (_, state) => state.storage.sql.exec("UPDATE trials SET lease_expires = 1"));
    await runDurableObjectAlarm(stub);
    const b = await leaseOk(sweep);
    expect(b.trial.id).toBe(a.trial.id);
    expect(b.resume.step).toBe(1);
    expect(await modelWeights()).toEqual(before);
    await complete(sweep, b, 1);
    const res = await call(at(sweep, "/ensemble"));
    expect(res.status).toBe(200);
    const file = parseSafetensors(new Uint8Array(await res.arrayBuffer()));
    expect([...file.tensors.keys()].sort()).toEqual([`trial-${a.trial.id}/b`, `trial-${a.trial.id}/w`]);
    expect(file.tensors.get(`trial-${a.trial.id}/w`)!.shape).toEqual([2, 3]);
    expect((await call(at(sweep), { method: "DELETE" })).status).toBe(204);
    expect((await call(`/v1/models/${a.trial.shard}`)).status).toBe(404);
  });
});
