import { env } from "cloudflare:workers";
import { abortAllDurableObjects, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { averageInForce, createReferenceEngine, initAverage, learningRateAt, resolveSchedule, updateAverage, type AverageSpec, type Hyper } from "../../src/optim";
import type { Resident } from "../../src/shard/store/resident";
import type { ShardStore } from "../../src/shard/store/store";
import { TrajectoryTolerance } from "../support/tolerance";
import { call, createShard, floatsOf, push } from "./support/api";
import { storedVector } from "./support/snapshot";

const LENGTH = 37;
const gradient = (k: number) => Array.from({ length: LENGTH }, (_, i) => Math.sin(5 * k + i) * (1 + (i % 3)) * 1.37);
const init = Array.from({ length: LENGTH }, (_, i) => Math.cos(i) * 0.5);
const ULP_TOLERANCE = 32;

/** The shard object's store, inside its Durable Object. */
const inObject = <T>(name: string, f: (store: ShardStore) => T): Promise<T> =>
  runInDurableObject(env.SHARDS.get(env.SHARDS.idFromName(name)), (instance: unknown) => f((instance as { store: ShardStore }).store));

async function started(config: Record<string, unknown>): Promise<string> {
  const name = await createShard({ length: LENGTH, page_floats: 16, rate_limit: null, ...config });
  expect((await call(`/v1/shards/${name}/weights`, { method: "PUT", floats: init })).status).toBe(204);
  return name;
}

/** The reference engine's weights after pushes of gradient(0..steps-1) with `hyperAt(k)` in force and lr `lrAt(k)`. */
function reference(rule: "sgd", structure: Hyper, steps: number, lrAt: (k: number) => number, hyperAt: (k: number) => Hyper): Float32Array[] {
  const engine = createReferenceEngine(rule, structure, LENGTH);
  engine.params.set(init);
  return Array.from({ length: steps }, (_, k) => {
    engine.gradient.set(gradient(k));
    engine.step(lrAt(k), 0, LENGTH, hyperAt(k));
    return Float32Array.from(engine.params);
  });
}

async function pushAll(name: string, from: number, to: number, expected: Float32Array[]): Promise<void> {
  const tolerance = new TrajectoryTolerance(Float32Array.from(init));
  for (let k = 0; k < to; k++) {
    if (k < from) {
      tolerance.check(expected[k]!, expected[k]!);
      continue;
    }
    const res = await push(name, gradient(k));
    expect(res.status).toBe(200);
    const worst = tolerance.check(await floatsOf(res), expected[k]!);
    expect(worst.ulps, `step ${k + 1} [${worst.index}] ${worst.actual} vs ${worst.expected}`).toBeLessThanOrEqual(ULP_TOLERANCE);
  }
}

describe("a live change of a schedule or of a hyperparameter keeps the optimizer state", () => {
  it("the resident engine and its state survive byte for byte, and the new schedule counts from the change", async () => {
    const name = await started({ rule: "sgd", hyper: { lr: 0.05, momentum: 0.9 } });
    const momentum = resolveSchedule({ type: "exponential", gamma: 0.9 });
    const hyperAt = (k: number): Hyper => ({ lr: 0.05, momentum: k < 3 ? 0.9 : learningRateAt(momentum, 0.5, k - 3), dampening: 0, weight_decay: 0, nesterov: false, maximize: false, ema_momentum: false });
    const expected = reference("sgd", hyperAt(0), 6, () => 0.05, hyperAt);
    await pushAll(name, 0, 3, expected);

    const before = await inObject(name, (store) => {
      const resident = store.existing();
      return { resident, memory: new Uint8Array(resident.engine.memory.buffer.slice(0)) };
    });
    const storedBefore = await storedVector(name, "slot:momentum_buffer");
    const res = await call(`/v1/shards/${name}`, { method: "PATCH", json: { hyper: { momentum: 0.5 }, schedules: { momentum: { type: "exponential", gamma: 0.9 } } } });
    expect(res.status).toBe(200);
    const info = (await res.json()) as { hyper_in_force: Record<string, number>; config: { schedules: Record<string, unknown> } };
    expect(info.hyper_in_force).toEqual({ momentum: 0.5 });
    expect(info.config.schedules.momentum).toMatchObject({ type: "sequence", milestones: [3] });
    const after = await inObject(name, (store) => ({ same: store.holds(before.resident as Resident), memory: new Uint8Array(store.existing().engine.memory.buffer.slice(0)) }));
    expect(after.same).toBe(true);
    expect(after.memory).toEqual(before.memory);
    expect(await storedVector(name, "slot:momentum_buffer")).toEqual(storedBefore);

    await pushAll(name, 3, 6, expected);
    const history = (await (await call(`/v1/shards/${name}/history`)).json()) as { version: number; change: { schedules?: Record<string, unknown> } }[];
    expect(history.at(-1)).toMatchObject({ version: 3, change: { schedules: { momentum: { type: "sequence" } } } });
  });

  it("refuses a change that would remove state, and stores nothing", async () => {
    const name = await started({ rule: "sgd", hyper: { lr: 0.05, momentum: 0.9 } });
    await push(name, gradient(0));
    const storedBefore = await storedVector(name, "slot:momentum_buffer");
    const res = await call(`/v1/shards/${name}`, { method: "PATCH", json: { hyper: { momentum: 0 } } });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("adds, removes or reshapes optimizer state");
    const res2 = await call(`/v1/shards/${name}`, { method: "PATCH", json: { schedules: { nesterov: { type: "constant" } } } });
    expect(await res2.text()).toContain("schedules.nesterov: 'nesterov' is not a real number");
    expect(await storedVector(name, "slot:momentum_buffer")).toEqual(storedBefore);
  });
});

describe("a shard stored before momentum cycling existed", () => {
  it("loads its one_cycle without cycling, behaves as before, and a re-PUT of its input is the same configuration", async () => {
    const input = { rule: "sgd", hyper: { lr: 0.1 }, schedule: { type: "one_cycle", max_lr: 0.1, total_steps: 10 } };
    const name = await started({ ...input, schedule: { ...input.schedule, cycle_momentum: false } });
    await inObject(name, (store) => {
      const strip = (json: string) => {
        const config = JSON.parse(json) as Record<string, unknown> & { schedule: Record<string, unknown> };
        const { cycle_momentum: _c, base_momentum: _b, max_momentum: _m, ...schedule } = config.schedule;
        const { schedules: _s, ...rest } = config;
        return JSON.stringify({ ...rest, schedule });
      };
      const row = store.sql.exec<{ config: string; created_config: string }>("SELECT config, created_config FROM shard").one();
      store.sql.exec("UPDATE shard SET config = ?, created_config = ?", strip(row.config), strip(row.created_config));
    });
    await abortAllDurableObjects();

    const shard = (await (await call(`/v1/shards/${name}`)).json()) as { config: { schedule: Record<string, unknown>; schedules: unknown }; hyper_in_force: unknown };
    expect(shard.config.schedule).toMatchObject({ type: "one_cycle", cycle_momentum: false });
    expect(shard.config.schedules).toEqual({});
    expect(shard.hyper_in_force).toEqual({});
    const again = await call(`/v1/shards/${name}`, { method: "PUT", json: { length: LENGTH, page_floats: 16, rate_limit: null, ...input } });
    expect(again.status, await again.clone().text()).toBe(200);

    const schedule = resolveSchedule({ ...input.schedule, cycle_momentum: false });
    const hyper: Hyper = { lr: 0.1, momentum: 0, dampening: 0, weight_decay: 0, nesterov: false, maximize: false, ema_momentum: false };
    await pushAll(name, 0, 4, reference("sgd", hyper, 4, (k) => learningRateAt(schedule, 0.1, k), () => hyper));
  });
});

describe("an EMA whose decay follows a schedule", () => {
  it("folds the weights of update t in at the decay in force for t", async () => {
    const spec: AverageSpec = { kind: "ema", decay: 0.9, decay_schedule: resolveSchedule({ type: "linear", start_factor: 0.5, total_iters: 4 }) };
    const name = await started({ rule: "sgd", hyper: { lr: 0.05 }, averages: { ema: spec } });
    const average = initAverage(Float32Array.from(init));
    for (let k = 0; k < 6; k++) {
      const weights = await floatsOf(await push(name, gradient(k)));
      updateAverage(averageInForce(spec, k), average, weights, k + 1);
    }
    const served = await floatsOf(await call(`/v1/shards/${name}/averages/ema`));
    const worst = new TrajectoryTolerance(Float32Array.from(init)).check(served, average.values);
    expect(worst.ulps).toBeLessThanOrEqual(ULP_TOLERANCE);
    expect(averageInForce(spec, 0)).toEqual({ kind: "ema", decay: 0.45 });
  });
});
