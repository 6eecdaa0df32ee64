/**
 * Requests of the HTTP fuzz (fuzz.test.ts), drawn for every operation of the app's OpenAPI
 * document: path parameters naming the fixtures or malformed names, the operation's query and
 * header parameters with valid and malformed values, bodies (fuzz-bodies.ts), a valid admin token
 * or a bad one. A request is drawn as data and made concrete against the fixtures when sent.
 */
import fc from "fast-check";
import { env } from "cloudflare:workers";
import { signToken, type Scope } from "../../../src/edge/auth/token";
import { openApiDocument } from "../../../src/edge/app";
import { contentType, floatBytes, jsonText, rarely, safetensorsBytes, type Body } from "./fuzz-bodies";

/** What the fuzz runs against: an async shard with an average and a checkpoint, a rounds shard, a model with a checkpoint. */
export interface Fixtures {
  shard: string;
  rounds: string;
  model: string;
  modelShards: string[];
  checkpoint: number;
  modelCheckpoint: number;
}

type Fixture = "shard" | "rounds" | "modelShard" | "model" | "checkpoint" | "modelCheckpoint" | "average";
type Value = { fixture: Fixture } | { raw: string };

export interface FuzzRequest {
  op: string;
  method: string;
  path: string;
  params: Record<string, Value>;
  query: [string, string][];
  headers: [string, string][];
  auth: string;
  body?: Body;
}

interface Operation {
  op: string;
  method: string;
  path: string;
  query: string[];
  headers: string[];
  content: string[];
}

/** Every operation of the app, and a few paths it does not have. */
export function operations(): Operation[] {
  const doc = openApiDocument() as unknown as { paths: Record<string, Record<string, { operationId: string; parameters?: { in: string; name: string }[]; requestBody?: { content: Record<string, unknown> } }>> };
  const ops = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      op: op.operationId,
      method: method.toUpperCase(),
      path,
      query: (op.parameters ?? []).filter((p) => p.in === "query").map((p) => p.name),
      headers: (op.parameters ?? []).filter((p) => p.in === "header").map((p) => p.name),
      content: Object.keys(op.requestBody?.content ?? {}),
    })),
  );
  const unknown = ["/v1/nope", "/v1/shards/{shard}/nope", "/v2/health", "/v1/models/{model}/gradients/x", "/v1//shards"];
  return [...ops, ...unknown.map((path) => ({ op: "none", method: "GET", path, query: [], headers: [], content: [] }))];
}

const raw = (...values: string[]) => fc.constantFrom(...values).map((v): Value => ({ raw: v }));
const fixture = (...names: Fixture[]) => fc.constantFrom(...names).map((f): Value => ({ fixture: f }));

function pathValue(name: string, path: string): fc.Arbitrary<Value> {
  const malformed = {
    shard: raw("fz-missing", "-x", "a".repeat(129), "a b", "%2e%2e", "..", "a%2Fb", "%00", "é", "a:b:c"),
    model: raw("fz-missing-model", "a:b", "a".repeat(113), "%2e%2e", "%00"),
    name: raw("nope", "A", "%20", "a".repeat(40)),
    id: raw("0", "-1", "1.5", "%201", "99999999999999999999", "abc", "1e3", "0x1"),
  }[name] ?? raw("x");
  const valid =
    name === "shard" ? fixture("shard", "shard", "rounds", "modelShard")
    : name === "model" ? fixture("model")
    : name === "name" ? fixture("average")
    : fixture(path.startsWith("/v1/models") ? "modelCheckpoint" : "checkpoint");
  return fc.oneof({ weight: 5, arbitrary: valid }, { weight: 1, arbitrary: malformed });
}

/** Values of query and header parameters: [valid ones (drawn three times as often), malformed ones]. */
type Pool = Record<string, [string[], string[]]>;

const QUERY: Pool = {
  offset: [["0", "1", "4", "7"], ["8", "9", "-1", " 1", "1e3", "0x10", "NaN", "", "1.5", "99999999999999999999"]],
  length: [["1", "2", "4", "8"], ["0", "-1", "9", "abc", "", "4194305"]],
  replace: [["true", "false"], ["yes", ""]],
  prefix: [["", "fz", "fz-s"], ["a".repeat(200), "%"]],
  checkpoints: [["1", "1,2"], ["a", "", "1,,2", "0", "-1"]],
  last: [["1", "2"], ["0", "-1", "65", "x"]],
};

const HEADERS: Pool = {
  "idempotency-key": [["k1", "k2", "k3"], ["", "a".repeat(300), "key with space"]],
  "x-base-version": [["0", "1", "2"], ["-1", "abc", " 1", "99999999999999999999", "1.5"]],
  "x-client-id": [["c1", "c2", "fuzz"], ["", "a".repeat(200)]],
  "x-sample-count": [["1", "2", "10"], ["0", "-1", "1e9", "abc"]],
  // No `wait` of a second or more: a long poll would only slow the fuzz down.
  prefer: [["return=minimal", "wait=0", "wait=0.05", "return=minimal, wait=0"], ["wait=abc", "wait=-1", "respond-async"]],
  "if-none-match": [['"0"', '"1"', "*", 'W/"2"'], ["garbage", '"99"']],
  "if-match": [['"0"', '"1"', "*"], ["bad", '"x"']],
};

const ACCEPT = ["application/json", "application/octet-stream", "text/plain", "*/*", "application/json;q=0", "application/json;q=0.5, application/octet-stream;q=0.1"];

/** Auth: mostly a valid admin token, else no header, wrong schemes, bad signatures, expired, too narrow. */
export const AUTH_KINDS = ["admin", "none", "read", "train", "other-prefix", "wrong-secret", "expired", "garbage", "basic", "empty", "long"] as const;

const valueIn = ([valid, malformed]: [string[], string[]]) => fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...valid) }, { weight: 1, arbitrary: fc.constantFrom(...malformed) });

const pairs = (names: string[], pool: Pool) =>
  fc.tuple(...names.map((n) => fc.option(valueIn(pool[n] ?? [["1"], ["x"]]), { nil: undefined, freq: 2 }).map((v) => (v === undefined ? [] : [[n, v] as [string, string]])))).map((all) => all.flat());

function bodyOf(op: Operation): fc.Arbitrary<Body | undefined> {
  const json = (name: string) => fc.record({ type: contentType("application/json", 6), data: jsonText(name) });
  const octets = (bytes: fc.Arbitrary<Uint8Array>) => fc.record({ type: contentType("application/octet-stream", 8), data: bytes });
  let body: fc.Arbitrary<Body>;
  if (op.content.includes("application/json") && op.content.includes("application/octet-stream")) body = fc.oneof(octets(floatBytes), json("floats"));
  else if (op.content.includes("application/octet-stream")) body = octets(safetensorsBytes);
  else if (op.content.includes("application/json")) body = json(op.op);
  else return rarely(json("floats"), 8);
  return fc.option(body, { nil: undefined, freq: 10 });
}

/** A request for one operation. */
function requestOf(op: Operation): fc.Arbitrary<FuzzRequest> {
  const names = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
  return fc.record({
    op: fc.constant(op.op),
    method: fc.oneof({ weight: 19, arbitrary: fc.constant(op.method) }, { weight: 1, arbitrary: fc.constantFrom("GET", "PUT", "POST", "PATCH", "DELETE") }),
    path: fc.constant(op.path),
    params: fc.tuple(...names.map((n) => pathValue(n, op.path))).map((values) => Object.fromEntries(names.map((n, i) => [n, values[i]!]))),
    query: fc.tuple(pairs(op.query, QUERY), rarely(fc.constantFrom<[string, string]>(["zzz", "1"], ["offset", "2"], ["length", ""]), 8)).map(([q, extra]) => (extra ? [...q, extra] : q)),
    headers: fc.tuple(pairs(op.headers, HEADERS), rarely(fc.constantFrom(...ACCEPT), 3)).map(([h, accept]) => (accept ? [...h, ["accept", accept] as [string, string]] : h)),
    auth: fc.oneof({ weight: 8, arbitrary: fc.constant("admin") }, { weight: 2, arbitrary: fc.constantFrom(...AUTH_KINDS) }),
    body: bodyOf(op),
  });
}

/** A request as a counterexample prints it: its body cut short (a deep one is megabytes). */
function described(r: FuzzRequest): FuzzRequest {
  const body = r.body && { type: r.body.type, data: typeof r.body.data === "string" ? r.body.data.slice(0, 300) : `${r.body.data.byteLength} bytes` };
  return Object.assign(r, { [fc.toStringMethod]: () => JSON.stringify({ ...r, body }) });
}

/** Operations that change state, drawn more often than the reads: most of their draws are refused before they reach a shard. */
const WEIGHTS: Record<string, number> = { pushGradient: 4, pushModelGradient: 3, putWeights: 2, putShard: 2, patchShard: 2, putModel: 2, reportMetric: 2 };

/** Requests across every operation (the paths the app does not have together as one). */
export function fuzzRequests(ops: Operation[]): fc.Arbitrary<FuzzRequest> {
  const known = ops.filter((o) => o.op !== "none").map((o) => ({ weight: WEIGHTS[o.op] ?? 1, arbitrary: requestOf(o) }));
  const unknown = fc.oneof(...ops.filter((o) => o.op === "none").map(requestOf));
  return fc.oneof(...known, { weight: 1, arbitrary: unknown }).map(described);
}

const tokens = new Map<string, Promise<string | undefined>>();

function authorization(kind: string): Promise<string | undefined> {
  const now = Math.floor(Date.now() / 1000);
  const sign = (scopes: Scope[], prefix = "", secret = env.AUTH_SECRET!, exp?: number) =>
    signToken(secret, { sub: "fuzz", scopes, prefix, iat: now - 10, ...(exp ? { exp } : {}) }).then((t) => `Bearer ${t}`);
  const make: Record<string, () => Promise<string | undefined>> = {
    admin: () => sign(["admin"]),
    none: async () => undefined,
    read: () => sign(["read"]),
    train: () => sign(["train"]),
    "other-prefix": () => sign(["admin"], "zz-"),
    "wrong-secret": () => sign(["admin"], "", "not-the-secret-of-this-worker-0123456789"),
    expired: () => sign(["admin"], "", env.AUTH_SECRET!, now - 5),
    garbage: async () => "Bearer ss1.e30.AAAA",
    basic: async () => "Basic dXNlcjpwYXNz",
    empty: async () => "Bearer ",
    long: async () => `Bearer ${"a".repeat(5000)}`,
  };
  if (!tokens.has(kind)) tokens.set(kind, make[kind]!());
  return tokens.get(kind)!;
}

function valueOf(v: Value, f: Fixtures): string {
  if ("raw" in v) return v.raw;
  const values: Record<Fixture, string> = {
    shard: f.shard,
    rounds: f.rounds,
    modelShard: f.modelShards[0]!,
    model: f.model,
    checkpoint: String(f.checkpoint),
    modelCheckpoint: String(f.modelCheckpoint),
    average: "ema",
  };
  return values[v.fixture];
}

/** The request as sent, and the fixture shards it names (directly, or through the model). */
export async function materialize(r: FuzzRequest, f: Fixtures): Promise<{ request: Request; touched: string[]; label: string }> {
  const path = r.path.replace(/\{(\w+)\}/g, (_m, name: string) => valueOf(r.params[name]!, f));
  const query = r.query.length ? `?${r.query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&")}` : "";
  const headers = new Headers(r.headers);
  const auth = await authorization(r.auth);
  if (auth !== undefined) headers.set("authorization", auth);
  const withBody = r.body !== undefined && r.method !== "GET";
  if (withBody && r.body!.type !== undefined) headers.set("content-type", r.body!.type);
  const request = new Request(`http://localhost${path}${query}`, { method: r.method, headers, body: withBody ? r.body!.data : undefined });
  const named = Object.values(r.params).flatMap((v) => ("fixture" in v ? [valueOf(v, f)] : []));
  const touched = [f.shard, f.rounds, ...f.modelShards].filter((s) => named.includes(s) || (named.includes(f.model) && f.modelShards.includes(s)));
  const size = r.body === undefined ? "" : ` body ${r.body.type ?? "(no type)"} ${r.body.data.length}${typeof r.body.data === "string" ? ` ${JSON.stringify(r.body.data.slice(0, 120))}` : " bytes"}`;
  return { request, touched, label: `${r.method} ${path}${query} [${r.op}, auth ${r.auth}, headers ${JSON.stringify(r.headers)}]${size}` };
}
