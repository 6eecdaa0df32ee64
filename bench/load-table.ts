/** The table of bench:e2e's load rows (docs/benchmarks.md): one line per row of closed-loop clients. */
import type { Load } from "./closed-loop";

export const fmt = (x: number, digits = 1) => x.toFixed(digits);

export const loadTableHead = [
  "| to | client | clients | request | per second | p50 ms | p99 ms | CPU ms per request (client / proxy / runtime) | pushes per write |",
  "|---|---|---:|---|---:|---:|---:|---|---:|",
];

export interface LoadTableRow {
  to: string;
  client: string;
  clients: number;
  request: string;
  load: Load;
  /** Whether wrangler's proxy is on the path (else its CPU column is "–"). */
  proxied: boolean;
  group: number | undefined;
}

export const loadTableRow = (r: LoadTableRow) =>
  `| ${r.to} | ${r.client} | ${r.clients} | ${r.request} | ${fmt(r.load.steps, 0)} | ${fmt(r.load.p50, 2)} | ${fmt(r.load.p99, 2)} | ` +
  `${fmt(r.load.cpu.client, 2)} / ${r.proxied ? fmt(r.load.cpu.proxy, 2) : "–"} / ${fmt(r.load.cpu.runtime, 2)} | ${r.group === undefined ? "–" : fmt(r.group, 1)} |` +
  `${r.load.errors || r.load.reloaded ? ` ${r.load.errors} failed${r.load.reloaded ? ", Worker reloaded" : ""}` : ""}`;
