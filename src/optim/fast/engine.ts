/**
 * The fast path: an `Engine` whose parameters, gradient and optimizer slots live in the memory of
 * its own WebAssembly instance of kernels.wasm (fused f32x4 SIMD kernels, one pass per update).
 *
 *   const engine = createFastEngine(module, "adam", adam.resolve({ lr: 1e-3 }), n);
 *   engine.params.set(initial);         // or page stored state straight into the views
 *   engine.gradient.set(g);             // zero copy: the kernels read it where it is
 *   engine.step(lr);
 *
 * - `module` is the compiled kernels.wasm, injected because Workers can instantiate a precompiled
 *   Module but cannot compile wasm bytes at run time (Node: test/support/kernels.ts). The engine
 *   instantiates it synchronously with a memory of its own, sized once by `fastEngineBytes` and
 *   never grown: `params`, `gradient`, every `state.slots[name]` and `extra[i]` are Float32Array
 *   views of that memory, valid for the engine's lifetime. Write into them; do not replace them.
 * - `hyper` are resolved hyperparameters (`rule.resolve(input)`), as for createReferenceEngine;
 *   slot names and initial values are the reference transform's own, so states are interchangeable.
 * - `state.step` and `state.scalars` (NAdam's mu_product) are plain JS numbers, read and updated by
 *   `step` exactly as the reference engine does; a storage layer may set them when paging in.
 * - `step(lr, offset, count, hyper)` updates [offset, offset + count) only (and a slot of its own
 *   length whole), with the hyperparameters in force for that update (default: `hyper`; the kernel
 *   plan follows them, the state stays); a kernel does not modify the gradient (the reference
 *   transform, which also runs here for rules without a kernel, overwrites it: either way its
 *   contents after a step are unspecified).
 * - `ops` runs the averages / non-finite / norm helpers on views of this memory (see ./ops.ts);
 *   `extra` holds `options.extraVectors` zero-filled vectors of `length` floats for such uses
 *   (e.g. EMA/SWA averages kept next to the weights).
 *
 * Results match the reference engine to float32 rounding, not bit for bit: the reference computes
 * each stage of the chain in f64 and rounds it once, the kernels round every f32 operation in
 * PyTorch's order (see kernels/common.ts: for most rules they reproduce PyTorch's bits).
 * test/math/fast-engine.test.ts states the tolerance.
 */
import type { Engine } from "../engine";
import { applyTransform, checkRange, followHyper, pointOfEngine } from "../engine";
import type { Hyper } from "../hyper";
import { getRule, type RuleName } from "../rules";
import { initState } from "../state";
import { kernelImports, ruleKernel, type KernelExports } from "./abi";
import { planLayout, REGION_BASE, type Layout } from "./layout";
import type { FastStep } from "./plan";
import { createFastVectorOps, type FastVectorOps } from "./ops";

export type { FastVectorOps } from "./ops";
export { createFastVectorOps } from "./ops";

export interface FastEngineOptions {
  /** Extra zero-filled vectors of `length` floats in the same memory (default 0). */
  readonly extraVectors?: number;
}

export interface FastEngine extends Engine {
  readonly memory: WebAssembly.Memory;
  readonly ops: FastVectorOps;
  readonly extra: readonly Float32Array[];
  /** Bytes of wasm memory this engine holds (= fastEngineBytes for the same arguments). */
  readonly bytes: number;
}

function layoutFor(rule: RuleName, hyper: Hyper, length: number, options: FastEngineOptions) {
  const transform = getRule(rule).transform(hyper);
  const slots = transform.slots.map((s) => ({ name: s.name, length: s.length ?? length }));
  return { transform, layout: planLayout(engineVectors(length, slots, options)) };
}

/**
 * Bytes of WebAssembly memory a fast engine for (rule, hyper, length) allocates: params, gradient,
 * every slot and the extra vectors, each 64-byte aligned, rounded up to whole 64 KiB pages.
 */
export function fastEngineBytes(rule: RuleName, hyper: Hyper, length: number, options: FastEngineOptions = {}): number {
  return layoutFor(rule, hyper, length, options).layout.bytes;
}

/** The byte layout an engine for these arguments uses (regions by name, pages). */
export function fastEngineLayout(rule: RuleName, hyper: Hyper, length: number, options: FastEngineOptions = {}): Layout {
  return layoutFor(rule, hyper, length, options).layout;
}

export function createFastEngine(
  module: WebAssembly.Module,
  rule: RuleName,
  hyper: Hyper,
  length: number,
  options: FastEngineOptions = {},
): FastEngine {
  const { transform, layout } = layoutFor(rule, hyper, length, options);
  const { memory, kernels, view, addresses, extra } = engineMemory(module, layout);
  const params = view("params");
  const gradient = view("gradient");
  const state = initState(transform.slots, transform.scalars, length, (_length, name) => view(name));
  // The rule picks its kernel variants for the hyperparameters in force (its `fast` plan,
  // ../rules/*.ts): once, and again only for a step whose hyperparameters differ. A rule without a
  // plan runs its reference transform on the views of this memory.
  const at = {
    kernel: (name: string) => ruleKernel(kernels, name),
    p: addresses.params!,
    g: addresses.gradient!,
    slot: (name: string) => addresses[name] ?? 0,
  };
  const plan = getRule(rule).fast;
  const planFor = followHyper(rule, hyper, [...transform.slots, ...transform.scalars].map((s) => s.name), (h): FastStep => {
    if (plan) return plan(h, at);
    const inForce = getRule(rule).transform(h);
    return (n, o, _t, lr) => applyTransform(inForce, { params, gradient, state }, lr, o / 4, n);
  });

  return {
    rule,
    hyper,
    length,
    params,
    state,
    gradient,
    memory,
    extra,
    bytes: layout.bytes,
    ops: createFastVectorOps(kernels, memory),
    step(lr, offset = 0, count = length - offset, inForce = hyper) {
      checkRange(length, offset, count);
      planFor(inForce)(count, offset * 4, state.step + 1, lr, state.scalars);
      state.step += 1;
    },
    point: pointOfEngine(rule, hyper, params, state),
  };
}

/** The vectors an engine of `length` floats holds before its rule's slots, and the extra ones after them. */
export function engineVectors(length: number, slots: readonly { name: string; length: number }[], options: FastEngineOptions) {
  const extra = options.extraVectors ?? 0;
  if (!Number.isInteger(extra) || extra < 0) throw new RangeError(`extraVectors must be a non-negative integer, got ${extra}`);
  return [
    { name: "params", length },
    { name: "gradient", length },
    ...slots,
    ...Array.from({ length: extra }, (_, i) => ({ name: `extra:${i}`, length })),
  ];
}

/** A memory of its own laid out as `layout`, an instance of the kernels on it, and views of its regions. */
export function engineMemory(module: WebAssembly.Module, layout: Layout) {
  const memory = new WebAssembly.Memory({ initial: layout.pages, maximum: layout.pages });
  const instance = new WebAssembly.Instance(module, kernelImports(memory));
  const kernels = instance.exports as unknown as KernelExports;
  if (kernels.heapBase() > REGION_BASE) {
    throw new Error(`kernels.wasm uses memory up to ${kernels.heapBase()}, past the engine's first region at ${REGION_BASE}`);
  }
  const view = (name: string): Float32Array => {
    const region = layout.regions.find((r) => r.name === name)!;
    return new Float32Array(memory.buffer, region.offset, region.length);
  };
  const addresses: Record<string, number> = {};
  for (const r of layout.regions) addresses[r.name] = r.offset;
  const extra = layout.regions.filter((r) => r.name.startsWith("extra:")).map((r) => view(r.name));
  return { memory, kernels, view, addresses, extra };
}
