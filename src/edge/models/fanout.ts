import type { ShardLayout } from "../../models/layout";
import type { Outcome } from "../../shard/types";
import { ProblemError } from "../problem";
import { refusalStatuses } from "../refusals";
import type { Model } from "./registry";

export type ShardResult<T> = { shard: string; outcome: Outcome<T> } | { shard: string; error: string };

/** Calls every shard of the model in parallel; a thrown error (the object failed) is a result too. */
export function fanOut<T>(model: Model, call: (shard: ShardLayout, index: number) => Promise<unknown>): Promise<ShardResult<T>[]> {
  return Promise.all(
    model.layout.shards.map(async (s, i) => {
      try {
        // (The stub's type keeps only the value branch of Outcome: restore the union.)
        return { shard: s.name, outcome: (await call(s, i)) as Outcome<T> };
      } catch (e) {
        return { shard: s.name, error: (e as Error).message };
      }
    }),
  );
}

/**
 * Every shard's value, by shard; or, when some refused or failed, one problem saying which shards
 * and which tensors: that refusal when every shard refused alike, else 502 partial-failure with
 * `advice` on how to complete it.
 */
export function settled<T>(model: Model, results: ShardResult<T>[], what: string, advice: string): Map<string, T> {
  const shards = results.map((r) =>
    "error" in r
      ? { shard: r.shard, ok: false, type: "/problems/internal", detail: r.error }
      : r.outcome.ok
        ? { shard: r.shard, ok: true }
        : { shard: r.shard, ok: false, type: `/problems/${r.outcome.refusal.code}`, detail: r.outcome.refusal.detail },
  );
  const failed = shards.filter((s) => !s.ok);
  if (failed.length === 0) return new Map(results.map((r) => [r.shard, (r as { outcome: { ok: true; value: T } }).outcome.value]));
  const ok = new Set(shards.filter((s) => s.ok).map((s) => s.shard));
  const tensors = model.layout.tensors.map((t) => ({ name: t.name, ok: t.pieces.every((p) => ok.has(p.shard)) }));
  const refusals = results.flatMap((r) => ("outcome" in r && !r.outcome.ok ? [r.outcome.refusal] : []));
  if (refusals.length === results.length && new Set(refusals.map((r) => r.code)).size === 1) {
    const { code, detail } = refusals[0]!;
    const [status, title] = refusalStatuses[code];
    return fail(new ProblemError(status, code, title, `every shard of the model refused ${what}: ${detail}`, { shards, tensors }));
  }
  const names = tensors.filter((t) => !t.ok).map((t) => `'${t.name}'`);
  return fail(
    new ProblemError(502, "partial-failure", "Partial Failure", `${failed.length} of ${shards.length} shards did not complete ${what} (tensors ${names.slice(0, 8).join(", ")}${names.length > 8 ? ", ..." : ""}); ${advice}`, {
      shards,
      tensors,
    }),
  );
}

const fail = (e: ProblemError): never => {
  throw e;
};
