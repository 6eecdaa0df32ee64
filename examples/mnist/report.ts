/** What a run leaves behind: results as JSON, and the charts. */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { BiasRun } from "./bias";
import { lineChart, sideBySide } from "./chart";
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

/**
 * Kingma & Ba (2015), Fig. 4 at small scale: the loss against the learning rate for each β2, bias
 * correction solid, without it dashed; early steps on the left, the end of the run on the right.
 */
export function biasChart(runs: readonly BiasRun[], steps: number, early: number): string {
  const betas = [...new Set(runs.map((r) => r.beta2))];
  const panel = (title: string, yLabel: string, value: (r: BiasRun) => number) =>
    lineChart({
      title,
      xLabel: "learning rate",
      yLabel,
      logX: true,
      logY: true,
      width: 700,
      height: 420,
      legend: "right",
      series: betas.flatMap((beta2, b) =>
        [true, false].map((corrected) => ({
          name: `β2 ${beta2}${corrected ? "" : ", uncorrected"}`,
          color: b,
          dashed: !corrected,
          points: runs.filter((r) => r.beta2 === beta2 && r.corrected === corrected).map((r) => [r.lr, value(r)] as const),
        })),
      ),
    });
  return sideBySide([
    panel(`Adam on MNIST: first ${early} steps`, `mean training loss, steps 1-${early}`, (r) => r.earlyLoss),
    panel(`Adam on MNIST: after ${steps} steps`, "training loss (smoothed)", (r) => r.finalLoss),
  ]);
}
