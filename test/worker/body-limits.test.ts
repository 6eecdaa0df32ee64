import { describe, expect, it } from "vitest";
import { MAX_BODY_BYTES, MAX_JSON_BODY_BYTES } from "../../src/limits";
import { call, createShard, uniqueName } from "./support/api";

/** A body with no Content-Length: `bytes` bytes of `fill`, in 1 MiB chunks. */
function streamed(bytes: number, fill = 0x20): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= bytes) return controller.close();
      const n = Math.min(1024 * 1024, bytes - sent);
      controller.enqueue(new Uint8Array(n).fill(fill));
      sent += n;
    },
  });
}

const send = (path: string, method: string, type: string, bytes: number) =>
  call(path, { method, body: streamed(bytes), headers: { "content-type": type }, duplex: "half" } as Parameters<typeof call>[1]);

describe("bodies without a Content-Length are refused as they stream past their limit", () => {
  it("a JSON body (a route whose schema validates it)", async () => {
    const res = await send(`/v1/shards/${uniqueName()}`, "PUT", "application/json", MAX_JSON_BODY_BYTES + 1);
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ type: "/problems/body-too-large", limit: MAX_JSON_BODY_BYTES });
  });

  it("a float32 body, and its JSON form", async () => {
    const name = await createShard({ length: 4, rule: "sgd" });
    const raw = await send(`/v1/shards/${name}/gradients`, "POST", "application/octet-stream", MAX_BODY_BYTES + 4);
    expect(raw.status).toBe(413);
    expect(await raw.json()).toMatchObject({ type: "/problems/body-too-large", limit: MAX_BODY_BYTES });
    const json = await send(`/v1/shards/${name}/weights`, "PUT", "application/json", MAX_JSON_BODY_BYTES + 1);
    expect(json.status).toBe(413);
    expect(await json.json()).toMatchObject({ type: "/problems/body-too-large", limit: MAX_JSON_BODY_BYTES });
    expect((await call(`/v1/shards/${name}`)).status).toBe(200);
  });

  it("while a body within its limit is read whole", async () => {
    const name = await createShard({ length: 4, rule: "sgd", hyper: { lr: 1 } });
    const res = await call(`/v1/shards/${name}/gradients`, {
      method: "POST",
      body: new ReadableStream({ start: (c) => (c.enqueue(new Uint8Array(Float32Array.from([1, 2, 3, 4]).buffer)), c.close()) }),
      headers: { "content-type": "application/octet-stream", prefer: "return=minimal" },
      duplex: "half",
    } as Parameters<typeof call>[1]);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ version: 1, count: 4 });
  });
});
