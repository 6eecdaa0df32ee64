import type { Context } from "hono";
import { safetensorsChunks } from "../formats/safetensors";
import type { ModelLayout } from "../models/layout";
import { gatherTensors } from "../models/scatter";
import type { VectorRead } from "../shard/types";
import { refuse } from "../problems";

export const SAFETENSORS = "application/octet-stream";

/** A weak ETag of a whole model: its shards' revisions, hashed (FNV-1a). */
export function modelETag(layout: ModelLayout, reads: ReadonlyMap<string, Pick<VectorRead, "revision">>): string {
  let h = 0x811c9dc5;
  for (const ch of layout.shards.map((s) => reads.get(s.name)!.revision).join(".")) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return `W/"m${layout.shards.length}-${h.toString(16)}"`;
}

/** Which state of a model an answer is: its ETag, and X-Model-Version when every shard is at the same version (as the shards' X-Shard-Version). */
export function modelVersionHeadersOf(layout: ModelLayout, reads: ReadonlyMap<string, Pick<VectorRead, "revision" | "version">>): Record<string, string> {
  const versions = new Set([...reads.values()].map((r) => r.version));
  return { etag: modelETag(layout, reads), ...(versions.size === 1 ? { "x-model-version": String([...versions][0]) } : {}) };
}

const MODEL_ETAG = /^W\/"m\d+-[0-9a-f]+"$/;

/** Refuses a model ETag header (If-Match) that is none of ours, as a shard's is refused; answers it trimmed. */
export function modelETagOf(tag: string, header: string): string {
  const trimmed = tag.trim();
  if (!MODEL_ETAG.test(trimmed)) refuse("invalid-request", `invalid header: ${header} must be a model ETag of this API, like W/"m2-1a2b3c4d", got ${tag}`);
  return trimmed;
}

/**
 * Answers the model's tensors as safetensors, streamed: the header, then each tensor's bytes as a
 * view of its shard's answer (copied only for tensors that span shards). `__metadata__.versions`
 * maps every shard to its version; X-Model-Version is that version when all shards agree.
 */
export function safetensorsResponse(c: Context, layout: ModelLayout, reads: ReadonlyMap<string, VectorRead>, headers: Record<string, string> = {}): Response {
  const vectors = new Map([...reads].map(([shard, r]) => [shard, new Float32Array(r.bytes)]));
  const versions = Object.fromEntries([...reads].map(([shard, r]) => [shard, r.version]));
  const chunks = safetensorsChunks(gatherTensors(layout, vectors), { format: "pt", versions: JSON.stringify(versions) });
  const all: Record<string, string> = {
    "content-type": SAFETENSORS,
    "content-length": String(chunks.reduce((n, ch) => n + ch.byteLength, 0)),
    ...modelVersionHeadersOf(layout, reads),
    ...headers,
  };
  let next = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (next < chunks.length) controller.enqueue(chunks[next++]!);
      else controller.close();
    },
  });
  return c.body(body, 200, all);
}
