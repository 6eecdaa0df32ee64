import { refuse } from "../../problems";

/**
 * Reads a gradient that streams in (a large push's body, handed on by the edge as it arrives) into
 * one buffer of its declared length, which the push then applies: no whole copy at the edge and
 * none in an RPC message. Each read fills the buffer in place (a BYOB reader). Not straight into
 * the engine's memory: a BYOB read takes over the buffer it fills, which a WebAssembly memory's
 * cannot be (test/worker/streamed-gradient.test.ts), and a body arrives across awaits during which
 * other pushes use the engine's gradient region. Refuses a body that is not `byteLength` bytes.
 */
export async function readGradient(body: ReadableStream<Uint8Array>, byteLength: number): Promise<ArrayBuffer> {
  let buffer = new ArrayBuffer(byteLength);
  let at = 0;
  const reader = body.getReader({ mode: "byob" });
  try {
    while (at < byteLength) {
      const { done, value } = await reader.read(new Uint8Array(buffer, at, byteLength - at));
      if (value) buffer = value.buffer as ArrayBuffer;
      if (done || !value) break;
      at += value.byteLength;
    }
    if (at < byteLength) refuse("wrong-length", `the gradient ended after ${at} of the ${byteLength} bytes its Content-Length declares`);
    if (!(await reader.read(new Uint8Array(1))).done) refuse("wrong-length", `the gradient is longer than the ${byteLength} bytes its Content-Length declares`);
  } catch (e) {
    await reader.cancel().catch(() => undefined);
    throw e;
  }
  return buffer;
}
