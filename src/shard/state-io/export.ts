import { safetensorsHeader, type TensorLayout } from "../../formats/safetensors";
import type { ShardMeta } from "../store/meta";
import type { Resident } from "../store/resident";
import type { ShardStore } from "../store/store";
import { STATE_FORMAT_VERSION, STEP_TENSOR, stateLayout } from "./layout";

/** The shard's state as a safetensors stream, with what its answer's headers say. */
export interface StateExport {
  version: number;
  revision: number;
  step: number;
  scalars: Record<string, number>;
  /** The vectors in the order the file holds them, after `headBytes` of header and 0-d numbers. */
  vectors: { name: string; length: number }[];
  headBytes: number;
  byteLength: number;
  body: ReadableStream<Uint8Array>;
}

/** Which state of the shard a read is of: any change (an update, an upload, an import, a restore, a re-creation) moves one of these. */
const stateKey = (meta: ShardMeta) => `${meta.createdAt}:${meta.version}:${meta.revision}:${meta.step}`;

/** Floats copied per pull of the stream: one page of storage, so a read holds 1 MiB beside the resident shard. */
const floatsPerPull = (meta: ShardMeta) => meta.config.page_floats;

/**
 * The shard's state file (layout.ts), streamed: the header and the 0-d numbers at once, then each
 * vector one page per pull, copied from the resident engine at that moment. A file of any shard
 * the limits allow is larger than one RPC answer may be (32 MiB), and twice the state would not fit
 * the isolate beside the resident shard: only a page is ever copied. The file is one state of the
 * shard: if the shard changes while it streams, the stream ends there, short of its Content-Length,
 * rather than mixing two states.
 */
export function exportState(store: ShardStore): StateExport {
  const resident = store.existing();
  const { meta } = resident;
  const key = stateKey(meta);
  const layout = stateLayout(resident);
  const numbers: [string, number][] = [[STEP_TENSOR, meta.step], ...layout.scalars.map((s): [string, number] => [s.name, meta.scalars[s.name] ?? s.initial])];
  numbers.sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const tensors: TensorLayout[] = [
    ...numbers.map(([name]): TensorLayout => ({ name, dtype: "F64", shape: [], byteLength: 8 })),
    ...layout.vectors.map((v): TensorLayout => ({ name: v.name, dtype: "F32", shape: [v.length], byteLength: v.length * 4 })),
  ];
  const metadata = {
    format: "pt",
    "shardstep.state": STATE_FORMAT_VERSION,
    shard: meta.name,
    rule: meta.config.rule,
    hyper: JSON.stringify(meta.config.hyper),
    version: String(meta.version),
    revision: String(meta.revision),
    step: String(meta.step),
  };
  const head = safetensorsHeader(tensors, metadata);
  const first = new Uint8Array(head.byteLength + numbers.length * 8);
  first.set(head);
  new Float64Array(first.buffer, head.byteLength, numbers.length).set(numbers.map(([, value]) => value));

  const perPull = floatsPerPull(meta);
  let vector = -1;
  let at = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (vector < 0) {
        vector = 0;
        controller.enqueue(first);
        return;
      }
      while (vector < layout.vectors.length && at >= layout.vectors[vector]!.length) {
        vector += 1;
        at = 0;
      }
      if (vector >= layout.vectors.length) return controller.close();
      const current: Resident | null = store.resident();
      // Ended short of its length (an error here would be an uncaught rejection in the object): the reader sees a truncated body.
      if (!current || stateKey(current.meta) !== key) return controller.close();
      const spec = layout.vectors[vector]!;
      const count = Math.min(perPull, spec.length - at);
      controller.enqueue(new Uint8Array(spec.values(current).slice(at, at + count).buffer));
      at += count;
    },
  });
  return {
    version: meta.version,
    revision: meta.revision,
    step: meta.step,
    scalars: Object.fromEntries(numbers.filter(([name]) => name !== STEP_TENSOR)),
    vectors: layout.vectors.map((v) => ({ name: v.name, length: v.length })),
    headBytes: first.byteLength,
    byteLength: first.byteLength + layout.vectors.reduce((n, v) => n + v.length * 4, 0), body };
}
