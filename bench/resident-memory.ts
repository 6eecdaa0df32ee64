/**
 * Resident bytes per parameter of a shard in the runtime: what `npm run bench:memory` reports
 * (bench/memory.ts), one size at a time, each on a fresh `wrangler dev` of the bench Worker.
 *
 * What is measured: VmRSS of the runtime workerd process (the one that runs the Worker and its
 * Durable Objects; wrangler's proxy is another process) from /proc/<pid>/status. The baseline is
 * its VmRSS after a warm-up (a 1024-parameter Adam shard created, pushed to, deleted: code loaded
 * and compiled, SQLite open) with no shard resident. Then an Adam shard of `length` parameters is
 * created and pushed `pushes` gradients, one at a time, each answered with the weights (4 bytes a
 * parameter down) and sent with an Idempotency-Key (the client's default: the body is hashed).
 * Resident bytes per parameter = (VmRSS after the last answer − baseline) / length, and the same
 * after `idleMs` of idleness (the runtime may free garbage in between). The engine itself holds
 * 16 bytes a parameter (weights, gradient, exp_avg, exp_avg_sq).
 *
 * `of: "floor"` measures the same way what the platform itself keeps for those bytes: the same 100
 * requests of the same gradients to the bench floor (POST /bench/floor/{shard}, bench/floor/floor.ts:
 * the same edge path and RPC, the gradient's own pages written, the bytes echoed), with no shard and
 * so no engine: what a push moves through the runtime, without shardstep's state or work.
 *
 * Beside it, the isolate's own account of its memory, from V8 through the inspector
 * (`Runtime.getHeapUsage`: the JavaScript heap's used bytes, the embedder's, and the backing stores
 * of ArrayBuffers; V8 leaves WebAssembly memories, the engine's, out), at the same moments: what
 * the isolate holds, as against the runtime's own memory and what the process's allocator keeps
 * mapped once it was freed.
 */
import { createShardstep } from "../sdk/client";
import { adminToken, DevServer, memoryOf } from "../test/e2e/support/server";
import { BENCH_CONFIG } from "../test/support/wrangler";
import { openInspector, type InspectorSession } from "./inspector";
import { gradientOfPush, randomGradient, sleep } from "./stats";
import { FLOOR_PAGE_FLOATS, postFloor } from "./log-step";

/** The goal of issue 16: the runtime holds at most this much per parameter after pushes. */
export const TARGET_BYTES_PER_PARAM = 20;
/** What the engine holds per parameter of an Adam shard (weights, gradient, exp_avg, exp_avg_sq in wasm memory), which V8's account leaves out. */
export const ENGINE_BYTES_PER_PARAM = 16;

/** Bytes per parameter the runtime holds outside the isolate's own account after the pushes (its C++ buffers, SQLite, the allocator's free memory; and, for a shard, the engine's wasm memory, which V8 leaves out). */
export const outsideIsolatePerParam = (r: ResidentMemory): number => r.perParam - r.isolatePerParam.after;

export interface ResidentMemory {
  /** An Adam shard pushed to, or the bench floor sent the same bytes. */
  of: "shard" | "floor";
  length: number;
  pushes: number;
  /** VmRSS of the runtime with no shard resident, bytes. */
  baseline: number;
  /** VmRSS after the last push's answer, and after `idleMs` more. */
  after: number;
  afterIdle: number;
  idleMs: number;
  /** Highest VmRSS sampled every 10 ms during the pushes, and VmHWM at the end. */
  sampledPeak: number;
  peak: number;
  /** Bytes per parameter: (after − baseline) / length, and the same after idling. */
  perParam: number;
  perParamIdle: number;
  peakPerParam: number;
  /** The isolate's bytes (JavaScript heap used, embedder heap, ArrayBuffer backing stores): before the shard, after the pushes, after idling. */
  isolate: { baseline: number; after: number; afterIdle: number };
  /** The isolate's bytes per parameter over its baseline: after the pushes, after idling. */
  isolatePerParam: { after: number; afterIdle: number };
}

interface HeapUsage {
  usedSize: number;
  embedderHeapUsedSize?: number;
  backingStorageSize?: number;
}

async function isolateBytes(inspector: InspectorSession): Promise<number> {
  const usage = await inspector.call<HeapUsage>("Runtime.getHeapUsage");
  if (usage.backingStorageSize === undefined) throw new Error("the runtime's inspector reports no backingStorageSize in Runtime.getHeapUsage");
  return usage.usedSize + (usage.embedderHeapUsedSize ?? 0) + usage.backingStorageSize;
}



/** Measures one Adam shard of `length` parameters on a fresh server (see the module's comment). */
export async function residentMemory(length: number, pushes = 100, idleMs = 5_000, of: ResidentMemory["of"] = "shard"): Promise<ResidentMemory> {
  const server = await DevServer.start({ config: BENCH_CONFIG, validate: false });
  try {
    const api = createShardstep({ baseUrl: server.baseUrl, token: await adminToken(), retry: false });
    const runtime = server.runtimePid();
    const rss = () => memoryOf(runtime)?.current ?? NaN;
    const config = (n: number) => ({ length: n, rule: "adam", hyper: { lr: 1e-3 }, rate_limit: null }) as const;

    const warm = "bench-memory-warm";
    await api.createShard(warm, config(1024));
    for (let i = 0; i < 3; i++) await api.pushGradient(warm, randomGradient(1024, i + 1));
    await api.deleteShard(warm);
    await sleep(1_000);
    const baseline = rss();
    const inspector = await openInspector(server.inspectorPort);
    const isolateBaseline = await isolateBytes(inspector);

    const shard = "bench-memory";
    const gradient = randomGradient(length, 11);
    const floorPages = Math.ceil(length / FLOOR_PAGE_FLOATS);
    const send = async (body: Float32Array): Promise<Float32Array> => (of === "floor" ? postFloor(api, shard, body, floorPages) : (await api.pushGradient(shard, body)).weights);
    if (of === "shard") await api.createShard(shard, config(length));
    let sampledPeak = 0;
    const sampler = setInterval(() => (sampledPeak = Math.max(sampledPeak, rss())), 10);
    try {
      for (let i = 0; i < pushes; i++) {
        const answered = await send(gradientOfPush(gradient, i));
        if (answered.length !== length) throw new Error(`push ${i} answered ${answered.length} floats`);
      }
    } finally {
      clearInterval(sampler);
    }
    const after = rss();
    const isolateAfter = await isolateBytes(inspector);
    await sleep(idleMs);
    const afterIdle = rss();
    const isolate = { baseline: isolateBaseline, after: isolateAfter, afterIdle: await isolateBytes(inspector) };
    inspector.close();
    const peak = memoryOf(runtime)?.peak ?? NaN;
    const per = (bytes: number) => (bytes - baseline) / length;
    const isolatePer = (bytes: number) => (bytes - isolate.baseline) / length;
    return {
      of,
      length,
      pushes,
      baseline,
      after,
      afterIdle,
      idleMs,
      sampledPeak,
      peak,
      perParam: per(after),
      perParamIdle: per(afterIdle),
      peakPerParam: per(Math.max(sampledPeak, after)),
      isolate,
      isolatePerParam: { after: isolatePer(isolate.after), afterIdle: isolatePer(isolate.afterIdle) },
    };
  } finally {
    await server.dispose();
  }
}
