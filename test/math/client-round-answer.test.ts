/**
 * A push that the server counted in an open round (202) is answered as a value, never thrown:
 * `pushGradient` answers the round's receipt with no weights, `pushModelGradients` the shards'
 * receipts with no tensors. Each call sends one request (a counted push is not retried).
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createShardstep, type Shardstep } from "../../packages/client/src/index";

const receipt = { number: 4, closed: false, contributors: 1, quorum: 3, deadline: "2026-01-01T00:00:30.000Z", rolled: false };
const summary = { version: 3, revision: 3, lr: 0, applied: false, non_finite: 0, staleness: 0, staleness_scale: 1, offset: 0, count: 2, replayed: false, round: receipt };
const answers: Record<string, unknown> = {
  "/v1/shards/fed/gradients": summary,
  "/v1/models/fed/gradients": { shards: [{ shard: "fed.w", ...summary }] },
};
let requests = 0;
const server = createServer((req, res) => {
  requests++;
  req.resume().on("end", () => {
    res.writeHead(202, { "content-type": "application/json", "x-round": "4", "x-shard-version": "3", "x-shard-revision": "3", etag: '"3"' });
    res.end(JSON.stringify(answers[req.url ?? ""] ?? {}));
  });
});

let api: Shardstep;
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  api = createShardstep({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: "t" });
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("a push counted in an open round (202)", () => {
  it("pushGradient answers the receipt, with no weights", async () => {
    const before = requests;
    const answer = await api.pushGradient("fed", Float32Array.of(1, 2), { clientId: "a", baseVersion: 3 });
    expect(answer).toMatchObject({ version: 3, weightsVersion: 3, revision: 3, lr: 0, replayed: false, offset: 0, receipt });
    expect(answer.weights).toHaveLength(0);
    expect(requests - before).toBe(1);
  });

  it("pushModelGradients answers the shards' receipts, with no tensors", async () => {
    const before = requests;
    const answer = await api.pushModelGradients("fed", { w: Float32Array.of(1, 2) }, { clientId: "a" });
    expect(answer.receipts).toEqual({ shards: [{ shard: "fed.w", ...summary }] });
    expect(answer).toMatchObject({ tensors: {}, shapes: {}, version: undefined, etag: "" });
    expect(answer.bytes).toHaveLength(0);
    expect(requests - before).toBe(1);
  });
});
