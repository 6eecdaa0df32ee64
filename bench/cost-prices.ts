/**
 * The platform's published prices (Workers Paid, Standard usage model; Durable Objects on SQLite
 * storage), as read on the date below, and the price of a million steps from what bench/cost.ts
 * measures. Marginal prices: the monthly included amounts (10M Worker requests, 30M CPU ms, 1M
 * object requests, 400,000 GB-s, 25B rows read, 50M rows written, 5 GB-month) and the $5 monthly
 * minimum are left out.
 */
export const PRICES = {
  read: "read 2026-12-06",
  workers: "https://developers.cloudflare.com/workers/platform/pricing/",
  durableObjects: "https://developers.cloudflare.com/durable-objects/platform/pricing/",
  d1Rows: "https://developers.cloudflare.com/d1/platform/pricing/",
  /** $ per million Worker requests. */
  workerRequest: 0.3,
  /** $ per million CPU milliseconds of the Worker. */
  workerCpuMs: 0.02,
  /** $ per million Durable Object requests (each RPC call on a stub is one). */
  objectRequest: 0.15,
  /** $ per million GB-s of Durable Object duration, billed on the 128 MB an object is allocated. */
  gbSecond: 12.5,
  objectGb: 128 / 1024,
  /** $ per million rows read / written (SQLite-backed objects, the same rates as D1). */
  rowRead: 0.001,
  rowWritten: 1.0,
  /** $ per GB-month of stored SQL data. */
  gbMonth: 0.2,
} as const;

/** One shard size as bench/cost.ts measured it. */
export interface Measured {
  parameters: number;
  steps: number;
  rowsReadPerStep: number;
  rowsWrittenPerStep: number;
  statementsPerStep: number;
  /** What the object's alarm handler read and wrote after the steps (a materialization, once the gradient log exists). */
  alarmRowsRead: number;
  alarmRowsWritten: number;
  /** Median client latency of a push, one at a time: an upper bound of the object's active time per step. */
  medianMs: number;
  /** The runtime workerd's CPU per request of a push's edge path with an object that writes nothing and echoes the bytes: an upper bound of the Worker's CPU per push. */
  cpuMsPerStep: number;
  /** `ctx.storage.sql.databaseSize` after the steps and the alarm: the bytes billed as stored. */
  databaseSize: number;
  /** A logging shard's `databaseSize` right after the alarm that follows the steps, its log's ring still held (docs/gradient-log.md). */
  databaseSizeBusy?: number;
  /** The object's files under --persist-to after the steps and the alarm, by suffix. */
  files: Record<string, number>;
}

export interface Run {
  at: string;
  commit: string;
  cpu: string;
  load: number;
  walAnswers: Record<string, string>;
  results: Measured[];
}

/** Runs by column: "today" (state pages written every step) and "log" (the gradient log). */
export type Measurements = Partial<Record<"today" | "log", Run>>;

/** Rows per step with the alarm's rows spread over the steps before it. */
export const rowsPerStep = (m: Measured) => ({
  read: m.rowsReadPerStep + m.alarmRowsRead / m.steps,
  written: m.rowsWrittenPerStep + m.alarmRowsWritten / m.steps,
});

/** The price in $ of a million pushes to one shard, by line. */
export function priceOfMillionSteps(m: Measured) {
  const rows = rowsPerStep(m);
  const lines = {
    workerRequests: PRICES.workerRequest,
    workerCpu: m.cpuMsPerStep * PRICES.workerCpuMs,
    objectRequests: PRICES.objectRequest,
    duration: (m.medianMs / 1000) * PRICES.objectGb * PRICES.gbSecond,
    rowsRead: rows.read * PRICES.rowRead,
    rowsWritten: rows.written * PRICES.rowWritten,
  };
  return { ...lines, total: Object.values(lines).reduce((a, b) => a + b, 0) };
}
