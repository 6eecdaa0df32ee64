// Entry of the fast-path kernels, compiled by scripts/build-wasm.mjs into ../kernels.wasm
// (`asc -O3 --enable simd --runtime stub --importMemory --noAssert`).
//
// Kernels take raw byte addresses into the imported memory (env.memory), an element count and
// scalars, and never allocate. The JS side (../engine.ts, ../ops.ts) owns the memory layout and
// picks the specialised variant of each rule once; ../abi.ts lists the exports and their arguments.
export * from "./sgd";
export * from "./adagrad";
export * from "./rmsprop";
export * from "./adadelta";
export * from "./adam";
export * from "./adamax";
export * from "./nadam";
export * from "./radam";
export * from "./yogi";
export * from "./lion";
export * from "./rprop";
export * from "./asgd";
export * from "./normalized";
export * from "./vector";

/** First byte the kernels' own static data does not use: regions start at or after it. */
export function heapBase(): usize {
  return __heap_base;
}
