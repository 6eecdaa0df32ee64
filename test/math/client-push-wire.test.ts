/**
 * What a push puts on the wire: exactly the bytes of the Float32Array it is given (a view into a
 * larger buffer sends only its own), its headers, and no invitation to compress the small answer.
 */
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createShardstep } from "../../packages/client/src/index";

const seen: { headers: IncomingHttpHeaders; body: Buffer }[] = [];
const summary = { version: 1, revision: 1, lr: 0.001, applied: true, non_finite: 0, staleness: 0, staleness_scale: 1, offset: 0, count: 3, replayed: false };
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    seen.push({ headers: req.headers, body: Buffer.concat(chunks) });
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(summary));
  });
});

beforeAll(() => new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve)));
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("a push on the wire", () => {
  it("sends the view's bytes, its headers, and Accept-Encoding: identity", async () => {
    const api = createShardstep({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: "t", retry: false });
    const backing = Float32Array.of(9, 1.5, -2, 3.25, 9);
    const answer = await api.pushGradientSummary("s", backing.subarray(1, 4), { idempotencyKey: "k1", clientId: "c" });
    expect(answer).toMatchObject({ version: 1, applied: true });
    const { headers, body } = seen.at(-1)!;
    expect(Array.from(new Float32Array(body.buffer, body.byteOffset, body.byteLength / 4))).toEqual([1.5, -2, 3.25]);
    expect(headers).toMatchObject({
      "content-type": "application/octet-stream",
      "content-length": "12",
      "accept-encoding": "identity",
      "idempotency-key": "k1",
      "x-client-id": "c",
      prefer: "return=minimal",
      authorization: "Bearer t",
    });
  });
});
