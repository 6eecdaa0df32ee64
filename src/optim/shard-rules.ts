import { LBFGS_SCALAR_SPECS, lbfgsSlots, lbfgsSpec, resolveLbfgs, type LbfgsHyper } from "./lbfgs";
import type { Hyper, HyperSpec } from "./hyper";
import { getRule, ruleNames, type RuleName } from "./rules";
import type { ScalarSpec, SlotSpec } from "./state";

/**
 * What a shard may be configured with: an update rule (one step per gradient, src/optim/rules), or
 * L-BFGS, which is no such rule: it takes a loss with each gradient, runs a line search over
 * several pushes and keeps state whose length depends on the shard's (src/optim/lbfgs).
 */
export const LBFGS = "lbfgs";
export type ShardRuleName = RuleName | typeof LBFGS;
export const shardRuleNames: readonly ShardRuleName[] = [...ruleNames, LBFGS];

export const isLbfgs = (rule: ShardRuleName): rule is typeof LBFGS => rule === LBFGS;

/** The optimizer state a shard of `length` keeps for (rule, hyper): its slots (each with its length) and scalars. */
export function stateShape(rule: ShardRuleName, hyper: Hyper, length: number): { slots: SlotSpec[]; scalars: readonly ScalarSpec[] } {
  if (isLbfgs(rule)) return { slots: lbfgsSlots(length, hyper as LbfgsHyper), scalars: LBFGS_SCALAR_SPECS };
  const t = getRule(rule).transform(hyper);
  return { slots: t.slots.map((s) => ({ ...s, length: s.length ?? length })), scalars: t.scalars };
}

/** What the rule's formulas and defaults follow. */
export const referenceOf = (rule: ShardRuleName): string => (isLbfgs(rule) ? "torch.optim.LBFGS (PyTorch 1.13), one closure call per push" : getRule(rule).reference);

/** Every hyperparameter of `rule` with its default. */
export const ruleDefaults = (rule: ShardRuleName): Hyper => resolveRuleHyper(rule, {});

/** The hyperparameters `rule` takes, by name. */
export const specOf = (rule: ShardRuleName): HyperSpec => (isLbfgs(rule) ? lbfgsSpec : getRule(rule).spec);

/** `input` resolved as `rule`'s hyperparameters (throws HyperparameterError). */
export const resolveRuleHyper = (rule: ShardRuleName, input: unknown): Hyper => (isLbfgs(rule) ? resolveLbfgs(input) : getRule(rule).resolve(input));
