import { describe, expect, it } from "vitest";
import { call, uniqueName } from "./support/api";

/**
 * The same ensemble query answers the same on a shard and on a model: `last=k` averages the newest k
 * checkpoints, and asking for more than there are is 409 too-few-checkpoints with `available`
 * (a mean of fewer than asked would be another ensemble than the one named); an unknown id is 404.
 */

interface Owner {
  kind: string;
  make: () => Promise<string>;
  snapshot: (path: string) => Promise<void>;
}

const OWNERS: Owner[] = [
  {
    kind: "shard",
    make: async () => {
      const path = `/v1/shards/${uniqueName("es")}`;
      expect((await call(path, { method: "PUT", json: { length: 3, rule: "sgd" } })).status).toBe(201);
      return path;
    },
    snapshot: async (path) => expect((await call(`${path}/checkpoints`, { method: "POST", json: {} })).status).toBe(201),
  },
  {
    kind: "model",
    make: async () => {
      const path = `/v1/models/${uniqueName("em")}`;
      expect((await call(path, { method: "PUT", json: { tensors: [{ name: "w", shape: [3] }], config: { rule: "sgd" } } })).status).toBe(201);
      return path;
    },
    snapshot: async (path) => expect((await call(`${path}/checkpoints`, { method: "POST", json: {} })).status).toBe(201),
  },
];

const answer = async (res: Response) => [res.status, res.status === 200 ? res.headers.get("x-checkpoints") : ((await res.json()) as { type: string; available?: number })];

describe("ensembles of checkpoints: the same query, the same answer on shards and models", () => {
  it.each(OWNERS.map((o) => [o.kind, o] as const))("%s", async (_kind, owner) => {
    const path = await owner.make();
    expect(await answer(await call(`${path}/ensemble?last=1`))).toEqual([409, expect.objectContaining({ type: "/problems/too-few-checkpoints", available: 0 })]);
    await owner.snapshot(path);
    await owner.snapshot(path);
    expect(await answer(await call(`${path}/ensemble?last=2`))).toEqual([200, "1,2"]);
    expect(await answer(await call(`${path}/ensemble?last=1`))).toEqual([200, "2"]);
    expect(await answer(await call(`${path}/ensemble?last=50`))).toEqual([409, expect.objectContaining({ type: "/problems/too-few-checkpoints", available: 2 })]);
    expect(await answer(await call(`${path}/ensemble?checkpoints=1,9`))).toEqual([404, expect.objectContaining({ type: "/problems/not-found", missing: [9] })]);
  });
});
