import { describe, expect, it } from "vitest";
import {
  grants,
  hasScope,
  SCOPES,
  signToken,
  verifyToken,
  type Scope,
  type TokenClaims,
  type TokenVerification,
} from "../../src/edge/auth/token";
import { MAX_TOKEN_LENGTH } from "../../src/limits";

const SECRET = "math-test-secret-0123456789abcdef0123";
const NOW = 1_800_000_000; // 2027-01-15T08:00:00Z
const base: TokenClaims = { sub: "alice", scopes: ["train"], prefix: "team-a.", iat: NOW - 60 };

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64url");
const b64urlText = (text: string) => b64url(new TextEncoder().encode(text));

/** Signs any claims text (even nonsense) the way signToken does, to reach the checks after the signature. */
async function forge(claimsText: string, secret = SECRET): Promise<string> {
  const body = `ss1.${b64urlText(claimsText)}`;
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return `${body}.${b64url(new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(body))))}`;
}

function refused(result: TokenVerification, reason: string): string {
  expect(result.ok).toBe(false);
  if (result.ok) throw new Error("unreachable");
  expect(result.reason).toBe(reason);
  return result.detail;
}

describe("signToken / verifyToken", () => {
  it("round-trips the claims, with and without expiry", async () => {
    const token = await signToken(SECRET, base);
    expect(await verifyToken(SECRET, token, NOW)).toEqual({ ok: true, claims: base });
    const expiring = { ...base, scopes: ["read", "admin"] as Scope[], prefix: "", exp: NOW + 3600 };
    expect(await verifyToken(SECRET, await signToken(SECRET, expiring), NOW)).toEqual({ ok: true, claims: expiring });
  });

  it("has the documented format: ss1.<base64url JSON claims>.<base64url HMAC-SHA256>", async () => {
    const token = await signToken(SECRET, base);
    const [version, claims, signature] = token.split(".");
    expect(version).toBe("ss1");
    expect(JSON.parse(Buffer.from(claims!, "base64url").toString("utf8"))).toEqual(base);
    expect(signature).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // An independent HMAC over "ss1.<claims>" gives the same signature.
    expect(token).toBe(await forge(JSON.stringify(base)));
    // Deterministic: the same claims give the same token.
    expect(await signToken(SECRET, base)).toBe(token);
  });

  it("keeps non-ASCII subjects and prefixes intact", async () => {
    const claims = { ...base, sub: "zoë 🚀", prefix: "équipe-α." };
    expect(await verifyToken(SECRET, await signToken(SECRET, claims), NOW)).toEqual({ ok: true, claims });
  });

  it("keeps only the known claims", async () => {
    const token = await forge(JSON.stringify({ ...base, extra: "ignored" }));
    expect(await verifyToken(SECRET, token, NOW)).toEqual({ ok: true, claims: base });
  });

  it("refuses a token signed with another secret", async () => {
    const token = await signToken("another-secret-0123456789abcdef0123", base);
    expect(refused(await verifyToken(SECRET, token, NOW), "bad-signature")).toMatch(/altered or signed with another secret/);
  });

  it("refuses tampered claims", async () => {
    const token = await signToken(SECRET, base);
    const [, , signature] = token.split(".");
    for (const changed of [
      { ...base, scopes: ["admin"] },
      { ...base, prefix: "" },
      { ...base, sub: "mallory" },
      { ...base, exp: NOW + 10 },
    ]) {
      refused(await verifyToken(SECRET, `ss1.${b64urlText(JSON.stringify(changed))}.${signature}`, NOW), "bad-signature");
    }
  });

  it("refuses every single-character change anywhere in the token", async () => {
    const token = await signToken(SECRET, { ...base, exp: NOW + 100 });
    for (let i = 0; i < token.length; i++) {
      const replacement = token[i] === "A" ? "B" : "A";
      const tampered = token.slice(0, i) + replacement + token.slice(i + 1);
      const result = await verifyToken(SECRET, tampered, NOW);
      expect(result.ok, `position ${i}`).toBe(false);
    }
  });

  it("refuses a signature with a flipped last character as non-canonical or wrong, never as valid", async () => {
    const token = await signToken(SECRET, base);
    const last = token.at(-1)!;
    // The last of 43 characters carries 2 unused bits: its neighbours decode to the same bytes.
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (const ch of alphabet) {
      if (ch === last) continue;
      const result = await verifyToken(SECRET, token.slice(0, -1) + ch, NOW);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(["malformed", "bad-signature"]).toContain(result.reason);
    }
  });

  it("expires at exp: valid one second before, refused at and after, naming the time", async () => {
    const token = await signToken(SECRET, { ...base, exp: NOW });
    expect((await verifyToken(SECRET, token, NOW - 1)).ok).toBe(true);
    expect(refused(await verifyToken(SECRET, token, NOW), "expired")).toBe("token expired at 2027-01-15T08:00:00Z");
    const later = await verifyToken(SECRET, token, NOW + 86_400);
    refused(later, "expired");
    expect(!later.ok && later.exp).toBe(NOW);
  });

  it("never expires without exp", async () => {
    expect((await verifyToken(SECRET, await signToken(SECRET, base), Number.MAX_SAFE_INTEGER)).ok).toBe(true);
  });

  it("checks the signature before the expiry (an expired forgery is a bad signature)", async () => {
    const token = await signToken("another-secret-0123456789abcdef0123", { ...base, exp: NOW - 10 });
    refused(await verifyToken(SECRET, token, NOW), "bad-signature");
  });

  it("refuses unknown scopes by name", async () => {
    const detail = refused(await verifyToken(SECRET, await forge(JSON.stringify({ ...base, scopes: ["read", "write"] })), NOW), "unknown-scope");
    expect(detail).toBe(`token has unknown scope "write"; scopes are 'read', 'train', 'relay', 'admin'`);
    refused(await verifyToken(SECRET, await forge(JSON.stringify({ ...base, scopes: ["ADMIN"] })), NOW), "unknown-scope");
    refused(await verifyToken(SECRET, await forge(JSON.stringify({ ...base, scopes: ["__proto__"] })), NOW), "unknown-scope");
  });

  it("refuses to sign claims it would not accept, and an empty secret", async () => {
    const bad: unknown[] = [
      { ...base, scopes: [] },
      { ...base, scopes: ["write"] },
      { ...base, sub: "" },
      { ...base, iat: 1.5 },
      { ...base, exp: -1 },
      { ...base, prefix: undefined },
    ];
    for (const claims of bad) await expect(signToken(SECRET, claims as TokenClaims)).rejects.toThrow(TypeError);
    await expect(signToken("", base)).rejects.toThrow(/non-empty/);
    await expect(verifyToken("", "ss1.a.b", NOW)).rejects.toThrow(/non-empty/);
  });

  it("works with several secrets in turn (keys are cached per secret)", async () => {
    const secrets = Array.from({ length: 12 }, (_, i) => `secret-number-${i}-0123456789abcdef0123`);
    const tokens = await Promise.all(secrets.map((s) => signToken(s, base)));
    for (let round = 0; round < 2; round++) {
      for (const [i, secret] of secrets.entries()) {
        expect((await verifyToken(secret, tokens[i]!, NOW)).ok).toBe(true);
        expect((await verifyToken(secret, tokens[(i + 1) % secrets.length]!, NOW)).ok).toBe(false);
      }
    }
  });
});

describe("malformed tokens", () => {
  const shapes: [string, string | (() => Promise<string>), RegExp][] = [
    ["empty", "", /1 dot-separated part/],
    ["one part", "ss1", /1 dot-separated part/],
    ["two parts", "ss1.abc", /2 dot-separated parts/],
    ["four parts", "ss1.a.b.c", /4 dot-separated parts/],
    ["a JWT", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJlc2lnbmE", /does not start with 'ss1\.'/],
    ["another version", "ss2.e30.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /does not start with 'ss1\.'/],
    ["upper-case version", "SS1.e30.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /does not start/],
    ["empty claims", "ss1..AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /empty claims/],
    ["empty signature", "ss1.e30.", /signature is 0 bytes/],
    ["standard base64 in the signature", "ss1.e30.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+", /signature is not canonical/],
    ["padded signature", "ss1.e30.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", /signature is not canonical/],
    ["short signature", `ss1.e30.${"A".repeat(42)}`, /signature is 31 bytes/],
    ["long signature", `ss1.e30.${"A".repeat(86)}`, /signature is 64 bytes/],
    ["impossible length", `ss1.e30.${"A".repeat(41)}`, /signature is not canonical/],
    ["spaces", "ss1. e30.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /claims are not canonical/],
    ["non-ASCII", "ss1.é.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /claims are not canonical/],
    ["padded claims", "ss1.e30=.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /claims are not canonical/],
    ["too long", `ss1.${"A".repeat(MAX_TOKEN_LENGTH)}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`, /at most 4096/],
    ["signed, not JSON", () => forge("not json"), /not UTF-8 JSON/],
    ["signed, JSON null", () => forge("null"), /not a JSON object/],
    ["signed, JSON array", () => forge(JSON.stringify([base])), /not a JSON object/],
    ["signed, JSON string", () => forge(JSON.stringify("admin")), /not a JSON object/],
    ["signed, no sub", () => forge(JSON.stringify({ ...base, sub: undefined })), /'sub'/],
    ["signed, numeric sub", () => forge(JSON.stringify({ ...base, sub: 7 })), /'sub'/],
    ["signed, scopes a string", () => forge(JSON.stringify({ ...base, scopes: "admin" })), /'scopes' must be a non-empty array/],
    ["signed, no scopes", () => forge(JSON.stringify({ ...base, scopes: [] })), /'scopes' must be a non-empty array/],
    ["signed, numeric scope", () => forge(JSON.stringify({ ...base, scopes: [2] })), /'scopes' must hold strings/],
    ["signed, no prefix", () => forge(JSON.stringify({ ...base, prefix: undefined })), /'prefix'/],
    ["signed, null prefix", () => forge(JSON.stringify({ ...base, prefix: null })), /'prefix'/],
    ["signed, no iat", () => forge(JSON.stringify({ ...base, iat: undefined })), /'iat'/],
    ["signed, iat as a string", () => forge(JSON.stringify({ ...base, iat: "1800000000" })), /'iat'/],
    ["signed, fractional iat", () => forge(JSON.stringify({ ...base, iat: 1.5 })), /'iat'/],
    ["signed, negative iat", () => forge(JSON.stringify({ ...base, iat: -5 })), /'iat'/],
    ["signed, exp null", () => forge(JSON.stringify({ ...base, exp: null })), /'exp'/],
    ["signed, exp in milliseconds beyond safe integers", () => forge(`{"sub":"a","scopes":["read"],"prefix":"","iat":0,"exp":1e300}`), /'exp'/],
    ["signed, BOM before JSON", () => forge(`\uFEFF${JSON.stringify(base)}`), /not UTF-8 JSON/],
  ];

  for (const [what, make, detail] of shapes) {
    it(`refuses ${what}`, async () => {
      const token = typeof make === "string" ? make : await make();
      expect(refused(await verifyToken(SECRET, token, NOW), "malformed")).toMatch(detail);
    });
  }

  it("refuses claims that are not UTF-8", async () => {
    const body = `ss1.${b64url(new Uint8Array([0xff, 0xfe, 0x7b, 0x7d]))}`;
    const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(SECRET), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const token = `${body}.${b64url(new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(body))))}`;
    expect(refused(await verifyToken(SECRET, token, NOW), "malformed")).toMatch(/not UTF-8 JSON/);
  });
});

describe("scopes and prefixes", () => {
  it("orders scopes admin ⊇ relay ⊇ train ⊇ read", () => {
    const table: Record<Scope, Scope[]> = { read: ["read"], train: ["read", "train"], relay: ["read", "train", "relay"], admin: ["read", "train", "relay", "admin"] };
    for (const held of SCOPES) {
      for (const needed of SCOPES) {
        expect(hasScope({ scopes: [held] }, needed), `${held} grants ${needed}`).toBe(table[held].includes(needed));
      }
    }
    expect(hasScope({ scopes: ["read", "train"] }, "admin")).toBe(false);
    expect(hasScope({ scopes: ["read", "admin"] }, "train")).toBe(true);
    expect(hasScope({ scopes: ["train"] }, "relay")).toBe(false);
  });

  it("binds scopes to names starting with the prefix", () => {
    const teamA = { scopes: ["admin"] as Scope[], prefix: "team-a." };
    expect(grants(teamA, "read", "team-a.w")).toBe(true);
    expect(grants(teamA, "admin", "team-a.")).toBe(true);
    expect(grants(teamA, "admin", "team-a.layer.0.bias")).toBe(true);
    expect(grants(teamA, "read", "team-b.w")).toBe(false);
    expect(grants(teamA, "read", "team-a")).toBe(false);
    expect(grants(teamA, "read", "TEAM-A.w")).toBe(false);
    expect(grants(teamA, "read", "x.team-a.w")).toBe(false);
    expect(grants(teamA, "read", "")).toBe(false);
  });

  it("treats the empty prefix as every name", () => {
    const all = { scopes: ["read"] as Scope[], prefix: "" };
    for (const name of ["", "w", "team-a.w", "🚀"]) expect(grants(all, "read", name)).toBe(true);
    expect(grants(all, "train", "w")).toBe(false);
  });

  it("matches prefixes as plain strings (end them with a separator)", () => {
    expect(grants({ scopes: ["read"], prefix: "team-a" }, "read", "team-ab.w")).toBe(true);
    expect(grants({ scopes: ["read"], prefix: "team-a." }, "read", "team-ab.w")).toBe(false);
  });
});
