import { SafetensorsError } from "../formats/safetensors";
import { readSafetensorsStream } from "../formats/safetensors-stream";
import { refuse } from "../problems";
import type { ShardBindings } from "../shard/client";
import type { PushRequest, PushResult } from "../shard/types";
import { fanOut, valuesOfEveryShard, type ShardResult } from "./fan-out";
import { shardConfigInput } from "./manifest";
import type { Model } from "./registry";
import { checkHeader, scatterInto } from "./scatter";

/** What a model's push asks of every shard: everything of a PushRequest but the gradient and its range. */
export type ModelPushRequest = Omit<PushRequest, "gradient" | "offset">;

/**
 * Reads a whole-model gradient (safetensors) straight into one buffer per shard, the header checked
 * first. The stream comes bounded by its body limit (src/edge/body.ts), which refuses it as it
 * grows past the limit.
 */
async function scatterGradient(model: Model, body: ReadableStream<Uint8Array> | null): Promise<Map<string, Uint8Array>> {
  if (!body) return refuse("invalid-safetensors", "the body is empty; send the gradient as safetensors");
  const { buffers, sink } = scatterInto(model.layout);
  try {
    await readSafetensorsStream(body, Number.POSITIVE_INFINITY, (header) => {
      checkHeader(model.layout, header, "the gradient");
      return sink;
    });
  } catch (e) {
    if (e instanceof SafetensorsError) refuse("invalid-safetensors", `the gradient is not valid safetensors: ${e.message}`);
    throw e;
  }
  return buffers;
}

/** Refuses, before any shard is touched, a gradient with NaN or ±Inf in a shard whose policy rejects them. */
function checkFinite(model: Model, buffers: Map<string, Uint8Array>): void {
  for (const s of model.layout.shards) {
    if ((shardConfigInput(model.manifest, s.config).non_finite ?? "reject") !== "reject") continue;
    const bytes = buffers.get(s.name)!;
    const values = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i]!)) {
        const tensor = model.layout.tensors.find((t) => t.pieces.some((p) => p.shard === s.name && i >= p.shard_offset && i < p.shard_offset + p.length))!;
        refuse("non-finite", `the gradient of tensor '${tensor.name}' has NaN or infinite values; nothing was applied`, { tensor: tensor.name });
      }
    }
  }
}

/**
 * A whole-model push: every shard gets its part in parallel, each with its own Idempotency-Key
 * derived from the request's, so that a retry of a partly failed push applies only what is missing.
 * Answers every shard's result, by shard.
 */
export async function pushModel(env: ShardBindings, model: Model, body: ReadableStream<Uint8Array> | null, push: ModelPushRequest): Promise<Map<string, PushResult>> {
  const buffers = await scatterGradient(model, body);
  checkFinite(model, buffers);
  const key = push.idempotencyKey;
  const results = await fanOut(env, model, (shard, s, i) =>
    shard.push({ ...push, via: model.name, gradient: buffers.get(s.name)!.buffer as ArrayBuffer, idempotencyKey: key === undefined ? undefined : `${key}#${i}` }),
  );
  return valuesOfEveryShard(model, results, "the push", (failed) => pushAdvice(key, failed));
}

/** Refusals a retry with the same key gets past once the cause is gone, and what removes it. */
const PASSING: Partial<Record<string, string>> = {
  "version-mismatch": "an earlier push did not reach it: complete that push first (resend it with its own Idempotency-Key)",
  "not-found": "its shard is missing: PUT the model's manifest again, which recreates it",
  "rate-limited": "wait as its Retry-After says",
};

/**
 * How a partly applied push can be completed. Shards that failed (their object, the network)
 * complete on a retry with the same key; shards whose refusal has a cause that can go away
 * complete once it is gone; any other refusal is final, and no retry can complete the push.
 */
export function pushAdvice(key: string | undefined, failed: readonly ShardResult<unknown>[]): string {
  if (key === undefined) return "it was sent without an Idempotency-Key, so a retry would apply it twice on the shards that did";
  const refusals = failed.flatMap((r) => ("refusal" in r ? [{ shard: r.shard, ...r.refusal }] : []));
  const final = refusals.filter((r) => PASSING[r.code] === undefined);
  if (final.length > 0) {
    const which = final.map((r) => `${r.shard} (${r.code})`).join(", ");
    return `${which} refused it for good, so no retry can complete it: the shards that applied it are a step ahead of those; push a gradient computed from the model's current weights with a new Idempotency-Key`;
  }
  const steps = refusals.map((r) => {
    const at = typeof r.extensions?.version === "number" ? ` (at version ${r.extensions.version})` : "";
    return `${r.shard}${at}: ${PASSING[r.code]}`;
  });
  return `${steps.length ? `first, ${steps.join("; ")}; then ` : ""}send the same request with the same Idempotency-Key '${key}' to complete it: the shards that applied it will not apply it again`;
}
