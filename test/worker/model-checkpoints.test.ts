import { describe, expect, it } from "vitest";
import { encodeSafetensors, parseSafetensors, readTensor } from "../../src/formats/safetensors";
import { call, uniqueName } from "./support/api";
import { storedState } from "./support/snapshot";

const tensors = [
  { name: "w", shape: [4, 50] },
  { name: "b", shape: [4] },
];
const manifest = { tensors, shard_size: 128, config: { rule: "adam", hyper: { lr: 0.05 }, rate_limit: null } };
const gradient = (k: number) =>
  encodeSafetensors({
    w: { shape: [4, 50], data: Float32Array.from({ length: 200 }, (_, i) => Math.cos(k * 3 + i)) },
    b: { shape: [4], data: Float32Array.from({ length: 4 }, (_, i) => Math.sin(k + i)) },
  });

async function model(): Promise<string> {
  const name = uniqueName("mc");
  expect((await call(`/v1/models/${name}`, { method: "PUT", json: manifest })).status).toBe(201);
  return name;
}
const push = (name: string, k: number) => call(`/v1/models/${name}/gradients`, { method: "POST", body: gradient(k), headers: { "content-type": "application/octet-stream" } });
async function tensorsOf(res: Response): Promise<Record<string, number[]>> {
  expect(res.status).toBe(200);
  const file = parseSafetensors(new Uint8Array(await res.arrayBuffer()));
  return Object.fromEntries([...file.tensors.keys()].map((n) => [n, Array.from(readTensor(file, n))]));
}
const snapshot = async (name: string, headers: Record<string, string> = {}) => {
  const res = await call(`/v1/models/${name}/checkpoints`, { method: "POST", json: { label: "l" }, headers });
  expect(res.status).toBe(201);
  return res.json<{ id: number; shards: Record<string, number>; versions: Record<string, number> }>();
};

describe("model checkpoints", () => {
  it("snapshots every shard, reads the checkpoint back, and restores it so that training continues identically", async () => {
    const name = await model();
    await push(name, 1);
    const k = await snapshot(name);
    expect(Object.keys(k.shards)).toEqual([`${name}:0`, `${name}:1`]);
    expect(Object.values(k.versions)).toEqual([1, 1]);
    const atCheckpoint = await tensorsOf(await call(`/v1/models/${name}/weights`));
    expect(await tensorsOf(await call(`/v1/models/${name}/checkpoints/${k.id}/weights`))).toEqual(atCheckpoint);
    const continued = await tensorsOf(await push(name, 2));
    await push(name, 3);
    const restored = await call(`/v1/models/${name}/checkpoints/${k.id}/restore`, { method: "POST" });
    expect(restored.status).toBe(200);
    expect((await restored.json<any>()).shards.map((s: any) => s.version)).toEqual([4, 4]);
    expect(await tensorsOf(await call(`/v1/models/${name}/weights`))).toEqual(atCheckpoint);
    expect(await tensorsOf(await push(name, 2))).toEqual(continued);
  });

  it("retrying a snapshot with the same Idempotency-Key records it once", async () => {
    const name = await model();
    const a = await snapshot(name, { "idempotency-key": "snap" });
    const b = await snapshot(name, { "idempotency-key": "snap" });
    expect(b.id).toBe(a.id);
    expect((await (await call(`/v1/models/${name}/checkpoints`)).json<any>()).checkpoints).toHaveLength(1);
  });

  it("averages chosen checkpoints and the last k (the ensemble of a model)", async () => {
    const name = await model();
    const snaps: Record<string, number[]>[] = [];
    const ids: number[] = [];
    for (const k of [1, 2, 3]) {
      await push(name, k);
      ids.push((await snapshot(name)).id);
      snaps.push(await tensorsOf(await call(`/v1/models/${name}/weights`)));
    }
    const mean = (which: number[]) =>
      Object.fromEntries(Object.keys(snaps[0]!).map((t) => [t, snaps[0]![t]!.map((_, i) => Math.fround(which.reduce((s, j) => s + snaps[j]![t]![i]!, 0) / which.length))]));
    const chosen = await call(`/v1/models/${name}/ensemble?checkpoints=${ids[0]},${ids[2]}`);
    expect(chosen.headers.get("x-checkpoints")).toBe(`${ids[0]},${ids[2]}`);
    expect(await tensorsOf(chosen)).toEqual(mean([0, 2]));
    expect(await tensorsOf(await call(`/v1/models/${name}/ensemble?last=2`))).toEqual(mean([1, 2]));
    expect((await call(`/v1/models/${name}/ensemble?checkpoints=999`)).status).toBe(404);
  });

  it("deletes a checkpoint of every shard", async () => {
    const name = await model();
    const k = await snapshot(name);
    expect((await call(`/v1/models/${name}/checkpoints/${k.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await call(`/v1/models/${name}/checkpoints/${k.id}/weights`)).status).toBe(404);
    expect((await call(`/v1/shards/${name}:0/checkpoints`)).status).toBe(200);
    expect((await (await call(`/v1/shards/${name}:0/checkpoints`)).json<any>()).checkpoints).toEqual([]);
  });
});

describe("model restore in rounds mode", () => {
  it("refuses a restore while one shard's round has pushes (409 round-open, naming it), restoring no shard", async () => {
    const name = uniqueName("mr");
    const config = { rule: "sgd", hyper: { lr: 0.1 }, rate_limit: null, aggregation: { mode: "rounds", quorum: 2 } };
    const rounds = { tensors: [{ name: "w", shape: [4] }, { name: "b", shape: [4] }], shard_size: 4, config, overrides: [{ match: "b", config: { ...config, non_finite: "skip" } }] };
    expect((await call(`/v1/models/${name}`, { method: "PUT", json: rounds })).status).toBe(201);
    const { id } = await snapshot(name);
    // A push that shard 'b' skips (NaN, under its policy) and shard 'w' counts in its open round: one shard has a push waiting, the other none.
    const nan = encodeSafetensors({ w: { shape: [4], data: Float32Array.of(1, 1, 1, 1) }, b: { shape: [4], data: Float32Array.of(NaN, 1, 1, 1) } });
    const pushed = await call(`/v1/models/${name}/gradients`, { method: "POST", body: nan, headers: { "content-type": "application/octet-stream", prefer: "return=minimal" } });
    expect(pushed.status, await pushed.clone().text()).toBe(202);
    const before = await Promise.all([0, 1].map((i) => storedState(`${name}:${i}`)));
    const res = await call(`/v1/models/${name}/checkpoints/${id}/restore`, { method: "POST" });
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ type: "/problems/round-open", shard: `${name}:0`, contributors: 1 });
    expect(await Promise.all([0, 1].map((i) => storedState(`${name}:${i}`)))).toEqual(before);
  });
});
