import { describe, expect, it } from "vitest";
import { encodeSafetensors } from "../../src/formats/safetensors";
import { BASE, call, floatsOf, token, uniqueName } from "./support/api";
import { workerFetch } from "./support/contract";
import { LiveClient, openLive } from "./support/live";

const manifest = { tensors: [{ name: "w", shape: [2, 3] }, { name: "b", shape: [2] }], shard_size: 6, config: { rule: "sgd", hyper: { lr: 0.5 }, rate_limit: null } };

async function createModel(): Promise<string> {
  const name = uniqueName("lm");
  const res = await call(`/v1/models/${name}`, { method: "PUT", json: manifest });
  expect(res.status, await res.clone().text()).toBe(201);
  return name;
}

async function openModelShard(model: string, index: number, query = ""): Promise<Response> {
  const headers = new Headers({ upgrade: "websocket" });
  if (!query) headers.set("authorization", `Bearer ${await token()}`);
  return workerFetch(`${BASE}/v1/models/${model}/live/${index}${query}`, { headers });
}

describe("live sessions of a model", () => {
  it("pushes each shard's chunk as the model, exactly once with the model's HTTP push of the same key", async () => {
    const model = await createModel();
    const sessions = await Promise.all([0, 1].map(async (i) => {
      const res = await openModelShard(model, i);
      expect(res.status).toBe(101);
      const client = new LiveClient(res.webSocket!);
      expect((await client.expect("welcome")).header).toMatchObject({ shard: `${model}:${i}`, version: 0 });
      return client;
    }));
    // The shard API refuses pushes to a model's shard; the model's session takes them.
    const direct = (await openLive(`${model}:0`)).client;
    direct.send("push", { key: "d" }, [1, 1, 1, 1, 1, 1]);
    expect((await direct.expect("problem")).header).toMatchObject({ problem: { type: "/problems/owned-by-model" } });
    direct.close();
    sessions[0]!.send("push", { key: "k1", answer: "weights" }, [1, 2, 3, 4, 5, 6]);
    sessions[1]!.send("push", { key: "k1", answer: "weights" }, [2, -2]);
    expect([...(await sessions[0]!.expect("answer")).payload]).toEqual([-0.5, -1, -1.5, -2, -2.5, -3]);
    expect((await sessions[1]!.expect("answer")).header).toMatchObject({ key: "k1", version: 1, replayed: false });
    // The model's HTTP push of the same key replays on every shard: nothing is applied twice.
    const file = encodeSafetensors({ w: { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }, b: { shape: [2], data: Float32Array.from([2, -2]) } });
    const http = await call(`/v1/models/${model}/gradients`, { method: "POST", body: file, headers: { "content-type": "application/octet-stream", "idempotency-key": "k1" } });
    expect(http.status).toBe(200);
    expect(http.headers.get("idempotent-replayed")).toBe("true");
    const weights = await floatsOf(await call(`/v1/shards/${model}:1/weights`));
    expect([...weights]).toEqual([-1, 1]);
    for (const s of sessions) s.close();
  });

  it("opens every shard with the model's tickets, once each; an index past the layout is 404", async () => {
    const model = await createModel();
    const res = await call(`/v1/models/${model}/live/tickets`, { method: "POST", scopes: ["read"] });
    expect(res.status).toBe(201);
    const { tickets } = (await res.json()) as { tickets: { ticket: string; shard: string; index: number }[] };
    expect(tickets.map((t) => [t.index, t.shard])).toEqual([[0, `${model}:0`], [1, `${model}:1`]]);
    // A ticket opens its own shard's session only.
    const crossed = await openModelShard(model, 1, `?ticket=${tickets[0]!.ticket}`);
    expect(crossed.status).toBe(401);
    const opened = await openModelShard(model, 1, `?ticket=${tickets[1]!.ticket}`);
    expect(opened.status).toBe(101);
    const client = new LiveClient(opened.webSocket!);
    await client.expect("welcome");
    client.send("push", { key: "r" }, [1, 1]);
    expect((await client.expect("problem")).header).toMatchObject({ problem: { type: "/problems/forbidden" } });
    client.close();
    expect((await openModelShard(model, 1, `?ticket=${tickets[1]!.ticket}`)).status).toBe(401);
    expect((await openModelShard(model, 2)).status).toBe(404);
    expect((await openModelShard("no-such-model-live", 0)).status).toBe(404);
  });
});
