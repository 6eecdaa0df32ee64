/**
 * The learner's two live charts as SVG text, drawn by examples/mnist/chart.ts: loss (each push's
 * minibatch loss, its smoothed curve, the held-out loss) and held-out accuracy, both over the
 * shard's version, so that the charts of several tabs share their x axis.
 */
import { lineChart, type Series } from "../examples/mnist/chart";
import { smooth } from "../examples/mnist/train";
import type { LearnerState } from "./learner";

/** Points drawn per series at most: longer runs are thinned evenly (the last point always stays). */
const MAX_POINTS = 600;
const SIZE = { width: 640, height: 360 };

function thin<T>(points: readonly T[]): T[] {
  const stride = Math.ceil(points.length / MAX_POINTS);
  if (stride <= 1) return [...points];
  return points.filter((_, i) => i % stride === 0 || i === points.length - 1);
}

const drawable = (series: Series[]): Series[] => series.filter((s) => s.points.length > 0);

/** The loss chart, or undefined before there is anything to draw. */
export function lossChart(state: LearnerState): string | undefined {
  const smoothed = smooth(state.losses.map((p) => p.loss), 0.95);
  const series = drawable([
    { name: "minibatch loss", points: thin(state.losses.map((p) => [p.version, p.loss] as const)) },
    { name: "smoothed", points: thin(state.losses.map((p, i) => [p.version, smoothed[i]!] as const)) },
    { name: "held-out loss", points: thin(state.heldOut.map((e) => [e.version, e.loss] as const)) },
  ]);
  if (series.length === 0) return undefined;
  return lineChart({ title: "Cross-entropy", xLabel: "shard version", yLabel: "loss", series, ...SIZE });
}

export function accuracyChart(state: LearnerState): string | undefined {
  const series = drawable([{ name: "held-out accuracy", points: thin(state.heldOut.map((e) => [e.version, e.accuracy] as const)) }]);
  if (series.length === 0) return undefined;
  return lineChart({ title: "Accuracy on held-out digits", xLabel: "shard version", yLabel: "accuracy", series, ...SIZE });
}
