import { safetensorsChunks, safetensorsHeader, SafetensorsError, type TensorInput, type TensorLayout } from "../formats/safetensors";
import { readSafetensorsStream } from "../formats/safetensors-stream";
import { stateShape } from "../optim";
import { refuse } from "../problems";
import type { ShardBindings } from "../shard/client";
import { STATE_FORMAT_VERSION, STEP_TENSOR, WEIGHTS_TENSOR } from "../shard/state-io/layout";
import type { StateImportRequest, StateImportResult } from "../shard/state-io/state-io";
import type { ShardInfo } from "../shard/types";
import { fanOut, valuesOfEveryShard } from "./fan-out";
import type { ModelLayout, TensorLayout as ModelTensor } from "./layout";
import type { Model } from "./registry";

/**
 * A model's optimizer state as one safetensors file (docs/state.md), per tensor: `<tensor>` its
 * weights, `<tensor>#<slot>` each slot under PyTorch's name, `<tensor>#step` and
 * `<tensor>#<scalar>` (F64 0-d) — `#` is never part of a tensor name, so no name is ambiguous.
 */
export const stateTensorName = (tensor: string, part: string) => (part === WEIGHTS_TENSOR ? tensor : `${tensor}#${part}`);

const shardsOf = (t: ModelTensor) => [...new Set(t.pieces.map((p) => p.shard))];

/** The 0-d numbers of each tensor (its shards' step and scalars, which must agree), sorted by name. */
function numbersOf(layout: ModelLayout, states: ReadonlyMap<string, { step: number; scalars: Record<string, number> }>): [string, number][] {
  const numbers: [string, number][] = [];
  for (const t of layout.tensors) {
    const [first, ...others] = shardsOf(t).map((s) => [s, states.get(s)!] as const);
    for (const [shard, s] of others) {
      if (s.step !== first![1].step || JSON.stringify(s.scalars) !== JSON.stringify(first![1].scalars)) {
        refuse("version-mismatch", `tensor '${t.name}' spans shards '${first![0]}' (step ${first![1].step}) and '${shard}' (step ${s.step}), which disagree: complete the model's last push (send it again with its Idempotency-Key) first`, { tensor: t.name });
      }
    }
    numbers.push([stateTensorName(t.name, STEP_TENSOR), first![1].step], ...Object.entries(first![1].scalars).map(([k, v]): [string, number] => [stateTensorName(t.name, k), v]));
  }
  return numbers.sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

/** Reads exactly the bytes asked for from a stream, chunk by chunk. */
class Cursor {
  private pending: Uint8Array = new Uint8Array(0);
  constructor(private readonly reader: ReadableStreamDefaultReader<Uint8Array>) {}

  /** At most `n` (> 0) bytes, the next ones of the stream. */
  async take(n: number): Promise<Uint8Array> {
    if (this.pending.byteLength === 0) {
      const { done, value } = await this.reader.read();
      if (done) throw new Error("a shard's state ended early (it changed while it was read); read the model's state again");
      this.pending = value;
    }
    const out = this.pending.subarray(0, n);
    this.pending = this.pending.subarray(out.byteLength);
    return out;
  }

  async skip(n: number): Promise<void> {
    for (let left = n; left > 0; ) left -= (await this.take(left)).byteLength;
  }
}

/**
 * The model's state, streamed from its shards' own streamed exports: the header and every 0-d
 * number first, then the weights of every tensor, then each slot of every tensor (slots by name),
 * each vector read from its shard's stream in turn: every shard's file has its vectors in this
 * order, so each is read once, front to back, and only a chunk per shard is held.
 */
export async function exportModelState(env: ShardBindings, model: Model): Promise<{ body: ReadableStream<Uint8Array>; byteLength: number; versions: Record<string, number>; revisions: Map<string, { revision: number; version: number }> }> {
  const { layout } = model;
  const exports = valuesOfEveryShard(model, await fanOut(env, model, (shard) => shard.exportState()), "the export", "read the state again");
  const lengths = new Map(layout.shards.map((s) => [s.name, s.length]));
  for (const [shard, e] of exports) {
    const partial = e.vectors.find((v) => v.length !== lengths.get(shard));
    if (partial) refuse("state-mismatch", `shard '${shard}' keeps '${partial.name}' as ${partial.length} floats for its ${lengths.get(shard)} weights, which no tensor's shape holds: read it with GET /v1/shards/${shard}/state`, { shard });
  }
  const numbers = numbersOf(layout, exports);
  const names = [WEIGHTS_TENSOR, ...[...new Set([...exports.values()].flatMap((e) => e.vectors.map((v) => v.name)).filter((n) => n !== WEIGHTS_TENSOR))].sort()];
  const has = (shard: string, vector: string) => exports.get(shard)!.vectors.some((v) => v.name === vector);
  const tensors: TensorLayout[] = numbers.map(([name]) => ({ name, dtype: "F64", shape: [], byteLength: 8 }));
  for (const vector of names) {
    for (const t of layout.tensors) if (has(t.pieces[0]!.shard, vector)) tensors.push({ name: stateTensorName(t.name, vector), dtype: "F32", shape: t.shape, byteLength: t.pieces.reduce((n, p) => n + p.length * 4, 0) });
  }
  const versions = Object.fromEntries([...exports].map(([s, e]) => [s, e.version]));
  const head = safetensorsHeader(tensors, { format: "pt", "shardstep.state": STATE_FORMAT_VERSION, model: model.name, versions: JSON.stringify(versions) });
  const first = new Uint8Array(head.byteLength + numbers.length * 8);
  first.set(head);
  new Float64Array(first.buffer, head.byteLength, numbers.length).set(numbers.map(([, v]) => v));

  // The reads in file order: for each vector, every shard that keeps it, whole.
  const reads = names.flatMap((vector) => layout.shards.filter((s) => has(s.name, vector)).map((s) => ({ shard: s.name, bytes: s.length * 4 })));
  const cursors = new Map<string, Cursor>();
  let started = false;
  let at = 0;
  let left = reads[0]?.bytes ?? 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!started) {
        started = true;
        for (const [shard, e] of exports) {
          const cursor = new Cursor(e.body.getReader());
          await cursor.skip(e.headBytes);
          cursors.set(shard, cursor);
        }
        return controller.enqueue(first);
      }
      while (at < reads.length && left === 0) left = reads[++at]?.bytes ?? 0;
      if (at >= reads.length) {
        for (const e of exports.values()) await e.body.cancel().catch(() => undefined);
        return controller.close();
      }
      const chunk = await cursors.get(reads[at]!.shard)!.take(left);
      left -= chunk.byteLength;
      controller.enqueue(chunk);
    },
    async cancel() {
      for (const e of exports.values()) await e.body.cancel().catch(() => undefined);
    },
  });
  const byteLength = first.byteLength + reads.reduce((n, r) => n + r.bytes, 0);
  return { body, byteLength, versions, revisions: new Map([...exports].map(([s, e]) => [s, { revision: e.revision, version: e.version }])) };
}

/** What each shard's file is made of: its vectors' bytes by name, and its 0-d numbers (from the first tensor on it; all must agree). */
interface ShardPart {
  vectors: Map<string, Uint8Array>;
  numbers: Map<string, number>;
}

/**
 * Imports a model's state file: read whole within the model body limit into one file per shard
 * (its tensors' parts laid out on the shard), each then imported by its shard as one new version,
 * in parallel, each with its own Idempotency-Key (`<key>#<index>`) so that a retry of a partly
 * failed import completes it. Tensors sharing a shard must agree on the step and the scalars.
 */
export async function importModelState(
  env: ShardBindings,
  model: Model,
  infos: ReadonlyMap<string, ShardInfo>,
  body: ReadableStream<Uint8Array>,
  req: Omit<StateImportRequest, "ifMatch"> & { ifMatch?: "current" | "stale" },
): Promise<Map<string, StateImportResult>> {
  const { layout } = model;
  const parts = new Map<string, ShardPart>(layout.shards.map((s) => [s.name, { vectors: new Map(), numbers: new Map() }]));
  const expected = new Map<string, { tensor: ModelTensor; part: string; number: boolean }>();
  for (const t of layout.tensors) {
    const { config } = infos.get(t.pieces[0]!.shard)!;
    const transform = stateShape(config.rule, config.hyper, config.length);
    for (const part of [WEIGHTS_TENSOR, ...transform.slots.map((s) => s.name)]) expected.set(stateTensorName(t.name, part), { tensor: t, part, number: false });
    for (const part of [STEP_TENSOR, ...transform.scalars.map((s) => s.name)]) expected.set(stateTensorName(t.name, part), { tensor: t, part, number: true });
  }
  const numberBytes = new Map<string, Uint8Array>();
  try {
    const header = await readSafetensorsStream(body, Number.POSITIVE_INFINITY, (h) => {
      const missing = [...expected.keys()].filter((n) => !h.tensors.has(n));
      const unknown = [...h.tensors.keys()].filter((n) => !expected.has(n));
      if (missing.length || unknown.length) {
        const list = (ns: string[]) => ns.slice(0, 8).map((n) => `'${n}'`).join(", ") + (ns.length > 8 ? ` and ${ns.length - 8} more` : "");
        refuse("state-mismatch", `the model's state file ${[missing.length ? `lacks ${list(missing)}` : "", unknown.length ? `has ${list(unknown)}, which the model does not keep` : ""].filter(Boolean).join(" and ")}`, { missing, unknown });
      }
      for (const [name, info] of h.tensors) {
        const e = expected.get(name)!;
        if (e.number) {
          if (info.shape.length !== 0) refuse("state-mismatch", `tensor '${name}' has shape ${JSON.stringify(info.shape)}; it must be a 0-d tensor (shape [])`, { tensor: name });
          numberBytes.set(name, new Uint8Array(info.end - info.begin));
          continue;
        }
        if (info.dtype !== "F32") refuse("state-mismatch", `tensor '${name}' is ${info.dtype}; state vectors are F32`, { tensor: name });
        if (JSON.stringify(info.shape) !== JSON.stringify(e.tensor.shape)) refuse("wrong-length", `tensor '${name}' has shape ${JSON.stringify(info.shape)}; the model's '${e.tensor.name}' is ${JSON.stringify(e.tensor.shape)}`, { tensor: name });
        for (const p of e.tensor.pieces) {
          const vectors = parts.get(p.shard)!.vectors;
          if (!vectors.has(e.part)) vectors.set(e.part, new Uint8Array(layout.shards.find((s) => s.name === p.shard)!.length * 4));
        }
      }
      return (name, offset, bytes) => {
        const e = expected.get(name)!;
        if (e.number) return numberBytes.get(name)!.set(bytes, offset);
        const end = offset + bytes.byteLength;
        for (const p of e.tensor.pieces) {
          const from = Math.max(offset, p.offset * 4);
          const to = Math.min(end, (p.offset + p.length) * 4);
          if (from < to) parts.get(p.shard)!.vectors.get(e.part)!.set(bytes.subarray(from - offset, to - offset), p.shard_offset * 4 + (from - p.offset * 4));
        }
      };
    });
    for (const [name, bytes] of numberBytes) {
      const e = expected.get(name)!;
      const view = new DataView(bytes.buffer);
      const value = header.tensors.get(name)!.dtype === "F64" ? view.getFloat64(0, true) : view.getFloat32(0, true);
      for (const shard of shardsOf(e.tensor)) {
        const numbers = parts.get(shard)!.numbers;
        const other = numbers.get(e.part);
        if (other !== undefined && !Object.is(other, value)) refuse("invalid-state", `'${name}' is ${value}, but another tensor on shard '${shard}' has ${e.part} ${other}: tensors sharing a shard share its ${e.part}`, { tensor: name, shard });
        numbers.set(e.part, value);
      }
    }
  } catch (e) {
    if (e instanceof SafetensorsError) refuse("invalid-safetensors", `the model's state file is not valid safetensors: ${e.message}`);
    throw e;
  }
  const key = req.idempotencyKey;
  const results = await fanOut(env, model, (shard, s, i) =>
    shard.importState(shardFile(parts.get(s.name)!), { ...req, idempotencyKey: key === undefined ? undefined : `${key}#${i}`, ifMatch: ifMatchOf(req.ifMatch, infos.get(s.name)!) }, model.name),
  );
  return valuesOfEveryShard(model, results, "the import", "send the same request again with the same Idempotency-Key: the shards that imported it answer their first result");
}

/**
 * What a shard's import is to check, from the model's If-Match: the revision it was at when the
 * model's ETag was found current; for a stale one, a revision none has (each shard refuses a new
 * import, and still answers a retry of one it has made).
 */
const ifMatchOf = (modelIfMatch: "current" | "stale" | undefined, info: ShardInfo): number | undefined =>
  modelIfMatch === undefined ? undefined : modelIfMatch === "current" ? info.revision : -1;

/** One shard's state file, as a stream (it may be larger than one RPC argument). */
function shardFile(part: ShardPart): ReadableStream<Uint8Array> {
  const tensors: Record<string, TensorInput> = {};
  for (const [name, value] of part.numbers) tensors[name] = { shape: [], data: Float64Array.of(value) };
  for (const [name, bytes] of part.vectors) tensors[name] = { shape: [bytes.byteLength / 4], data: new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4) };
  const chunks = safetensorsChunks(tensors, { format: "pt" });
  let next = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (next < chunks.length) controller.enqueue(chunks[next++]!);
      else controller.close();
    },
  });
}
