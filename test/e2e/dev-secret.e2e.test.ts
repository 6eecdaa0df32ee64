/**
 * The public local-development secret through a real `wrangler dev` (docs/auth.md "Why the local
 * secret cannot leak into a deployment"): served to direct requests from this machine, through
 * wrangler's proxy and straight to the runtime's socket; refused (503) to anything that says it
 * came through a proxy, tunnel or Cloudflare's edge, or names another peer, whatever Host it sends.
 */
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminToken, DevServer } from "./support/server";

let server: DevServer;
let token: string;

beforeAll(async () => {
  server = await DevServer.start();
  token = await adminToken();
});

afterAll(async () => {
  await server?.dispose();
});

/** GET /v1/shards with exactly these headers (node:http sends Host as given). */
function get(baseUrl: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${baseUrl}/v1/shards`, { headers: { authorization: `Bearer ${token}`, ...headers } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("the local development secret under wrangler dev", () => {
  it("serves direct requests from this machine, through wrangler's proxy and to the runtime's own socket", async () => {
    expect((await get(server.baseUrl)).status).toBe(200);
    expect((await get(server.baseUrl, { host: `localhost:${server.port}` })).status).toBe(200);
    const runtime = await server.runtimeBaseUrl();
    expect(runtime).toBeDefined();
    expect((await get(runtime!)).status).toBe(200);
  });

  it.each([
    ["a reverse proxy's X-Forwarded-For", { host: "127.0.0.1:8787", "x-forwarded-for": "203.0.113.9" }, /'x-forwarded-for' header/],
    ["a Forwarded header", { host: "127.0.0.1:8787", forwarded: "for=203.0.113.9;host=shardstep.example" }, /'forwarded' header/],
    ["a tunnel's CF-Ray and CF-Connecting-IP", { "cf-ray": "8f1e2d3c4b5a6978-DFW", "cf-connecting-ip": "203.0.113.9" }, /'cf-ray' header/],
    ["another peer in CF-Connecting-IP", { host: "localhost:8787", "cf-connecting-ip": "192.0.2.2" }, /comes from '192\.0\.2\.2'/],
    ["another host", { host: "shardstep.example.com" }, /is for 'shardstep\.example\.com'/],
  ])("refuses %s with 503", async (_what, headers, detail) => {
    const res = await get(server.baseUrl, headers);
    expect(res.status).toBe(503);
    const problem = JSON.parse(res.body) as { type: string; detail: string };
    expect(problem.type).toBe("/problems/dev-secret-in-production");
    expect(problem.detail).toMatch(detail);
  });
});
