/**
 * The exports of kernels.wasm (built from ./kernels by scripts/build-wasm.mjs). Pointers are byte
 * addresses into the instance's memory, `n` an element count. Each rule kernel exists in
 * specialised variants named `<rule>[_<option>...]` (see ./kernels/*.ts; each rule's `fast` plan
 * in ../rules picks its own); they all take `(n, p, g, <slot pointers>, ...scalars)` and return
 * nothing.
 */
export type RuleKernel = (n: number, ...args: number[]) => void;

export interface VectorKernels {
  /** `avg = decay * avg + e * w` in f32 operations (e = 1 - decay). */
  emaUpdate(n: number, avg: number, w: number, decay: number, e: number): void;
  /** `avg = avg + (w - avg) / k` in f64 lanes, rounded to f32. */
  swaUpdate(n: number, avg: number, w: number, k: number): void;
  /** `x = x * coef` in f64 lanes, rounded to f32. */
  scale(n: number, x: number, coef: number): void;
  /** `x = min(clip, max(-clip, x))`. */
  clamp(n: number, x: number, clip: number): void;
  /** Σ x² in f64. */
  sumSquares(n: number, x: number): number;
  /** max |x| (NaN if any is NaN). */
  maxAbs(n: number, x: number): number;
  /** Index of the first NaN/±Infinity, or -1. */
  firstNonFinite(n: number, x: number): number;
  countNonFinite(n: number, x: number): number;
  /** Zeroes NaN/±Infinity in place; returns how many. */
  zeroNonFinite(n: number, x: number): number;
}

export interface KernelExports extends VectorKernels {
  /** End of the kernels' static data: every region must start at or after it. */
  heapBase(): number;
  readonly [variant: string]: unknown;
}

/** The `env` imports of kernels.wasm. */
export function kernelImports(memory: WebAssembly.Memory): WebAssembly.Imports {
  return {
    env: {
      memory,
      abort(_message: number, _file: number, line: number, column: number): never {
        throw new Error(`shardstep kernels: abort at ${line}:${column}`);
      },
    },
  };
}

export function ruleKernel(exports: KernelExports, name: string): RuleKernel {
  const f = exports[name];
  if (typeof f !== "function") {
    throw new Error(`kernels.wasm has no export '${name}': rebuild it (npm run build:wasm)`);
  }
  return f as RuleKernel;
}
