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
});
