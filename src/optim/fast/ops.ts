import { averages, type AverageSpec, type AverageState } from "../averages";
import type { NormType } from "../clip";
import type { VectorKernels } from "./abi";
import { TAIL_SLACK } from "./layout";

/**
 * The vector helpers of `averages.ts`, `finite.ts` and `clip.ts`, run by the kernels of one
 * instance on Float32Array views of that instance's memory (an engine's `params`, `gradient`,
 * slots or `extra` vectors). Passing any other array throws a TypeError: nothing is copied.
 *
 * Results equal the references': bit for bit for the averages, scaling, clamping, max-norm and
 * non-finite scans; the 2-norm sums the same exact f64 squares in another order (a relative
 * difference of the order of n * 2^-53).
 */
export interface FastVectorOps {
  readonly memory: WebAssembly.Memory;
  /** Byte address of `view` in the memory (throws if it is not a view of it). */
  address(view: Float32Array): number;
  /** `updateAverage` of averages.ts; `avg.values` and `weights` must be views of the memory. */
  updateAverage(spec: AverageSpec, avg: AverageState, weights: Float32Array, version: number): void;
  /** `firstNonFinite` of finite.ts. */
  firstNonFinite(vector: Float32Array): number;
  /** How many elements are NaN or ±Infinity. */
  countNonFinite(vector: Float32Array): number;
  /** `zeroNonFinite` of finite.ts. */
  zeroNonFinite(vector: Float32Array): number;
  /** `globalNorm` of clip.ts. */
  globalNorm(vectors: readonly Float32Array[], normType?: NormType): number;
  /** `clipByGlobalNorm` of clip.ts. */
  clipByGlobalNorm(vectors: readonly Float32Array[], maxNorm: number, normType?: NormType): number;
  /** `clipByValue` of clip.ts. */
  clipByValue(vector: Float32Array, clip: number): void;
  /** `vector *= coef`, the product in f64 rounded once. */
  scale(vector: Float32Array, coef: number): void;
}

export function createFastVectorOps(k: VectorKernels, memory: WebAssembly.Memory): FastVectorOps {
  const address = (view: Float32Array): number => {
    const buffer = memory.buffer;
    if (view.buffer !== buffer) {
      throw new TypeError("fast vector ops work on views of the engine's WebAssembly memory only");
    }
    // The kernels may read (never write) up to TAIL_SLACK bytes past the view's end.
    if (view.byteOffset + view.byteLength + TAIL_SLACK > buffer.byteLength) {
      throw new RangeError("a view ending less than 16 bytes before the end of the memory cannot be processed");
    }
    return view.byteOffset;
  };

  const globalNorm = (vectors: readonly Float32Array[], normType: NormType = 2): number => {
    if (normType === "inf") {
      let max = 0;
      for (const v of vectors) max = Math.max(max, k.maxAbs(v.length, address(v)));
      return max;
    }
    let sum = 0;
    for (const v of vectors) sum += k.sumSquares(v.length, address(v));
    return Math.sqrt(sum);
  };

  return {
    memory,
    address,
    updateAverage(spec, avg, weights, version) {
      if (!averages(spec, version)) return;
      const values = avg.values;
      if (values.length !== weights.length) {
        throw new RangeError(`average of length ${values.length} cannot fold in weights of length ${weights.length}`);
      }
      const a = address(values);
      const w = address(weights);
      if (avg.count === 0) {
        values.set(weights);
      } else if (spec.kind === "ema") {
        k.emaUpdate(values.length, a, w, spec.decay, 1 - spec.decay);
      } else {
        k.swaUpdate(values.length, a, w, avg.count + 1);
      }
      avg.count += 1;
    },
    firstNonFinite: (v) => k.firstNonFinite(v.length, address(v)),
    countNonFinite: (v) => k.countNonFinite(v.length, address(v)),
    zeroNonFinite: (v) => k.zeroNonFinite(v.length, address(v)),
    globalNorm,
    clipByGlobalNorm(vectors, maxNorm, normType = 2) {
      const total = globalNorm(vectors, normType);
      const coef = maxNorm / (total + 1e-6);
      if (coef < 1) for (const v of vectors) k.scale(v.length, address(v), coef);
      return total;
    },
    clipByValue: (v, clip) => k.clamp(v.length, address(v), clip),
    scale: (v, coef) => k.scale(v.length, address(v), coef),
  };
}
