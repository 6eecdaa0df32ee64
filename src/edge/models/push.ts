import type { Context } from "hono";
import { SafetensorsError } from "../../formats/safetensors";
import { readSafetensorsStream } from "../../formats/safetensors-stream";
import { checkHeader, scatterInto } from "../../models/scatter";
import { MAX_MODEL_BODY_BYTES } from "../../shard/limits";
import type { PushRequest, PushResult, VectorRead } from "../../shard/types";
import { mediaType, OCTET_STREAM, tooLarge, unsupportedMediaType } from "../floats";
import { ProblemError } from "../problem";
import { refusing } from "../refusals";
import { shardStub } from "../shards";
import type { EdgeEnv } from "../types";
import { fanOut, settled } from "./fanout";
import type { Model } from "./registry";
import { safetensorsResponse } from "./transfer";

type ShardPush = Omit<PushRequest, "gradient" | "idempotencyKey"> & { idempotencyKey?: string };

/** Reads a whole-model gradient (safetensors) straight into one buffer per shard, the header checked first. */
async function readGradient(c: Context<EdgeEnv>, model: Model): Promise<Map<string, Uint8Array>> {
  const type = c.req.header("content-type");
  if (mediaType(type) !== OCTET_STREAM) throw unsupportedMediaType(type, [`${OCTET_STREAM} (safetensors)`]);
  const declared = Number(c.req.header("content-length") ?? NaN);
  if (declared > MAX_MODEL_BODY_BYTES) throw tooLarge(declared, MAX_MODEL_BODY_BYTES, "the gradient");
  const body = c.req.raw.body;
  if (!body) throw new ProblemError(422, "invalid-safetensors", "Invalid Safetensors", "the body is empty; send the gradient as safetensors");
  const { buffers, sink } = scatterInto(model.layout);
  try {
    await readSafetensorsStream(body, MAX_MODEL_BODY_BYTES, (header) => {
      refusing(() => checkHeader(model.layout, header, "the gradient"));
      return sink;
    });
  } catch (e) {
    if (e instanceof SafetensorsError) throw new ProblemError(422, "invalid-safetensors", "Invalid Safetensors", `the gradient is not valid safetensors: ${e.message}`);
    throw e;
  }
  return buffers;
}

/** Refuses, before any shard is touched, a gradient with NaN or ±Inf in a shard whose policy rejects them. */
function checkFinite(model: Model, buffers: Map<string, Uint8Array>): void {
  const configs = [model.manifest.config, ...model.manifest.overrides.map((o) => o.config)];
  for (const s of model.layout.shards) {
    if ((configs[s.config]!.non_finite ?? "reject") !== "reject") continue;
    const bytes = buffers.get(s.name)!;
    const values = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i]!)) {
        const tensor = model.layout.tensors.find((t) => t.pieces.some((p) => p.shard === s.name && i >= p.shard_offset && i < p.shard_offset + p.length))!;
        throw new ProblemError(422, "non-finite", "Non-Finite Values", `the gradient of tensor '${tensor.name}' has NaN or infinite values; nothing was applied`, { tensor: tensor.name });
      }
    }
  }
}

/**
 * A whole-model push: every shard gets its part in parallel, each with its own Idempotency-Key
 * derived from the request's, so that a retry of a partly failed push applies only what is missing.
 */
export async function pushModel(c: Context<EdgeEnv>, model: Model, push: ShardPush): Promise<Response> {
  const buffers = await readGradient(c, model);
  checkFinite(model, buffers);
  const key = push.idempotencyKey;
  const results = await fanOut<PushResult>(model, (s, i) =>
    shardStub(c, s.name).push({ ...push, gradient: buffers.get(s.name)!.buffer as ArrayBuffer, idempotencyKey: key === undefined ? undefined : `${key}#${i}` }),
  );
  const advice =
    key !== undefined
      ? "send the same request with the same Idempotency-Key to complete it: the shards that applied it will not apply it again"
      : "it was sent without an Idempotency-Key, so a retry would apply it twice on the shards that did";
  const applied = settled(model, results, "the push", advice);
  if ([...applied.values()].some((r) => !r.weights)) {
    const open = [...applied.values()].some((r) => r.round && !r.round.closed);
    return c.json({ shards: [...applied].map(([shard, r]) => ({ shard, ...r, weights: undefined })) }, open ? 202 : 200);
  }
  return safetensorsResponse(c, model.layout, new Map([...applied].map(([shard, r]) => [shard, r.weights as VectorRead])));
}
