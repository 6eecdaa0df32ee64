import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { LOCAL_DEV_SECRET } from "../../src/edge/auth/dev";
import { bearerAuth, requireScope, type AuthVariables } from "../../src/edge/auth/middleware";
import { signToken, type Scope, type TokenClaims } from "../../src/edge/auth/token";
import { problemResponse } from "../../src/edge/problem";
import { RefusalError } from "../../src/problems";

// A small app of its own (not the real routes): the middleware on /v1/*, dummy routes that call
// requireScope, and the same error handling as src/edge/app.ts.
const app = new Hono<{ Bindings: Env; Variables: AuthVariables }>();
app.use("/v1/*", bearerAuth());
app.get("/v1/things/:name", (c) => {
  const principal = requireScope(c, "read", c.req.param("name"));
  return c.json({ sub: principal.sub, name: c.req.param("name") });
});
app.post("/v1/things/:name/gradients", (c) => {
  requireScope(c, "train", c.req.param("name"), "push gradients to");
  return c.json({ pushed: true });
});
app.delete("/v1/things/:name", (c) => {
  requireScope(c, "admin", c.req.param("name"));
  return c.body(null, 204);
});
app.get("/v1/whoami", (c) => c.json(c.var.principal));
app.get("/health", (c) => c.json({ status: "ok" }));
app.onError((err, c) => {
  if (err instanceof RefusalError) return problemResponse(c, err);
  throw err;
});

const SECRET = env.AUTH_SECRET!;
const HOST = "http://shardstep.test";
const now = () => Math.floor(Date.now() / 1000);

function claims(scopes: Scope[], prefix = "", extra: Partial<TokenClaims> = {}): TokenClaims {
  return { sub: "alice", scopes, prefix, iat: now(), ...extra };
}

async function call(path: string, init: RequestInit & { token?: string } = {}, bindings: Partial<Env> = env) {
  const { token, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (token !== undefined) headers.set("Authorization", `Bearer ${token}`);
  const url = path.startsWith("http") ? path : `${HOST}${path}`;
  return app.request(url, { ...rest, headers }, bindings);
}

async function problem(res: Response, status: number, type: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  const body = (await res.json()) as { type: string; status: number; detail: string; [k: string]: unknown };
  expect(body).toMatchObject({ type, status });
  return body;
}

describe("bearerAuth", () => {
  it("has a test secret bound (vitest.config.ts) that is not the local one", () => {
    expect(SECRET).toBeTruthy();
    expect(SECRET).not.toBe(LOCAL_DEV_SECRET);
  });

  it("lets a valid token through and puts its claims in c.var.principal", async () => {
    const token = await signToken(SECRET, claims(["read"], "team-a."));
    const res = await call("/v1/things/team-a.w", { token });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ sub: "alice", name: "team-a.w" });
    const who = await call("/v1/whoami", { token });
    expect(await who.json()).toMatchObject({ sub: "alice", scopes: ["read"], prefix: "team-a." });
  });

  it("leaves routes outside /v1 alone", async () => {
    expect((await call("/health")).status).toBe(200);
  });

  it("answers 401 without an error attribute when there is no token", async () => {
    const res = await call("/v1/things/w");
    const body = await problem(res, 401, "/problems/unauthorized");
    expect(res.headers.get("WWW-Authenticate")).toBe('Bearer realm="shardstep"');
    expect(body.detail).toBe("the request has no Authorization header; send 'Authorization: Bearer <token>'");
    expect(body.reason).toBe("missing");
  });

  it("answers 401 without an error attribute for another scheme", async () => {
    const res = await call("/v1/things/w", { headers: { Authorization: "Basic YWxpY2U6c2VjcmV0" } });
    const body = await problem(res, 401, "/problems/unauthorized");
    expect(res.headers.get("WWW-Authenticate")).toBe('Bearer realm="shardstep"');
    expect(body.detail).toBe("the Authorization header uses the 'Basic' scheme; send 'Authorization: Bearer <token>'");
  });

  it("accepts the scheme in any case", async () => {
    const token = await signToken(SECRET, claims(["read"]));
    expect((await call("/v1/things/w", { headers: { Authorization: `bearer ${token}` } })).status).toBe(200);
  });

  const invalid: [string, () => Promise<string>, string, RegExp][] = [
    ["an empty bearer token", async () => "Bearer ", "malformed", /no token after 'Bearer'/],
    ["a malformed token", async () => "Bearer not-a-token", "malformed", /dot-separated parts/],
    ["a token signed with another secret", async () => `Bearer ${await signToken("some-other-secret-0123456789abcdef", claims(["admin"]))}`, "bad-signature", /signature does not match/],
    ["a token for the local secret", async () => `Bearer ${await signToken(LOCAL_DEV_SECRET, claims(["admin"]))}`, "bad-signature", /signature does not match/],
  ];
  for (const [what, header, reason, detail] of invalid) {
    it(`answers 401 invalid_token for ${what}`, async () => {
      const res = await call("/v1/things/w", { headers: { Authorization: await header() } });
      const body = await problem(res, 401, "/problems/unauthorized");
      expect(res.headers.get("WWW-Authenticate")).toBe('Bearer realm="shardstep", error="invalid_token"');
      expect(body.reason).toBe(reason);
      expect(body.detail).toMatch(detail);
    });
  }

  it("answers 401 invalid_token for an expired token, naming when it expired", async () => {
    const exp = now() - 10;
    const token = await signToken(SECRET, claims(["admin"], "", { iat: exp - 3600, exp }));
    const res = await call("/v1/things/w", { token });
    const body = await problem(res, 401, "/problems/unauthorized");
    expect(res.headers.get("WWW-Authenticate")).toBe('Bearer realm="shardstep", error="invalid_token"');
    const at = new Date(exp * 1000).toISOString().replace(".000Z", "Z");
    expect(body.detail).toBe(`token expired at ${at}`);
    expect(body).toMatchObject({ reason: "expired", expired_at: at });
  });

  it("refuses before the route runs, whatever the method", async () => {
    const res = await call("/v1/things/w", { method: "DELETE" });
    await problem(res, 401, "/problems/unauthorized");
  });
});

describe("requireScope", () => {
  it("answers 403 naming the missing scope and the scopes held", async () => {
    const token = await signToken(SECRET, claims(["read"]));
    const res = await call("/v1/things/x/gradients", { method: "POST", token });
    const body = await problem(res, 403, "/problems/forbidden");
    expect(body.detail).toBe("scope 'train' is needed to push gradients to 'x'; the token has 'read'");
    expect(body).toMatchObject({ required_scope: "train", scopes: ["read"], name: "x" });
    expect(res.headers.get("WWW-Authenticate")).toBe('Bearer realm="shardstep", error="insufficient_scope", scope="train"');
  });

  it("names the method and path when the route gives no action", async () => {
    const token = await signToken(SECRET, claims(["read", "train"]));
    const body = await problem(await call("/v1/things/x", { method: "DELETE", token }), 403, "/problems/forbidden");
    expect(body.detail).toBe("scope 'admin' is needed for DELETE /v1/things/x on 'x'; the token has 'read', 'train'");
  });

  it("answers 403 for a name outside the token's prefix", async () => {
    const token = await signToken(SECRET, claims(["admin"], "team-a."));
    const res = await call("/v1/things/team-b.w", { token });
    const body = await problem(res, 403, "/problems/forbidden");
    expect(body.detail).toBe("token is bound to prefix 'team-a.'; 'team-b.w' is outside it");
    expect(body).toMatchObject({ prefix: "team-a.", name: "team-b.w" });
    expect(res.headers.get("WWW-Authenticate")).toBe('Bearer realm="shardstep", error="insufficient_scope"');
  });

  it("lets higher scopes do what lower ones allow", async () => {
    const admin = await signToken(SECRET, claims(["admin"], "team-a."));
    expect((await call("/v1/things/team-a.w", { token: admin })).status).toBe(200);
    expect((await call("/v1/things/team-a.w/gradients", { method: "POST", token: admin })).status).toBe(200);
    expect((await call("/v1/things/team-a.w", { method: "DELETE", token: admin })).status).toBe(204);
    const train = await signToken(SECRET, claims(["train"]));
    expect((await call("/v1/things/w", { token: train })).status).toBe(200);
    expect((await call("/v1/things/w/gradients", { method: "POST", token: train })).status).toBe(200);
    expect((await call("/v1/things/w", { method: "DELETE", token: train })).status).toBe(403);
  });
});

describe("deployment safety", () => {
  it("answers 503 auth-not-configured when AUTH_SECRET is unset, before looking at the token", async () => {
    const token = await signToken(SECRET, claims(["admin"]));
    for (const bindings of [{ AUTH_SECRET: undefined }, { AUTH_SECRET: "" }, {}]) {
      const res = await call("/v1/things/w", { token }, bindings);
      const body = await problem(res, 503, "/problems/auth-not-configured");
      expect(body.detail).toBe("set the AUTH_SECRET secret: wrangler secret put AUTH_SECRET");
      expect(res.headers.get("WWW-Authenticate")).toBeNull();
    }
  });

  it("answers 503 auth-not-configured for a secret too short to be safe", async () => {
    const res = await call("/v1/things/w", {}, { AUTH_SECRET: "hunter2" });
    const body = await problem(res, 503, "/problems/auth-not-configured");
    expect(body.detail).toMatch(/AUTH_SECRET is 7 characters long; use at least 32/);
  });

  it("refuses to serve with the local secret on a non-loopback host", async () => {
    const token = await signToken(LOCAL_DEV_SECRET, claims(["admin"]));
    for (const url of ["https://shardstep.example.workers.dev/v1/things/w", `${HOST}/v1/things/w`, "http://10.0.0.5:8787/v1/things/w"]) {
      const res = await app.fetch(new Request(url, { headers: { Authorization: `Bearer ${token}` } }), { AUTH_SECRET: LOCAL_DEV_SECRET });
      const body = await problem(res, 503, "/problems/dev-secret-in-production");
      expect(body.detail).toContain(`this request is for '${new URL(url).hostname}'`);
      expect(body.detail).toContain("wrangler secret put AUTH_SECRET");
    }
  });

  /** A request as wrangler dev hands it to the Worker: CF-Connecting-IP is the socket's peer unless the request brought one. */
  const devRequest = async (url: string, headers: Record<string, string> = {}) =>
    app.fetch(new Request(url, { headers: { Authorization: `Bearer ${await signToken(LOCAL_DEV_SECRET, claims(["admin"]))}`, ...headers } }), { AUTH_SECRET: LOCAL_DEV_SECRET });

  it("serves with the local secret direct requests from loopback to loopback hosts", async () => {
    for (const origin of ["http://localhost:8787", "http://127.0.0.1:8787", "http://127.3.2.1", "http://[::1]:8787"]) {
      for (const peer of ["127.0.0.1", "::1", "::ffff:127.0.0.1"]) expect((await devRequest(`${origin}/v1/things/w`, { "CF-Connecting-IP": peer })).status, `${origin} from ${peer}`).toBe(200);
    }
  });

  it("refuses the local secret through a proxy, whatever Host it forwards", async () => {
    const url = "http://127.0.0.1:8787/v1/things/w";
    const proxied: [Record<string, string>, RegExp][] = [
      [{ "CF-Connecting-IP": "127.0.0.1", "X-Forwarded-For": "203.0.113.9" }, /it has a 'x-forwarded-for' header/],
      [{ "CF-Connecting-IP": "127.0.0.1", Forwarded: "for=203.0.113.9;host=shardstep.example" }, /it has a 'forwarded' header/],
      [{ "CF-Connecting-IP": "127.0.0.1", "X-Real-IP": "203.0.113.9" }, /'x-real-ip'/],
      [{ "CF-Connecting-IP": "127.0.0.1", Via: "1.1 proxy" }, /'via'/],
      [{ "CF-Connecting-IP": "127.0.0.1", "CF-Ray": "8f1e2d3c4b5a6978-DFW", "CDN-Loop": "cloudflare" }, /'c(f-ray|dn-loop)'/],
      [{ "CF-Connecting-IP": "192.0.2.2" }, /comes from '192\.0\.2\.2', not from this machine/],
      [{}, /names no connecting peer/],
    ];
    for (const [headers, detail] of proxied) {
      const body = await problem(await devRequest(url, headers), 503, "/problems/dev-secret-in-production");
      expect(body.detail).toMatch(detail);
      expect(body.detail).toContain("only accepted for direct requests from this machine");
    }
  });

  it("still checks tokens on localhost with the local secret", async () => {
    const res = await app.request("http://localhost:8787/v1/things/w", { headers: { "CF-Connecting-IP": "127.0.0.1" } }, { AUTH_SECRET: LOCAL_DEV_SECRET });
    await problem(res, 401, "/problems/unauthorized");
  });
});
