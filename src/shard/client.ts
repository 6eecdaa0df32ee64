import { RefusalError } from "../problems";
import type { ShardObject } from "./object";
import type { Outcome } from "./types";

/** A method of the shard's RPC surface: it answers an Outcome. */
type OutcomeMethod = (...args: never[]) => Promise<Outcome<unknown>>;

/** The method as a client calls it: it answers the value, and throws the refusal. */
type Unwrapped<M> = M extends (...args: infer A) => Promise<Outcome<infer T>> ? (...args: A) => Promise<T> : never;

/** Every RPC method of ShardObject, typed from the class: each answers its value or throws the RefusalError of its outcome. */
export type ShardClient = { readonly [K in keyof ShardObject as ShardObject[K] extends OutcomeMethod ? K : never]: Unwrapped<ShardObject[K]> };

/** The value of an outcome, or its refusal thrown. */
export function valueOf<T>(outcome: Outcome<T>): T {
  if (outcome.ok) return outcome.value;
  const { code, detail, extensions } = outcome.refusal;
  throw new RefusalError(code, detail, extensions ? { ...extensions } : undefined);
}

/** The bindings a shard client is built from. */
export type ShardBindings = Pick<Env, "SHARDS">;

/** The client of the shard `name` (its Durable Object is named after it). */
export function shardClient(env: ShardBindings, name: string): ShardClient {
  // The stub's own type keeps only the value branch of Outcome: the client's type is ShardObject's.
  const stub = env.SHARDS.get(env.SHARDS.idFromName(name)) as unknown as Record<string, (...args: unknown[]) => Promise<Outcome<unknown>>>;
  return new Proxy({} as ShardClient, {
    get: (_, method) =>
      typeof method === "string" && method !== "then" ? async (...args: unknown[]) => valueOf(await stub[method]!(...args)) : undefined,
  });
}
