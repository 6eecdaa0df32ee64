import { describe, expect, it } from "vitest";
import { call, uniqueName } from "./support/api";

/**
 * The same query answers the same on a shard and on a model. Ensembles: `last=k` averages the newest
 * k checkpoints, and asking for more than there are is 409 too-few-checkpoints with `available` (a
 * mean of fewer than asked would be another ensemble than the one named); an unknown id is 404.
 * Negotiation: an Accept that takes none of a read's representations is 406 on both.
 */

interface Owner {
  kind: string;
  make: () => Promise<string>;
  snapshot: (path: string) => Promise<void>;
  /** Reads that answer vectors (raw float32 or safetensors); `{id}` is a checkpoint's. */
  reads: string[];
}

const OWNERS: Owner[] = [
  {
    kind: "shard",
    make: async () => {
      const path = `/v1/shards/${uniqueName("es")}`;
      expect((await call(path, { method: "PUT", json: { length: 3, rule: "sgd", averages: { ema: { kind: "ema", decay: 0.5 } } } })).status).toBe(201);
      return path;
    },
    snapshot: async (path) => expect((await call(`${path}/checkpoints`, { method: "POST", json: {} })).status).toBe(201),
    reads: ["/weights", "/point", "/averages/ema", "/state", "/checkpoints/{id}/weights", "/ensemble?last=1"],
  },
  {
    kind: "model",
    make: async () => {
      const path = `/v1/models/${uniqueName("em")}`;
      expect((await call(path, { method: "PUT", json: { tensors: [{ name: "w", shape: [3] }], config: { rule: "sgd", averages: { ema: { kind: "ema", decay: 0.5 } } } } })).status).toBe(201);
      return path;
    },
    snapshot: async (path) => expect((await call(`${path}/checkpoints`, { method: "POST", json: {} })).status).toBe(201),
    reads: ["/weights", "/point", "/averages/ema", "/state", "/checkpoints/{id}/weights", "/ensemble?last=1"],
  },
];

/** The ids of the checkpoints of a shard or a model, oldest first (a model's are numbered across models). */
const idsOf = async (path: string) => ((await (await call(`${path}/checkpoints`)).json()) as { checkpoints: { id: number }[] }).checkpoints.map((k) => k.id);

const answer = async (res: Response) => [res.status, res.status === 200 ? res.headers.get("x-checkpoints") : ((await res.json()) as { type: string; available?: number })];

describe("the same query, the same answer on shards and models", () => {
  it.each(OWNERS.map((o) => [o.kind, o] as const))("%s: ensembles of checkpoints", async (_kind, owner) => {
    const path = await owner.make();
    expect(await answer(await call(`${path}/ensemble?last=1`))).toEqual([409, expect.objectContaining({ type: "/problems/too-few-checkpoints", available: 0 })]);
    await owner.snapshot(path);
    await owner.snapshot(path);
    const [a, b] = await idsOf(path);
    expect(await answer(await call(`${path}/ensemble?last=2`))).toEqual([200, `${a},${b}`]);
    expect(await answer(await call(`${path}/ensemble?last=1`))).toEqual([200, `${b}`]);
    expect(await answer(await call(`${path}/ensemble?last=50`))).toEqual([409, expect.objectContaining({ type: "/problems/too-few-checkpoints", available: 2 })]);
    expect(await answer(await call(`${path}/ensemble?checkpoints=${a},999999`))).toEqual([404, expect.objectContaining({ type: "/problems/not-found", missing: [999999] })]);
  });

  it.each(OWNERS.map((o) => [o.kind, o] as const))("%s: an Accept that takes none of a read's representations is 406; one that takes raw bytes is 200", async (_kind, owner) => {
    const path = await owner.make();
    await owner.snapshot(path);
    const [id] = await idsOf(path);
    for (const read of owner.reads.map((r) => r.replace("{id}", String(id)))) {
      const refused = await call(path + read, { headers: { accept: "text/html" } });
      expect([read, refused.status, ((await refused.json()) as { type: string }).type]).toEqual([read, 406, "/problems/not-acceptable"]);
      for (const accept of ["application/octet-stream", "*/*", "text/html, application/*;q=0.5"]) {
        const served = await call(path + read, { headers: { accept } });
        expect([read, accept, served.status]).toEqual([read, accept, 200]);
        await served.arrayBuffer();
      }
    }
  });
});
