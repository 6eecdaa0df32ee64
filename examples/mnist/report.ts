/** What a run leaves behind: results as JSON, and the charts. */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { lineChart } from "./chart";
import type { RoundsResult } from "./rounds";
import type { RuleCurve } from "./train";

/**
 * Writes `value` as JSON: numbers to 6 significant digits, arrays of numbers and flat objects on
 * one line each (a loss curve is one line, not a thousand).
 */
export function writeJson(path: string, value: unknown): void {
  const text = JSON.stringify(value, (_, v: unknown) => (typeof v === "number" && !Number.isInteger(v) ? Number(v.toPrecision(6)) : v), 2)
    .replace(/\[\s+([-+\d.e,\s]+?)\s+\]/g, (_, inner: string) => `[${inner.split(/,\s+/).join(", ")}]`)
    .replace(/\{\s+([^{}[\]]+?)\s+\}/g, (_, inner: string) => `{ ${inner.replace(/,\s+/g, ", ")} }`);
  writeText(path, text + "\n");
}

export function writeText(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/** The smoothed training loss of every rule against the step, on a log scale (Kingma & Ba, Fig. 1). */
export function rulesChart(curves: readonly RuleCurve[], batchSize: number): string {
  return lineChart({
    title: `Logistic regression on MNIST through shardstep: training loss (minibatch ${batchSize}, smoothed)`,
    xLabel: "step (shard version)",
    yLabel: "training cross-entropy",
    logY: true,
    series: curves.map((c) => ({ name: `${c.label} (lr ${c.hyper.lr})`, points: c.smoothed.map((loss, i) => [i + 1, loss] as const) })),
  });
}

/** Held-out accuracy after every round, one series per server rule. */
export function roundsChart(results: readonly { label: string; result: RoundsResult }[]): string {
  return lineChart({
    title: `Federated averaging on MNIST through shardstep (${results[0]?.result.clients ?? 0} clients, ${results[0]?.result.split ?? ""})`,
    xLabel: "round",
    yLabel: "test accuracy",
    series: results.map(({ label, result }) => ({ name: label, points: result.history.map((r) => [r.round, r.testAccuracy] as const) })),
  });
}
