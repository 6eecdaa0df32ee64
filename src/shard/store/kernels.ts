// The compiled update kernels (npm run build:wasm). Workers instantiate precompiled modules only,
// so the module is imported here, by the platform layer, and handed to the pure math.
import kernels from "../../optim/fast/kernels.wasm";

export const kernelModule: WebAssembly.Module = kernels;
