import type { PlateauSpec } from "./spec";

/** ReduceLROnPlateau's state: everything it remembers between metric reports. */
export interface PlateauState {
  lr: number;
  best: number;
  bad_epochs: number;
  cooldown_counter: number;
  /** Metric reports seen. */
  reports: number;
}

export function initPlateau(spec: PlateauSpec, baseLr: number): PlateauState {
  return { lr: baseLr, best: spec.mode === "min" ? Infinity : -Infinity, bad_epochs: 0, cooldown_counter: 0, reports: 0 };
}

function isBetter(spec: PlateauSpec, metric: number, best: number): boolean {
  const { mode, threshold_mode: rel, threshold } = spec;
  if (mode === "min") return rel === "rel" ? metric < best * (1 - threshold) : metric < best - threshold;
  return rel === "rel" ? metric > best * (threshold + 1) : metric > best + threshold;
}

/**
 * ReduceLROnPlateau.step(metric): after more than `patience` reports without improvement the lr is
 * multiplied by `factor` (not below `min_lr`, and only if it changes by more than `eps`), then
 * `cooldown` reports are ignored. Returns the new state; the input is not modified.
 */
export function observeMetric(spec: PlateauSpec, state: PlateauState, metric: number): PlateauState {
  const next = { ...state, reports: state.reports + 1 };
  if (isBetter(spec, metric, next.best)) {
    next.best = metric;
    next.bad_epochs = 0;
  } else {
    next.bad_epochs += 1;
  }
  if (next.cooldown_counter > 0) {
    next.cooldown_counter -= 1;
    next.bad_epochs = 0;
  }
  if (next.bad_epochs > spec.patience) {
    const reduced = Math.max(next.lr * spec.factor, spec.min_lr);
    if (next.lr - reduced > spec.eps) next.lr = reduced;
    next.cooldown_counter = spec.cooldown;
    next.bad_epochs = 0;
  }
  return next;
}
