import { resolveHyper, type HyperSpec } from "../hyper";

/** torch.optim.LBFGS's hyperparameters under its names; `line_search_fn: None` is "none". */
export interface LbfgsHyper {
  [k: string]: number | string;
  lr: number;
  max_iter: number;
  max_eval: number;
  tolerance_grad: number;
  tolerance_change: number;
  history_size: number;
  line_search_fn: "none" | "strong_wolfe";
}

export const lbfgsSpec: HyperSpec = {
  lr: { kind: "number", default: 1, above: 0 },
  max_iter: { kind: "number", default: 20, integer: true, min: 1 },
  // torch's default is `max_iter * 5 // 4`, filled in by resolveLbfgs when max_eval is not given.
  max_eval: { kind: "number", default: 25, integer: true, min: 1 },
  tolerance_grad: { kind: "number", default: 1e-7, min: 0 },
  tolerance_change: { kind: "number", default: 1e-9, min: 0 },
  history_size: { kind: "number", default: 100, integer: true, min: 1 },
  line_search_fn: { kind: "choice", default: "none", choices: ["none", "strong_wolfe"] },
};

export function resolveLbfgs(input: unknown): LbfgsHyper {
  const hyper = resolveHyper<LbfgsHyper>("lbfgs", lbfgsSpec, input);
  const given = (input ?? {}) as Record<string, unknown>;
  if (!("max_eval" in given)) hyper.max_eval = Math.floor((hyper.max_iter * 5) / 4);
  return hyper;
}
