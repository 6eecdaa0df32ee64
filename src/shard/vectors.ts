import { firstNonFinite, getRule, isLbfgs } from "../optim";
import { refuse } from "../problems";
import { floatCount } from "../formats/float32";
import { saveCounters } from "./store/meta";
import { isLbfgsResident, nextHyper, writeResident, type Resident } from "./store/resident";
import type { FastLbfgsEngine } from "../optim/fast/lbfgs-engine";
import type { ShardStore } from "./store/store";
import { ensureChangedBy } from "./ownership";
import type { PointRead, PushAnswer, Range, VectorRead, VectorVersion, Via } from "./types";

/** The shard's vectors read and written whole or by range: the weights, the averages, the evaluation point, uploads. */
export class Vectors {
  constructor(private readonly store: ShardStore) {}

  /** The weights (or the named average) over a range. */
  read(range: Range, average?: string): VectorRead {
    const resident = this.store.existing();
    const source = average === undefined ? resident.engine.params : averageOf(resident, average);
    const { offset, count } = checkedRange(range, resident.meta.config.length);
    return { version: resident.meta.version, revision: resident.meta.revision, offset, bytes: source.slice(offset, offset + count).buffer };
  }

  /**
   * Where the next gradient is to be taken, over a range (src/optim/point.ts): the weights, unless
   * the rule declares a point distinct from them (the look-ahead x + μ·v of the notes' Nesterov,
   * L-BFGS's line-search trial). The revision moves whenever it does, so the revision is its ETag.
   */
  point(range: Range): PointRead {
    const resident = this.store.existing();
    const { offset, count } = checkedRange(range, resident.meta.config.length);
    const point = isLbfgsResident(resident) ? lbfgsPointOf(resident.engine, offset, count) : resident.engine.point(offset, count, nextHyper(resident.meta));
    const values = point ?? resident.engine.params.slice(offset, offset + count);
    return { version: resident.meta.version, revision: resident.meta.revision, offset, bytes: values.buffer as ArrayBuffer, distinct: point !== undefined };
  }

  /** What a push answers over its range: the weights, or the point where it is distinct from them. */
  pushAnswer(offset: number, count: number): PushAnswer {
    const point = this.point({ offset, length: count });
    if (!point.distinct) return { weights: point };
    return { point };
  }

  /** Sets weights over a range; once training has started only with If-Match naming the current revision. */
  upload(bytes: ArrayBuffer, offset: number, ifMatch: number | undefined, via: Via): VectorVersion {
    const { store } = this;
    const resident = store.existing();
    const { meta } = resident;
    ensureChangedBy(meta, via, "set its weights");
    const { count } = checkedRange({ offset, length: floatCount(bytes, "the body") }, meta.config.length);
    if (ifMatch === undefined && meta.version > 0) {
      refuse("precondition-failed", `training has started (version ${meta.version}): send If-Match with the current ETag`, { revision: meta.revision, version: meta.version });
    }
    if (ifMatch !== undefined && ifMatch !== meta.revision) {
      refuse("precondition-failed", `If-Match names revision ${ifMatch}; the shard is at revision ${meta.revision}`, { revision: meta.revision, version: meta.version });
    }
    const values = new Float32Array(bytes);
    if (firstNonFinite(values) >= 0) refuse("non-finite", "the weights have NaN or infinite values");
    resident.engine.params.set(values, offset);
    // Before training, averages follow the weights (they hold the initial weights until an update).
    const untouched = meta.version === 0;
    if (untouched) for (const avg of resident.averages) avg.values.set(values, offset);
    meta.revision += 1;
    meta.updatedAt = store.now();
    store.commit(() => {
      writeResident(store.sql, resident, offset, count, untouched);
      saveCounters(store.sql, meta);
    });
    return { version: meta.version, revision: meta.revision, offset };
  }

  /** Waits (up to `ms`) until the weights' revision differs from `seen`; answers the revision then. */
  async awaitRevision(seen: number, ms: number): Promise<number> {
    const { store } = this;
    store.existing();
    await store.waitUntil(() => (store.resident()?.meta.revision ?? seen + 1) !== seen, ms);
    return store.existing().meta.revision;
  }
}

/** L-BFGS's point over a range when it is a line-search trial distinct from the weights; undefined when it is the weights. */
const lbfgsPointOf = (engine: FastLbfgsEngine, offset: number, count: number): Float32Array | undefined => (engine.pointIsDistinct() ? engine.point(offset, count) : undefined);

/** A running average by name: one of the configuration's, or one the rule keeps in its state (ASGD's `ax`). */
function averageOf(resident: Resident, name: string): Float32Array {
  const configured = resident.averages.find((a) => a.name === name)?.values;
  if (configured) return configured;
  const { rule } = resident.meta.config;
  const kept = isLbfgs(rule) ? [] : getRule(rule).averages;
  if (kept.includes(name)) return resident.engine.state.slots[name]!;
  const names = [...resident.averages.map((a) => a.name), ...kept];
  return refuse("not-found", `no average named '${name}'; this shard has: ${names.join(", ") || "none"}`);
}

/** Elements [offset, offset + count) of a vector of `length`; refuses a range outside it. */
export function checkedRange(range: Range, length: number): { offset: number; count: number } {
  const offset = range.offset;
  const count = range.length ?? length - offset;
  if (!Number.isInteger(offset) || !Number.isInteger(count) || offset < 0 || count < 1 || offset + count > length) {
    refuse("invalid-range", `range of ${count} floats at offset ${offset} is outside the shard's ${length} floats`, { length });
  }
  return { offset, count };
}
