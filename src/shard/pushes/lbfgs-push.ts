import { refuse } from "../../problems";
import type { LbfgsResident, Resident } from "../store/resident";
import type { LbfgsPushOutcome, PushRequest, PushSummary } from "../types";
import { floatCount } from "../../formats/float32";
import { stageGradient } from "./apply";

/**
 * One push to an L-BFGS shard is one closure call of torch.optim.LBFGS (docs/rules.md): the loss
 * and the whole gradient at the point the shard asks for, named by its revision. The revision moves
 * with every closure call taken (the point moves: a new trial, or the weights), the version only
 * when the weights move. Refusals happen before anything resident changes; a closure call whose
 * state would not store as JSON (a non-finite scalar) is undone by `discard` (the shard is rebuilt
 * from its stored pages) and refused.
 */
export function applyLbfgsPush(resident: LbfgsResident, req: PushRequest, now: number, discard: () => void): PushSummary {
  const { meta } = resident;
  const { length } = meta.config;
  const loss = checkLbfgsPush(resident, req);
  if (req.pointRevision !== meta.revision) {
    refuse("point-moved", `the gradient was computed at the point of revision ${req.pointRevision}; the shard asks for the point of revision ${meta.revision}: GET /point and evaluate there`, { revision: meta.revision });
  }
  stageGradient(resident, req, 0, length);
  const lbfgs = closureCall(resident, loss, now, discard);
  return { offset: 0, count: length, staleness: 0, staleness_scale: 1, non_finite: 0, version: meta.version, revision: meta.revision, lr: resident.engine.hyper.lr, applied: true, lbfgs };
}

/**
 * Checks what every lbfgs push carries (async or rounds): the whole gradient, a finite X-Loss and
 * an X-Point-Revision. Answers the loss; whether the revision is the right one is the caller's.
 */
export function checkLbfgsPush(resident: Resident, req: PushRequest): number {
  const { meta } = resident;
  const { length } = meta.config;
  const count = floatCount(req.gradient, "the gradient");
  if ((req.offset ?? 0) !== 0 || count !== length) {
    refuse("invalid-range", `lbfgs takes the whole gradient at its point: push all ${length} floats (${length * 4} bytes) with no offset; got ${count} at offset ${req.offset ?? 0}`, { length });
  }
  if (req.loss === undefined) refuse("loss-required", "lbfgs takes the loss at its point with every gradient: send it as X-Loss (a finite number)");
  if (!Number.isFinite(req.loss)) refuse("non-finite", `X-Loss is ${req.loss}: send the loss at the point as a finite decimal number`);
  if (req.pointRevision === undefined) {
    refuse("point-revision-required", `lbfgs needs to know which point the gradient was computed at: send X-Point-Revision with the revision of that point (the shard's is ${meta.revision}: GET /point, or the last push's ETag)`, { revision: meta.revision });
  }
  return req.loss;
}

/**
 * One closure call on the gradient already in the engine's scratch and `loss`: moves the revision
 * (and the version when the weights move) and answers what the machine did. A call that would
 * store a non-finite scalar is undone by `discard` and refused.
 */
export function closureCall(resident: LbfgsResident, loss: number, now: number, discard: () => void): LbfgsPushOutcome {
  const { engine, meta } = resident;
  const answer = engine.evaluate(loss);
  const scalars = engine.state.scalars;
  const bad = Object.keys(scalars).find((name) => !Number.isFinite(scalars[name]));
  if (bad !== undefined) {
    discard();
    refuse("non-finite", `this loss and gradient drive L-BFGS's '${bad}' to ${scalars[bad]}; nothing was applied. Check the loss and gradient at this point (or restart from a checkpoint)`);
  }
  if (answer.moved) meta.version += 1;
  meta.step = engine.state.step;
  meta.revision += 1;
  meta.scalars = { ...scalars };
  meta.updatedAt = now;
  return { outcome: answer.outcome, end: answer.end, step_evaluations: answer.stepEvaluations, func_evals: scalars.func_evals!, n_iter: scalars.n_iter! };
}
