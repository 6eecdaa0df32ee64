import { describe, expect, it } from "vitest";
import { RefusalError } from "../../src/problems";
import { RELEASE_MIN_BYTES } from "../../src/release";
import { readGradient } from "../../src/shard/pushes/streamed-gradient";
import { call, createShard, floatsOf, push } from "./support/api";
import { storedState } from "./support/snapshot";

/**
 * A raw gradient of RELEASE_MIN_BYTES or more by its Content-Length streams from the edge to the
 * shard, which reads it into the buffer it applies it from (src/edge/floats.ts,
 * src/shard/pushes/streamed-gradient.ts); smaller ones and bodies of undeclared length are read at
 * the edge. Both must take the same step.
 */
const LENGTH = 300_000;
const adam = { length: LENGTH, rule: "adam", hyper: { lr: 0.01 } };
const gradient = (k: number) => Float32Array.from({ length: LENGTH }, (_, i) => Math.sin(i * k + k));

/** A body without a Content-Length (a stream of unknown length): read whole at the edge. */
function unsized(values: Float32Array): ReadableStream<Uint8Array> {
  const bytes = new Uint8Array(values.buffer.slice(0));
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (let at = 0; at < bytes.byteLength; at += 65_536) controller.enqueue(bytes.slice(at, at + 65_536));
      controller.close();
    },
  });
}

/** A byte stream of `bytes` in chunks of `chunk`, as the runtime hands a body on. */
function byteStream(bytes: Uint8Array, chunk: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    type: "bytes",
    pull(controller) {
      if (at >= bytes.byteLength) return controller.close();
      controller.enqueue(bytes.slice(at, at + chunk));
      at += chunk;
    },
  });
}

const refusalOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (e: unknown) => (e instanceof RefusalError ? e.toRefusal() : e),
  );

describe("a large gradient streamed to the shard", () => {
  it("takes the same steps, bit for bit, as the same gradients read whole at the edge", async () => {
    expect(LENGTH * 4).toBeGreaterThanOrEqual(RELEASE_MIN_BYTES);
    const streamed = await createShard(adam);
    const read = await createShard(adam);
    for (const k of [1, 2]) {
      const viaStream = await push(streamed, gradient(k));
      const viaEdge = await call(`/v1/shards/${read}/gradients`, { method: "POST", body: unsized(gradient(k)), headers: { "content-type": "application/octet-stream" } });
      expect([viaStream.status, viaEdge.status]).toEqual([200, 200]);
      const [a, b] = [await floatsOf(viaStream), await floatsOf(viaEdge)];
      expect(a.length).toBe(LENGTH);
      expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    }
  });

  it("replays a retry under its Idempotency-Key, takes a partial gradient at its offset, and refuses a wrong length or a body cut short, changing nothing", async () => {
    const name = await createShard(adam);
    const first = await push(name, gradient(3), { "idempotency-key": "big-1" });
    const retry = await push(name, gradient(3), { "idempotency-key": "big-1" });
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.headers.get("x-push-version")).toBe(first.headers.get("x-push-version"));
    const reused = await push(name, gradient(4), { "idempotency-key": "big-1" });
    expect(reused.status).toBe(422);
    expect(await reused.json()).toMatchObject({ type: "/problems/idempotency-key-reused" });

    const part = await push(name, gradient(5).subarray(0, 262_144), {}, "?offset=1000");
    expect(part.status).toBe(200);
    expect(part.headers.get("x-offset")).toBe("1000");
    expect((await floatsOf(part)).length).toBe(262_144);
    const before = await storedState(name);

    const long = await push(name, new Float32Array(LENGTH + 1));
    expect(long.status).toBe(422);
    expect(await long.json()).toMatchObject({ type: "/problems/wrong-length", expected: LENGTH, received: LENGTH + 1 });
    // Only the shard reading the stream sees the body end early: so this push took that path.
    const bytes = new Uint8Array(LENGTH * 4 - 8);
    const short = await call(`/v1/shards/${name}/gradients`, {
      method: "POST",
      body: new ReadableStream<Uint8Array>({ start: (c) => (c.enqueue(bytes), c.close()) }),
      headers: { "content-type": "application/octet-stream", "content-length": String(LENGTH * 4) },
    });
    expect(short.status).toBe(422);
    expect(await short.json()).toMatchObject({ type: "/problems/wrong-length", detail: `the gradient ended after ${LENGTH * 4 - 8} of the ${LENGTH * 4} bytes its Content-Length declares` });
    expect(await storedState(name)).toBe(before);
  });
});

describe("readGradient", () => {
  const bytes = new Uint8Array(Float32Array.from({ length: 1000 }, (_, i) => i).buffer);

  it("reads a body of its declared length, in whatever chunks it arrives", async () => {
    for (const chunk of [1, 7, 4000, 5000]) {
      expect(new Uint8Array(await readGradient(byteStream(bytes, chunk), bytes.byteLength))).toEqual(bytes);
    }
  });

  it("refuses a body shorter or longer than declared", async () => {
    expect(await refusalOf(readGradient(byteStream(bytes, 512), bytes.byteLength + 4))).toMatchObject({
      code: "wrong-length",
      detail: `the gradient ended after ${bytes.byteLength} of the ${bytes.byteLength + 4} bytes its Content-Length declares`,
    });
    expect(await refusalOf(readGradient(byteStream(bytes, 512), bytes.byteLength - 4))).toMatchObject({
      code: "wrong-length",
      detail: `the gradient is longer than the ${bytes.byteLength - 4} bytes its Content-Length declares`,
    });
  });

  it("cannot read into a WebAssembly memory (why a body is not read straight into the engine's)", async () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const reader = byteStream(bytes, 512).getReader({ mode: "byob" });
    await expect(reader.read(new Uint8Array(memory.buffer, 0, 512))).rejects.toThrow(TypeError);
  });
});
