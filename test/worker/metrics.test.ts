import { describe, expect, it } from "vitest";
import { initPlateau, observeMetric, resolveSchedule, type PlateauSpec } from "../../src/optim";
import { call, createShard, push } from "./support/api";
import { storedState } from "./support/snapshot";

describe("POST /v1/shards/{shard}/metrics", () => {
  it("drives reduce-on-plateau: the next updates use the reduced learning rate", async () => {
    const schedule = { type: "plateau", patience: 1, factor: 0.5, threshold: 0 };
    const name = await createShard({ length: 2, rule: "sgd", hyper: { lr: 1 }, schedule });
    const spec = resolveSchedule(schedule) as PlateauSpec;
    let expected = initPlateau(spec, 1);
    const losses = [1.0, 0.9, 0.95, 0.97, 0.99, 0.5];
    for (const loss of losses) {
      await push(name, [1, 1]);
      const res = await call(`/v1/shards/${name}/metrics`, { method: "POST", json: { value: loss, client_id: "eval" } });
      expect(res.status).toBe(200);
      expected = observeMetric(spec, expected, loss);
      expect(await res.json()).toMatchObject({ lr: expected.lr, plateau: { bad_epochs: expected.bad_epochs } });
    }
    expect(expected.lr).toBe(0.5);
    expect(Number((await push(name, [1, 1])).headers.get("x-learning-rate"))).toBe(0.5);
  });

  it("records metrics for other schedules without changing the learning rate", async () => {
    const name = await createShard({ length: 1, rule: "sgd", hyper: { lr: 0.3 } });
    const res = await call(`/v1/shards/${name}/metrics`, { method: "POST", json: { value: 2 } });
    expect(await res.json()).toMatchObject({ version: 0, lr: 0.3, plateau: null });
  });

  it.each([
    [{ value: "low" }, 400],
    [{ loss: 1 }, 400],
    [{ value: 1, extra: true }, 400],
  ])("refuses %j, changing nothing", async (body, status) => {
    const name = await createShard({ length: 1, rule: "sgd" });
    const before = await storedState(name);
    const res = await call(`/v1/shards/${name}/metrics`, { method: "POST", json: body });
    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(await storedState(name)).toBe(before);
  });
});
