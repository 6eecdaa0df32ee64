import { workerFetch } from "./support/contract";
import { describe, expect, it } from "vitest";

describe("edge", () => {
  it("answers /health", async () => {
    const res = await workerFetch("http://shardstep.test/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok", service: "shardstep" });
  });

  it("lists every rule with its PyTorch defaults", async () => {
    const res = await workerFetch("http://shardstep.test/v1/rules");
    const body = (await res.json()) as { rules: { name: string; defaults: Record<string, unknown> }[] };
    expect(body.rules.map((r) => r.name)).toContain("adam");
    expect(body.rules.find((r) => r.name === "adam")?.defaults).toMatchObject({ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8 });
  });

  it("answers unknown routes with problem+json", async () => {
    const res = await workerFetch("http://shardstep.test/nope");
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(await res.json()).toMatchObject({ type: "/problems/not-found", status: 404, instance: "/nope" });
  });

  it("answers a route of no operation before authentication: 404 for an unknown path, 405 with Allow for another method", async () => {
    const unknown = await workerFetch("http://shardstep.test/v1/shards/s/nope");
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ type: "/problems/not-found" });
    const tokens: Record<string, string>[] = [{}, { authorization: "Bearer not-a-token" }];
    for (const auth of tokens) {
      const res = await workerFetch("http://shardstep.test/v1/shards/s/weights", { method: "PATCH", headers: auth });
      expect(res.status).toBe(405);
      expect(res.headers.get("allow")).toBe("GET, HEAD, PUT");
      expect(await res.json()).toMatchObject({ type: "/problems/method-not-allowed", allow: ["GET", "HEAD", "PUT"] });
    }
    // A known route still asks for its token.
    expect((await workerFetch("http://shardstep.test/v1/shards/s/weights")).status).toBe(401);
  });
});
