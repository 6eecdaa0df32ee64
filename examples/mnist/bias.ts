/**
 * The bias-correction study of Kingma & Ba (2015, §6.4, Fig. 4) at small scale: Adam with β1 = 0.9
 * and β2 close to 1, with and without its bias correction, over a grid of learning rates, on the
 * same logistic regression and the same minibatches. Without the correction the second moment
 * starts near zero (v₁ = (1 − β2)·g²), so the first steps are about (1 − β1)/√(1 − β2) times the
 * corrected ones: 1× at β2 = 0.99, 3.2× at 0.999, 10× at 0.9999, and large learning rates diverge.
 */
import { compareRules, type Api, type RuleCurve } from "./train";
import type { TrainData } from "./shard";

export const BIAS_BETA2 = [0.99, 0.999, 0.9999] as const;
export const BIAS_LEARNING_RATES = [0.001, 0.003, 0.01, 0.03, 0.1] as const;

export interface BiasRun {
  beta2: number;
  lr: number;
  corrected: boolean;
  /** Mean training loss of the first `early` steps' minibatches: where the correction matters. */
  earlyLoss: number;
  /** The smoothed training loss after the last step. */
  finalLoss: number;
  testAccuracy: number;
}

export interface BiasOptions {
  api: Api;
  shardPrefix: string;
  data: TrainData;
  steps: number;
  /** Steps whose losses make `earlyLoss` (default 20, at most `steps`). */
  early?: number;
  beta2?: readonly number[];
  learningRates?: readonly number[];
  seed?: number;
  onProgress?: (label: string, done: number, loss: number) => void;
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Every (β2, lr, corrected) setting trains its own shard from zeros, side by side. */
export async function biasCorrectionStudy(options: BiasOptions): Promise<BiasRun[]> {
  const early = Math.min(options.early ?? 20, options.steps);
  const settings = (options.beta2 ?? BIAS_BETA2).flatMap((beta2) =>
    (options.learningRates ?? BIAS_LEARNING_RATES).flatMap((lr) => [true, false].map((corrected) => ({ beta2, lr, corrected }))),
  );
  const label = (s: { beta2: number; lr: number; corrected: boolean }) => `b2 ${s.beta2} lr ${s.lr} ${s.corrected ? "corrected" : "uncorrected"}`;
  const curves: RuleCurve[] = await compareRules({
    api: options.api,
    shardPrefix: options.shardPrefix,
    data: options.data,
    steps: options.steps,
    seed: options.seed,
    onProgress: options.onProgress,
    rules: settings.map((s) => ({ label: label(s), rule: "adam", hyper: { lr: s.lr, betas: [0.9, s.beta2], bias_correction: s.corrected } })),
  });
  return settings.map((s, i) => {
    const curve = curves[i]!;
    return { ...s, earlyLoss: mean(curve.losses.slice(0, early)), finalLoss: curve.smoothed.at(-1) ?? NaN, testAccuracy: curve.testAccuracy };
  });
}
