import { SafetensorsError, type SafetensorsHeader } from "../../formats/safetensors";
import type { TensorBytesSink } from "../../formats/safetensors-stream";
import { firstNonFinite } from "../../optim";
import { refuse } from "../../problems";
import { writePageRows } from "../store/pages";
import { stateSlot, WEIGHTS_SLOT } from "../store/resident";
import { NUMBER_DTYPES, STEP_TENSOR, WEIGHTS_TENSOR, type StateLayout } from "./layout";

/** Where an import's pages wait until its commit renames them (nothing reads them before). */
const STAGING = "import:";

/** The pages slot a state vector lives in, and where an import stages it. */
export const liveSlotOf = (vector: string) => (vector === WEIGHTS_TENSOR ? WEIGHTS_SLOT : stateSlot(vector));
export const stagedSlotOf = (vector: string) => STAGING + liveSlotOf(vector);

/** Deletes every staged page (an import that failed, or one a crash cut short). */
export function clearStaging(sql: SqlStorage): void {
  sql.exec("DELETE FROM pages WHERE substr(slot, 1, ?) = ?", STAGING.length, STAGING);
}

/** Moves the staged vectors into place; inside the import's transaction. */
export function promoteStaged(sql: SqlStorage, layout: StateLayout): void {
  for (const { name } of layout.vectors) {
    sql.exec("DELETE FROM pages WHERE slot = ?", liveSlotOf(name));
    sql.exec("UPDATE pages SET slot = ? WHERE slot = ?", liveSlotOf(name), stagedSlotOf(name));
  }
}

const list = (names: readonly string[]) => names.map((n) => `'${n}'`).join(", ");

/** Refuses a header that does not name exactly the layout's tensors with their dtypes and shapes. */
export function checkStateHeader(header: SafetensorsHeader, layout: StateLayout, rule: string): void {
  const numbers = [STEP_TENSOR, ...layout.scalars.map((s) => s.name)];
  const expected = [...layout.vectors.map((v) => v.name), ...numbers];
  const missing = expected.filter((n) => !header.tensors.has(n));
  const unknown = [...header.tensors.keys()].filter((n) => !expected.includes(n));
  if (missing.length > 0 || unknown.length > 0) {
    const parts = [missing.length > 0 ? `lacks ${list(missing)}` : "", unknown.length > 0 ? `has ${list(unknown)}, which this shard does not keep` : ""].filter(Boolean);
    refuse("state-mismatch", `the state file ${parts.join(" and ")}: a shard of rule '${rule}' with these hyperparameters keeps exactly ${list(expected)}`, { missing, unknown, expected });
  }
  for (const v of layout.vectors) {
    const info = header.tensors.get(v.name)!;
    if (info.dtype !== "F32") refuse("state-mismatch", `tensor '${v.name}' is ${info.dtype}; state vectors are F32`, { tensor: v.name });
    const elements = info.shape.reduce((a, b) => a * b, 1);
    if (elements !== v.length) refuse("wrong-length", `tensor '${v.name}' has ${elements} elements; this shard's '${v.name}' has ${v.length}`, { tensor: v.name, length: v.length });
    if (info.shape.length !== 1) refuse("wrong-length", `tensor '${v.name}' has shape ${JSON.stringify(info.shape)}; it must be [${v.length}]`, { tensor: v.name, length: v.length });
  }
  for (const name of numbers) {
    const info = header.tensors.get(name)!;
    if (!NUMBER_DTYPES.includes(info.dtype)) refuse("state-mismatch", `tensor '${name}' is ${info.dtype}; it must be F64 or F32`, { tensor: name });
    if (info.shape.length !== 0) refuse("state-mismatch", `tensor '${name}' has shape ${JSON.stringify(info.shape)}; it must be a 0-d tensor (shape [])`, { tensor: name });
  }
}

/**
 * A state file's data, received as it streams: each vector is cut into the shard's pages, checked
 * finite, and stored under its staging slot page by page (never the whole file in memory); the 0-d
 * numbers are kept. Nothing live is touched until `promoteStaged` runs in the import's commit.
 */
export class StagedState {
  private readonly numbers = new Map<string, Uint8Array>();
  private readonly pages = new Map<string, { buffer: Uint8Array; filled: number; page: number }>();

  constructor(
    private readonly sql: SqlStorage,
    private readonly layout: StateLayout,
    private readonly pageFloats: number,
  ) {}

  /** The sink of the stream reader, once the header was checked. */
  sink(header: SafetensorsHeader): TensorBytesSink {
    for (const [name, info] of header.tensors) if (info.shape.length === 0) this.numbers.set(name, new Uint8Array(info.end - info.begin));
    const lengths = new Map(this.layout.vectors.map((v) => [v.name, v.length]));
    return (name, offset, bytes) => {
      const number = this.numbers.get(name);
      if (number) return number.set(bytes, offset);
      this.receive(name, lengths.get(name)!, bytes);
    };
  }

  private receive(name: string, length: number, bytes: Uint8Array): void {
    let at = 0;
    while (at < bytes.byteLength) {
      let page = this.pages.get(name);
      if (!page) {
        page = { buffer: new Uint8Array(Math.min(this.pageFloats, length) * 4), filled: 0, page: 0 };
        this.pages.set(name, page);
      }
      const n = Math.min(bytes.byteLength - at, page.buffer.byteLength - page.filled);
      page.buffer.set(bytes.subarray(at, at + n), page.filled);
      page.filled += n;
      at += n;
      if (page.filled === page.buffer.byteLength) this.store(name, length, page);
    }
  }

  private store(name: string, length: number, page: { buffer: Uint8Array; filled: number; page: number }): void {
    const values = new Float32Array(page.buffer.buffer, 0, page.filled / 4);
    const bad = firstNonFinite(values);
    if (bad >= 0) refuse("non-finite", `tensor '${name}' has a non-finite value (${values[bad]}) at element ${page.page * this.pageFloats + bad}`, { tensor: name, element: page.page * this.pageFloats + bad });
    writePageRows(this.sql, [{ slot: stagedSlotOf(name), page: page.page, data: new Uint8Array(page.buffer.buffer, 0, page.filled) }]);
    page.page += 1;
    const left = length - page.page * this.pageFloats;
    page.buffer = new Uint8Array(Math.min(this.pageFloats, Math.max(left, 0)) * 4);
    page.filled = 0;
  }

  /** The step and the scalars, checked: the step a non-negative integer, each scalar finite and within its rule's range. */
  numbersOf(header: SafetensorsHeader): { step: number; scalars: Record<string, number> } {
    const read = (name: string): number => {
      const bytes = this.numbers.get(name)!;
      const view = new DataView(bytes.buffer);
      return header.tensors.get(name)!.dtype === "F64" ? view.getFloat64(0, true) : view.getFloat32(0, true);
    };
    const step = read(STEP_TENSOR);
    if (!Number.isSafeInteger(step) || step < 0) refuse("invalid-state", `'step' is ${step}; it must be a non-negative whole number (the updates applied so far)`, { tensor: STEP_TENSOR });
    const scalars: Record<string, number> = {};
    for (const spec of this.layout.scalars) {
      const value = read(spec.name);
      const [low, high] = spec.range ?? [-Infinity, Infinity];
      if (!Number.isFinite(value) || value < low || value > high) {
        refuse("invalid-state", `'${spec.name}' is ${value}; it must be a finite number${spec.range ? ` in [${low}, ${high}]` : ""}`, { tensor: spec.name, ...(spec.range ? { range: [low, high] } : {}) });
      }
      scalars[spec.name] = value;
    }
    return { step, scalars };
  }
}

/** A malformed file's SafetensorsError as the refusal it is. */
export function refuseMalformed(e: unknown): never {
  if (e instanceof SafetensorsError) refuse("invalid-safetensors", `the state file is not valid safetensors: ${e.message}`);
  throw e;
}
