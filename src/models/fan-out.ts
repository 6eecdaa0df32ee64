import { problemSpec, RefusalError, type Refusal } from "../problems";
import { shardClient, type ShardBindings, type ShardClient } from "../shard/client";
import type { ShardLayout } from "./layout";
import type { Model } from "./registry";

/** What one shard answered: its value, its refusal, or the error of an object that failed. */
export type ShardResult<T> = { shard: string; value: T } | { shard: string; refusal: Refusal } | { shard: string; error: string };

/** Calls every shard of the model in parallel; a refusal or a thrown error is a result too. */
export function fanOut<T>(
  env: ShardBindings,
  model: Model,
  call: (shard: ShardClient, layout: ShardLayout, index: number) => Promise<T>,
): Promise<ShardResult<T>[]> {
  return Promise.all(
    model.layout.shards.map(async (s, i): Promise<ShardResult<T>> => {
      try {
        return { shard: s.name, value: await call(shardClient(env, s.name), s, i) };
      } catch (e) {
        if (e instanceof RefusalError) return { shard: s.name, refusal: e.toRefusal() };
        return { shard: s.name, error: (e as Error).message };
      }
    }),
  );
}

/**
 * Every shard's value, by shard; or, when some refused or failed, one refusal saying which shards
 * and which tensors: that refusal when every shard refused alike, else partial-failure with
 * `advice` on how to complete it (which may depend on the shards that did not).
 */
export function valuesOfEveryShard<T>(model: Model, results: ShardResult<T>[], what: string, advice: string | ((failed: ShardResult<T>[]) => string)): Map<string, T> {
  const values = new Map(results.flatMap((r) => ("value" in r ? [[r.shard, r.value] as const] : [])));
  if (values.size === results.length) return values;
  const shards = results.map((r) =>
    "value" in r
      ? { shard: r.shard, ok: true }
      : { shard: r.shard, ok: false, type: `/problems/${problemSpec("refusal" in r ? r.refusal.code : "internal").type}`, detail: "refusal" in r ? r.refusal.detail : r.error },
  );
  const tensors = model.layout.tensors.map((t) => ({ name: t.name, ok: t.pieces.every((p) => values.has(p.shard)) }));
  const refusals = results.flatMap((r) => ("refusal" in r ? [r.refusal] : []));
  if (refusals.length === results.length && new Set(refusals.map((r) => r.code)).size === 1) {
    const { code, detail } = refusals[0]!;
    throw new RefusalError(code, `every shard of the model refused ${what}: ${detail}`, { shards, tensors });
  }
  const failed = results.filter((r) => !("value" in r));
  const names = tensors.filter((t) => !t.ok).map((t) => `'${t.name}'`);
  throw new RefusalError(
    "partial-failure",
    `${failed.length} of ${shards.length} shards did not complete ${what} (tensors ${names.slice(0, 8).join(", ")}${names.length > 8 ? ", ..." : ""}); ${typeof advice === "string" ? advice : advice(failed)}`,
    { shards, tensors },
  );
}
