import { z } from "@hono/zod-openapi";
import type { LbfgsPushOutcome } from "../shard/types";
import { integerHeader, zodEnumHeader } from "./schemas/headers";

/**
 * What an lbfgs push did (one closure call of torch.optim.LBFGS, docs/rules.md): in a summary as
 * `lbfgs`, and with a vector answer as headers (the body is then the next point).
 */
export const LbfgsOutcome = z
  .object({
    outcome: z.enum(["accepted", "probe", "converged", "step_done"]).openapi({
      description:
        "accepted: the weights moved and the step() call goes on; probe: a line-search trial, the weights did not move; converged: the step() call ended on a tolerance; step_done: it ended on max_iter or max_eval (the weights may have moved in the last two).",
    }),
    end: z.enum(["tolerance_grad", "directional_derivative", "tolerance_change_step", "tolerance_change_loss", "max_iter", "max_eval"]).nullable().openapi({ description: "Why the step() call ended; null while it goes on." }),
    step_evaluations: z.number().int().openapi({ description: "Closure calls of the current step() call, this one included." }),
    func_evals: z.number().int().openapi({ description: "Closure calls over all step() calls (torch's state['func_evals'])." }),
    n_iter: z.number().int().openapi({ description: "Iterations over all step() calls (torch's state['n_iter'])." }),
  })
  .openapi("LbfgsOutcome");

export const lbfgsOutcomeHeadersOf = (o: LbfgsPushOutcome): Record<string, string> => ({
  "x-lbfgs-outcome": o.outcome,
  ...(o.end === null ? {} : { "x-lbfgs-end": o.end }),
  "x-lbfgs-step-evaluations": String(o.step_evaluations),
  "x-lbfgs-func-evals": String(o.func_evals),
  "x-lbfgs-n-iter": String(o.n_iter),
});

export const lbfgsOutcomeResponseHeaders = {
  "X-Lbfgs-Outcome": zodEnumHeader("lbfgs: the push's outcome (LbfgsOutcome.outcome).", LbfgsOutcome.shape.outcome),
  "X-Lbfgs-End": zodEnumHeader("lbfgs: why the step() call ended (LbfgsOutcome.end), when it did (absent while it goes on).", LbfgsOutcome.shape.end.unwrap()),
  "X-Lbfgs-Step-Evaluations": integerHeader("lbfgs: closure calls of the current step() call."),
  "X-Lbfgs-Func-Evals": integerHeader("lbfgs: closure calls over all step() calls."),
  "X-Lbfgs-N-Iter": integerHeader("lbfgs: iterations over all step() calls."),
};
