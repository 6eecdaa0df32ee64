import { env } from "cloudflare:workers";
import { signToken, type Scope } from "../../../src/edge/auth/token";
import { workerFetch } from "./contract";

/** Requests to the real Worker (through its default export), as a client on localhost. */
export const BASE = "http://localhost";

let counter = 0;
/** A fresh shard name per call: storage is shared within a test file. */
export const uniqueName = (prefix = "s") => `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

const tokens = new Map<string, Promise<string>>();

/** A token of the test secret, for `sub` (the client its pushes count as). */
export function token(scopes: Scope[] = ["admin"], prefix = "", sub = "test"): Promise<string> {
  const key = `${scopes.join(",")}|${prefix}|${sub}`;
  if (!tokens.has(key)) tokens.set(key, signToken(env.AUTH_SECRET!, { sub, scopes, prefix, iat: Math.floor(Date.now() / 1000) }));
  return tokens.get(key)!;
}

export interface CallOptions extends Omit<RequestInit, "body"> {
  json?: unknown;
  floats?: ArrayLike<number>;
  body?: BodyInit | null;
  scopes?: Scope[];
  auth?: false;
}

export async function call(path: string, options: CallOptions = {}): Promise<Response> {
  const { json, floats, scopes, auth, ...init } = options;
  const headers = new Headers(init.headers);
  if (auth !== false && !headers.has("authorization")) headers.set("authorization", `Bearer ${await token(scopes)}`);
  let body = init.body;
  if (json !== undefined) {
    body = JSON.stringify(json);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  }
  if (floats !== undefined) {
    body = Float32Array.from(floats).buffer;
    if (!headers.has("content-type")) headers.set("content-type", "application/octet-stream");
  }
  return workerFetch(BASE + path, { ...init, headers, body });
}

export async function floatsOf(res: Response): Promise<Float32Array> {
  return new Float32Array(await res.arrayBuffer());
}

export async function createShard(config: Record<string, unknown>, name = uniqueName()): Promise<string> {
  const res = await call(`/v1/shards/${name}`, { method: "PUT", json: config });
  if (res.status !== 201) throw new Error(`create ${name}: ${res.status} ${await res.text()}`);
  return name;
}

export async function push(name: string, gradient: ArrayLike<number>, headers: Record<string, string> = {}, query = ""): Promise<Response> {
  return call(`/v1/shards/${name}/gradients${query}`, { method: "POST", floats: gradient, headers });
}

/**
 * Waits until the open round's deadline (as the shard's status reports it) has passed. Tests of a
 * close at the deadline give it a margin of seconds over the pushes that must reach the round first,
 * and wait here rather than a fixed time, so that a slow machine only makes them slower.
 */
export async function pastRoundDeadline(name: string): Promise<void> {
  const status = await (await call(`/v1/shards/${name}/status`)).json<{ round: { deadline: string | null } }>();
  if (status.round.deadline === null) throw new Error(`shard '${name}' has no open round with a deadline`);
  const ms = Date.parse(status.round.deadline) - Date.now();
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, ms) + 20));
}
