/**
 * The fast engine's Adam against C on the same work, for bench/kernels.ts: at 2^20 to 2^24
 * parameters, the kernel alone and the kernel plus the copy of the gradient into wasm memory, and
 * C (bench/c/adam.c: the same f32 operations in the same order) reading its gradient in place or
 * after a memcpy of it into a buffer of its own. C is compiled here with the machine's compiler
 * (`cc`, else `gcc`, else `clang`), twice: `-O3` (baseline x86-64: 128-bit SSE, the width of wasm's
 * f32x4) and `-O3 -march=native` (the widest vectors the CPU has), both with `-fno-math-errno`
 * (else sqrtf sets errno and the loop is not vectorised; results are the same) and
 * `-ffp-contract=off` (no fused multiply-adds: the same roundings as the engine).
 *
 * The engine's copy is measured both ways the service could write it: `Float32Array.set` from a
 * Float32Array and `Uint8Array.set` from the bytes of the body (a memcpy either way; the service does
 * the latter, src/shard/pushes/apply.ts). The JavaScript rows are timed in this process, interleaved;
 * each C build runs as its own process right after them, at the same size. Every figure is the
 * fastest of its repetitions, on both sides: the machine is shared, and a median there measures the
 * neighbours as much as the code.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { getRule } from "../src/optim";
import { createFastEngine } from "../src/optim/fast/engine";
import { fastest } from "./stats";

const source = join(dirname(fileURLToPath(import.meta.url)), "c/adam.c");
const C_FLAGS = ["-O3", "-fno-math-errno", "-ffp-contract=off"];
const BUILDS = [
  { name: "C -O3", flags: C_FLAGS },
  { name: "C -O3 -march=native", flags: [...C_FLAGS, "-march=native"] },
] as const;
/** The goal: the engine with its input copy within this factor of C. */
export const C_TARGET = 1.3;

export interface CTimes {
  kernel: number;
  copyKernel: number;
  copy: number;
}

export interface AdamVsCRow {
  log2n: number;
  /** Seconds per step: kernel alone, copy (Float32Array.set) + kernel, copy (Uint8Array.set) + kernel, the copy alone. */
  kernel: number;
  f32Copy: number;
  u8Copy: number;
  copy: number;
  c: Record<string, CTimes>;
}

function compiler(): string | undefined {
  for (const cc of ["cc", "gcc", "clang"]) {
    try {
      execFileSync(cc, ["--version"], { stdio: "ignore" });
      return cc;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

function fill(v: Float32Array, seed: number): void {
  let s = seed;
  for (let i = 0; i < v.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    v[i] = (s / 2 ** 32 - 0.5) * 2;
  }
}

/** Runs the comparison; undefined (with the reason) when no C compiler is on the machine. */
export function adamAgainstC(module: WebAssembly.Module, quick: boolean): { rows: AdamVsCRow[]; cc: string } | string {
  const cc = compiler();
  if (!cc) return "no C compiler (cc, gcc or clang) on this machine";
  const dir = mkdtempSync(join(tmpdir(), "shardstep-adam-c-"));
  try {
    const binaries = BUILDS.map((b, i) => {
      const out = join(dir, `adam-${i}`);
      execFileSync(cc, [...b.flags, "-o", out, source, "-lm"]);
      return { name: b.name, out };
    });
    const version = execFileSync(cc, ["--version"], { encoding: "utf8" }).split("\n")[0]!.trim();
    const hyper = getRule("adam").resolve({});
    const lr = hyper.lr as number;
    const rows: AdamVsCRow[] = [];
    for (const log2n of quick ? [20, 22] : [20, 21, 22, 23, 24]) {
      const n = 2 ** log2n;
      const engine = createFastEngine(module, "adam", hyper, n);
      fill(engine.params, 1);
      const input = new Float32Array(n);
      fill(input, 2);
      const inputBytes = new Uint8Array(input.buffer);
      const target = new Uint8Array(engine.gradient.buffer, engine.gradient.byteOffset, n * 4);
      const big = n >= 1 << 22;
      const repMs = quick ? 10 : big ? 40 : 25;
      const reps = quick ? 3 : big ? 9 : 15;
      const t = fastest(
        {
          kernel: () => engine.step(lr),
          f32Copy: () => {
            engine.gradient.set(input);
            engine.step(lr);
          },
          u8Copy: () => {
            target.set(inputBytes);
            engine.step(lr);
          },
          copy: () => target.set(inputBytes),
        },
        repMs,
        reps,
      );
      const c: Record<string, CTimes> = {};
      for (const b of binaries) {
        const args = [String(n), String(repMs), String(reps)];
        const r = JSON.parse(execFileSync(b.out, args, { encoding: "utf8" })) as { kernel: number; copy_kernel: number; copy: number };
        c[b.name] = { kernel: r.kernel, copyKernel: r.copy_kernel, copy: r.copy };
      }
      rows.push({ log2n, ...t, c });
      const ns = (s: number) => ((s / n) * 1e9).toFixed(2);
      console.log(
        `2^${log2n} adam vs C: engine kernel ${ns(t.kernel)} ns, +copy ${ns(t.u8Copy)} (Float32Array.set ${ns(t.f32Copy)}); ` +
          binaries.map((b) => `${b.name} kernel ${ns(c[b.name]!.kernel)}, +memcpy ${ns(c[b.name]!.copyKernel)}`).join("; "),
      );
    }
    return { rows, cc: version };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The Markdown of the comparison, with its targets. */
export function adamVsCMarkdown(result: { rows: AdamVsCRow[]; cc: string } | string): string[] {
  if (typeof result === "string") return [`Adam against C not measured: ${result}.`, ""];
  const { rows, cc } = result;
  const ns = (s: number, log2n: number) => ((s / 2 ** log2n) * 1e9).toFixed(2);
  const x = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
  const [o3, native] = BUILDS.map((b) => b.name);
  const c = (r: AdamVsCRow, build: string, k: keyof CTimes) => r.c[build]![k];
  const lines = [
    "### Adam against C",
    "",
    `The fast engine's Adam and the same loop in C (bench/c/adam.c: the same f32 operations in the same order; ${cc}; ` +
      `${BUILDS.map((b) => `*${b.name}* is \`${b.flags.join(" ")}\``).join(", ")}; \`-fno-math-errno\` lets sqrtf vectorise and changes no result, ` +
      "`-ffp-contract=off` keeps the engine's roundings). *C -O3* vectorises with 128-bit SSE, the width of wasm's f32x4; *native* with the CPU's widest vectors (AVX2 here, twice as wide), which WebAssembly cannot use. " +
      "ns/param, the fastest of timed repetitions after warm-up on both sides (the machine is shared: a median measures the neighbours); the C builds run as their own processes right after the engine's rows at each size. " +
      "*kernel*: the update alone, the gradient read where it lies (the engine: in its wasm memory; C: in the input buffer). " +
      "*+copy*: the gradient first copied from a buffer outside into the engine's memory (`Uint8Array.set` of the body's bytes, as the service does; `Float32Array.set` of floats in brackets), " +
      "for C a `memcpy` into a gradient buffer of its own: the same work on both sides. *copy*: that copy alone.",
    "",
    "| n | engine kernel | engine +copy | engine copy | C -O3 kernel | C -O3 +memcpy | C native kernel | C native +memcpy | kernel ÷ C -O3 kernel | +copy ÷ C -O3 +memcpy | +copy ÷ C -O3 kernel in place | +copy ÷ C native +memcpy |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...rows.map(
      (r) =>
        `| 2^${r.log2n} | ${ns(r.kernel, r.log2n)} | ${ns(r.u8Copy, r.log2n)} (${ns(r.f32Copy, r.log2n)}) | ${ns(r.copy, r.log2n)} ` +
        `| ${ns(c(r, o3!, "kernel"), r.log2n)} | ${ns(c(r, o3!, "copyKernel"), r.log2n)} | ${ns(c(r, native!, "kernel"), r.log2n)} | ${ns(c(r, native!, "copyKernel"), r.log2n)} ` +
        `| ${x(r.kernel, c(r, o3!, "kernel"))} | **${x(r.u8Copy, c(r, o3!, "copyKernel"))}** | ${x(r.u8Copy, c(r, o3!, "kernel"))} | ${x(r.u8Copy, c(r, native!, "copyKernel"))} |`,
    ),
    "",
  ];
  const worst = (f: (r: AdamVsCRow) => number) => Math.max(...rows.map(f));
  const sameWork = worst((r) => r.u8Copy / c(r, o3!, "copyKernel"));
  const inPlace = worst((r) => r.u8Copy / c(r, o3!, "kernel"));
  const kernelOnly = worst((r) => r.kernel / c(r, o3!, "kernel"));
  const againstNative = worst((r) => r.u8Copy / c(r, native!, "copyKernel"));
  const met = (v: number) => (v <= C_TARGET ? "**met**" : "**not met**");
  lines.push(
    `- the engine plus its input copy within ${C_TARGET}× of C -O3 doing the same work (memcpy plus kernel), at every size: worst ${sameWork.toFixed(2)}× — ${met(sameWork)}`,
    `- the same against C -O3's kernel alone, reading its gradient in place (no copy on C's side): worst ${inPlace.toFixed(2)}× — ${met(inPlace)}`,
    `- the kernels alone: worst ${kernelOnly.toFixed(2)}× C -O3's`,
    `- against C built for the CPU (256-bit vectors), same work: worst ${againstNative.toFixed(2)}× (cache-resident sizes pay the vector width; at the largest, memory bandwidth rules both)`,
    "",
  );
  return lines;
}
