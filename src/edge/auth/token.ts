/**
 * Bearer tokens: `ss1.<base64url(JSON claims)>.<base64url(HMAC-SHA256(secret, "ss1.<claims>"))>`.
 *
 * A token grants its scopes (hierarchical: admin ⊇ relay ⊇ train ⊇ read) on every shard or model
 * whose name starts with its `prefix` ("" = every name). Web Crypto only, so it runs in workerd and in Node 22;
 * the signature is checked by `crypto.subtle.verify` (constant time). No platform imports.
 */

import { MAX_CACHED_KEYS, MAX_TOKEN_LENGTH } from "../../limits";

/**
 * `relay` is `train` for a gateway that speaks for many devices: it may name the client of a push
 * (X-Client-Id); any other token pushes as its subject (src/edge/auth/contributor.ts).
 */
export const SCOPES = ["read", "train", "relay", "admin"] as const;
export type Scope = (typeof SCOPES)[number];

export interface TokenClaims {
  /** Who the token was issued to (free text: a user, a job, a client). */
  sub: string;
  scopes: Scope[];
  /** Names the token covers: every name that starts with it ("" = all). */
  prefix: string;
  /** Issued at, unix seconds. */
  iat: number;
  /** Expires at, unix seconds (absent = never). */
  exp?: number;
}

export type TokenFailureReason = "malformed" | "bad-signature" | "expired" | "unknown-scope";

export type TokenVerification =
  | { ok: true; claims: TokenClaims }
  | { ok: false; reason: TokenFailureReason; detail: string; /** set when reason is "expired" */ exp?: number };

export const TOKEN_VERSION = "ss1";
const SIGNATURE_BYTES = 32;

const RANK: Record<Scope, number> = { read: 0, train: 1, relay: 2, admin: 3 };

export function isScope(value: unknown): value is Scope {
  return typeof value === "string" && Object.hasOwn(RANK, value);
}

/** Whether holding `held` allows what `needed` allows (admin ⊇ relay ⊇ train ⊇ read). */
export function scopeIncludes(held: Scope, needed: Scope): boolean {
  return RANK[held] >= RANK[needed];
}

/** Whether any of the claims' scopes includes `scope` (the prefix aside). */
export function hasScope(claims: Pick<TokenClaims, "scopes">, scope: Scope): boolean {
  return claims.scopes.some((held) => scopeIncludes(held, scope));
}

/** Whether the name is inside the claims' prefix. */
export function coversName(claims: Pick<TokenClaims, "prefix">, name: string): boolean {
  return name.startsWith(claims.prefix);
}

/** Whether the token grants `scope` on the shard or model `name`. */
export function grants(claims: Pick<TokenClaims, "scopes" | "prefix">, scope: Scope, name: string): boolean {
  return hasScope(claims, scope) && coversName(claims, name);
}

/** Signs the claims. Throws a TypeError for claims that verifyToken would refuse. */
export async function signToken(secret: string, claims: TokenClaims): Promise<string> {
  assertSecret(secret);
  const problem = claimsProblem(claims);
  if (problem) throw new TypeError(`cannot sign: ${problem.detail}`);
  const { sub, scopes, prefix, iat, exp } = claims;
  const body = `${TOKEN_VERSION}.${encodeBase64url(utf8.encode(JSON.stringify({ sub, scopes, prefix, iat, exp })))}`;
  const signature = await crypto.subtle.sign("HMAC", await hmacKey(secret), utf8.encode(body));
  return `${body}.${encodeBase64url(new Uint8Array(signature))}`;
}

/**
 * Checks the token's form, then its signature, then its claims and expiry (expired when
 * `nowSeconds >= exp`). Answers the claims, or why the token is refused with a message fit for a client.
 */
export async function verifyToken(secret: string, token: string, nowSeconds: number): Promise<TokenVerification> {
  assertSecret(secret);
  if (token.length > MAX_TOKEN_LENGTH) return malformed(`token is ${token.length} characters long; at most ${MAX_TOKEN_LENGTH} are accepted`);
  const parts = token.split(".");
  if (parts.length !== 3) return malformed(`token has ${parts.length} dot-separated parts; expected 3 (${TOKEN_VERSION}.<claims>.<signature>)`);
  const [version, payload, signaturePart] = parts as [string, string, string];
  if (version !== TOKEN_VERSION) return malformed(`token does not start with '${TOKEN_VERSION}.'; it is not a shardstep token or has an unsupported version`);
  if (payload === "") return malformed("token has an empty claims part");
  const signature = decodeBase64url(signaturePart);
  if (!signature) return malformed("token signature is not canonical unpadded base64url");
  if (signature.length !== SIGNATURE_BYTES) return malformed(`token signature is ${signature.length} bytes; an HMAC-SHA256 signature is ${SIGNATURE_BYTES}`);
  const payloadBytes = decodeBase64url(payload);
  if (!payloadBytes) return malformed("token claims are not canonical unpadded base64url");

  const signed = await crypto.subtle.verify("HMAC", await hmacKey(secret), signature, utf8.encode(`${version}.${payload}`));
  if (!signed) return { ok: false, reason: "bad-signature", detail: "token signature does not match: the token was altered or signed with another secret" };

  let claims: unknown;
  try {
    claims = JSON.parse(strictUtf8.decode(payloadBytes));
  } catch {
    return malformed("token claims are not UTF-8 JSON");
  }
  const problem = claimsProblem(claims);
  if (problem) return { ok: false, ...problem };
  const { sub, scopes, prefix, iat, exp } = claims as TokenClaims;
  if (exp !== undefined && nowSeconds >= exp) {
    return { ok: false, reason: "expired", detail: `token expired at ${isoSeconds(exp)}`, exp };
  }
  return { ok: true, claims: exp === undefined ? { sub, scopes: [...scopes], prefix, iat } : { sub, scopes: [...scopes], prefix, iat, exp } };
}

/** `2026-01-02T03:04:05Z` for a unix time in seconds. */
export function isoSeconds(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace(".000Z", "Z");
}

function malformed(detail: string): TokenVerification {
  return { ok: false, reason: "malformed", detail };
}

function claimsProblem(claims: unknown): { reason: "malformed" | "unknown-scope"; detail: string } | undefined {
  const bad = (detail: string) => ({ reason: "malformed" as const, detail: `token claims: ${detail}` });
  if (typeof claims !== "object" || claims === null || Array.isArray(claims)) return bad("not a JSON object");
  const c = claims as Record<string, unknown>;
  if (typeof c.sub !== "string" || c.sub === "") return bad("'sub' must be a non-empty string");
  if (!Array.isArray(c.scopes) || c.scopes.length === 0) return bad("'scopes' must be a non-empty array");
  for (const scope of c.scopes as unknown[]) {
    if (typeof scope !== "string") return bad("'scopes' must hold strings");
    if (!isScope(scope)) {
      return { reason: "unknown-scope", detail: `token has unknown scope ${JSON.stringify(scope)}; scopes are ${SCOPES.map((s) => `'${s}'`).join(", ")}` };
    }
  }
  if (typeof c.prefix !== "string") return bad("'prefix' must be a string");
  if (!isUnixSeconds(c.iat)) return bad("'iat' must be a whole number of seconds since 1970");
  if (c.exp !== undefined && !isUnixSeconds(c.exp)) return bad("'exp', when present, must be a whole number of seconds since 1970");
  return undefined;
}

function isUnixSeconds(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

// ---- HMAC keys: imported once per secret, cached per isolate ----

const keys = new Map<string, CryptoKey | Promise<CryptoKey>>();

function assertSecret(secret: string): void {
  if (typeof secret !== "string" || secret === "") throw new TypeError("the signing secret must be a non-empty string");
}

export function hmacKey(secret: string): CryptoKey | Promise<CryptoKey> {
  const cached = keys.get(secret);
  if (cached) return cached;
  if (keys.size >= MAX_CACHED_KEYS) keys.delete(keys.keys().next().value as string);
  const imported = crypto.subtle
    .importKey("raw", utf8.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"])
    .then(
      (key) => {
        keys.set(secret, key);
        return key;
      },
      (err: unknown) => {
        keys.delete(secret);
        throw err;
      },
    );
  keys.set(secret, imported);
  return imported;
}

// ---- base64url (RFC 4648 §5, unpadded, canonical only) ----

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const BASE64URL = /^[A-Za-z0-9_-]*$/;

export function encodeBase64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Decodes unpadded base64url; undefined unless `text` is exactly what encoding the bytes gives. */
export function decodeBase64url(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!BASE64URL.test(text) || text.length % 4 === 1) return undefined;
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  const bytes = Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
  return encodeBase64url(bytes) === text ? bytes : undefined;
}
