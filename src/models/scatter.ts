import type { TensorBytesSink } from "../formats/safetensors-stream";
import type { SafetensorsHeader } from "../formats/safetensors";
import type { TensorInput } from "../formats/safetensors";
import { refuse } from "../problems";
import type { ModelLayout } from "./layout";

/** Refuses a safetensors header that does not hold exactly the model's tensors, as float32, in their shapes. */
export function checkHeader(layout: ModelLayout, header: SafetensorsHeader, what: string): void {
  const expected = new Map(layout.tensors.map((t) => [t.name, t]));
  const missing = layout.tensors.filter((t) => !header.tensors.has(t.name)).map((t) => t.name);
  const unknown = [...header.tensors.keys()].filter((n) => !expected.has(n));
  if (missing.length > 0 || unknown.length > 0) {
    refuse("invalid-safetensors", `${what} must hold every tensor of the model and no other: ${[missing.length ? `missing ${list(missing)}` : "", unknown.length ? `unknown ${list(unknown)}` : ""].filter(Boolean).join("; ")}`, { missing, unknown });
  }
  for (const [name, info] of header.tensors) {
    const t = expected.get(name)!;
    if (info.dtype !== "F32") refuse("invalid-safetensors", `tensor '${name}' is ${info.dtype}; the model's tensors are F32`);
    if (info.shape.length !== t.shape.length || info.shape.some((d, i) => d !== t.shape[i])) {
      refuse("wrong-length", `tensor '${name}' has shape [${info.shape.join(", ")}]; the model declares [${t.shape.join(", ")}]`, { tensor: name });
    }
  }
}

const list = (names: string[]) => names.slice(0, 8).map((n) => `'${n}'`).join(", ") + (names.length > 8 ? ` and ${names.length - 8} more` : "");

/** One byte buffer per shard of the model, and the sink that scatters a tensor's bytes into them. */
export function scatterInto(layout: ModelLayout): { buffers: Map<string, Uint8Array>; sink: TensorBytesSink } {
  const buffers = new Map(layout.shards.map((s) => [s.name, new Uint8Array(s.length * 4)]));
  const pieces = new Map(layout.tensors.map((t) => [t.name, t.pieces]));
  const sink: TensorBytesSink = (name, offset, bytes) => {
    const end = offset + bytes.byteLength;
    for (const p of pieces.get(name)!) {
      const from = Math.max(offset, p.offset * 4);
      const to = Math.min(end, (p.offset + p.length) * 4);
      if (from >= to) continue;
      buffers.get(p.shard)!.set(bytes.subarray(from - offset, to - offset), p.shard_offset * 4 + (from - p.offset * 4));
    }
  };
  return { buffers, sink };
}

/** The model's tensors from its shards' vectors: views where a tensor lies in one shard, copies where it spans several. */
export function gatherTensors(layout: ModelLayout, vectors: ReadonlyMap<string, Float32Array>): Record<string, TensorInput> {
  const out: Record<string, TensorInput> = {};
  for (const t of layout.tensors) {
    const at = (p: (typeof t.pieces)[number]) => vectors.get(p.shard)!.subarray(p.shard_offset, p.shard_offset + p.length);
    if (t.pieces.length === 1) {
      out[t.name] = { shape: t.shape, data: at(t.pieces[0]!) };
      continue;
    }
    const data = new Float32Array(t.pieces.reduce((n, p) => n + p.length, 0));
    for (const p of t.pieces) data.set(at(p), p.offset);
    out[t.name] = { shape: t.shape, data };
  }
  return out;
}
