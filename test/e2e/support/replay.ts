/**
 * The local replay of a shard's acknowledged pushes, with the engine the server runs: the fast
 * engine over the same compiled kernels.wasm, stepped and averaged exactly as src/shard/pushes/apply.ts
 * does (same learning rate, same order of operations), so its weights and averages must equal the
 * server's bit for bit.
 */
import { createFastEngine, type FastEngine } from "../../../src/optim/fast/engine";
import { fillInitial, learningRateAt, type AverageSpec, type Hyper, type InitSpec, type RuleName, type ScheduleSpec } from "../../../src/optim";
import { loadKernelModule } from "../../support/kernels";

/** What the replay needs of a shard's resolved configuration (GET /v1/shards/{shard} → config). */
export interface ReplayConfig {
  length: number;
  rule: string;
  hyper: Record<string, unknown>;
  schedule: unknown;
  init: unknown;
  averages: Record<string, unknown>;
}

export class Replay {
  readonly engine: FastEngine;
  readonly averages: { name: string; spec: AverageSpec; count: number; values: Float32Array }[];
  version = 0;
  private readonly config: ReplayConfig;

  constructor(config: ReplayConfig) {
    this.config = config;
    const names = Object.keys(config.averages);
    this.engine = createFastEngine(loadKernelModule(), config.rule as RuleName, config.hyper as Hyper, config.length, { extraVectors: names.length });
    fillInitial(this.engine.params, config.init as InitSpec);
    this.averages = names.map((name, i) => ({ name, spec: config.averages[name] as AverageSpec, count: 0, values: this.engine.extra[i]! }));
    for (const avg of this.averages) avg.values.set(this.engine.params);
  }

  /** One whole-vector push of a finite gradient with no clipping and no staleness policy. */
  push(gradient: Float32Array): void {
    const { engine } = this;
    if (gradient.length !== this.config.length) throw new RangeError(`gradient of ${gradient.length} for a shard of ${this.config.length}`);
    engine.gradient.set(gradient);
    const lr = learningRateAt(this.config.schedule as ScheduleSpec, this.config.hyper.lr as number, this.version);
    engine.step(lr, 0, this.config.length);
    this.version += 1;
    for (const avg of this.averages) {
      const state = { count: avg.count, values: avg.values };
      engine.ops.updateAverage(avg.spec, state, engine.params, this.version);
      avg.count = state.count;
    }
  }

  weights(): Float32Array {
    return this.engine.params.slice();
  }

  average(name: string): Float32Array {
    const avg = this.averages.find((a) => a.name === name);
    if (!avg) throw new Error(`no average ${name}`);
    return avg.values.slice();
  }
}

/** Undefined when `actual` equals `expected` bit for bit, else where and by how much it differs. */
export function bitDifference(actual: Float32Array, expected: Float32Array): string | undefined {
  if (actual.length !== expected.length) return `length ${actual.length}, expected ${expected.length}`;
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const e = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  let differing = 0;
  let first = -1;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== e[i]) {
      differing += 1;
      if (first < 0) first = i;
    }
  }
  if (differing === 0) return undefined;
  return `${differing} of ${a.length} values differ; first at [${first}]: ${actual[first]} (0x${a[first]!.toString(16)}) vs ${expected[first]} (0x${e[first]!.toString(16)})`;
}
