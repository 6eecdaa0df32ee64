import { z } from "zod";
import { getRule, ruleNames, type RuleName } from "../optim";
import { RefusalError, refuse } from "../problems";
import type { Assignment, ParamValue } from "../sweeps/space";
import { resolveShardConfig, ShardConfigInput, type ShardConfig } from "./shard";
import type { SweepConfig } from "./sweep";

/**
 * What each trial of a sweep trains: a shard made from a configuration with the trial's
 * parameters written into it at their targets. Without a template the sweep only hands out
 * parameters and records results (the client trains however it likes).
 */
export const trialTemplateSchema = z
  .strictObject({ shard: ShardConfigInput })
  .nullable()
  .default(null)
  .meta({ description: "The trial's shard: a shard configuration into which each trial's parameters are written at their targets. Null: no shard, the client trains." });

export type TrialTemplate = z.output<typeof trialTemplateSchema>;

export interface TrialConfig {
  config: ShardConfig;
  /** Parameters (or template hyperparameters) the trial's rule has no use for, with why: recorded, not applied. */
  unapplied: string[];
}

type Json = Record<string, unknown>;

function setPath(target: Json, path: string, value: ParamValue): void {
  const keys = path.split(".");
  let node: Json = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    const copy: Json = next !== null && typeof next === "object" ? (Array.isArray(next) ? ([...next] as unknown as Json) : { ...(next as Json) }) : {};
    node[key] = copy;
    node = copy;
  }
  node[keys[keys.length - 1]!] = value;
}

/**
 * The shard configuration of a trial: the template with each targeted parameter written in, and
 * (for replicates) the initialisation seed. When a parameter chooses the rule, hyperparameters
 * that rule does not have (momentum for Adam) are left out and listed in `unapplied`.
 */
export function trialConfig(sweep: SweepConfig, params: Assignment, initSeed?: number): TrialConfig {
  const template = sweep.template;
  if (template === null) throw new Error("trialConfig of a sweep without a template");
  const config = structuredClone(template.shard) as unknown as Json;
  for (const [name, p] of Object.entries(sweep.space)) if (p.target !== undefined && name in params) setPath(config, p.target, params[name]!);
  const unapplied: string[] = [];
  const rule = config.rule as RuleName;
  if (ruleNames.includes(rule)) {
    const known = getRule(rule).spec;
    const hyper = { ...(config.hyper as Json) };
    for (const key of Object.keys(hyper)) {
      if (key in known) continue;
      const from = Object.entries(sweep.space).find(([, p]) => p.target === `hyper.${key}` || p.target?.startsWith(`hyper.${key}.`));
      if (from) unapplied.push(`${from[0]}: rule '${rule}' has no '${key}'`);
      delete hyper[key];
    }
    config.hyper = hyper;
  }
  const init = config.init as Json | undefined;
  if (initSeed !== undefined && init && "seed" in init) config.init = { ...init, seed: initSeed };
  return { config: resolveShardConfig(config), unapplied };
}

/** The assignments that exercise every bound and choice: each parameter at its low, its high and every value, the others at their low. */
function cornerAssignments(sweep: SweepConfig): Assignment[] {
  const base: Assignment = {};
  const values = Object.entries(sweep.space).map(([name, p]) => [name, p.kind === "choice" ? [...p.values] : [p.low, p.high]] as const);
  for (const [name, vs] of values) base[name] = vs[0]!;
  const corners: Assignment[] = [base];
  for (const [name, vs] of values) for (const v of vs.slice(1)) corners.push({ ...base, [name]: v });
  return corners;
}

/** Refuses a template that some trial of the space could not be created from, naming the parameter's value and why. */
export function checkTemplate(sweep: SweepConfig): void {
  if (sweep.template === null) return;
  const chosen = Object.values(sweep.space).flatMap((p) => (p.target === "rule" && p.kind === "choice" ? p.values : []));
  const rules = [sweep.template.shard.rule, ...chosen].filter((r): r is RuleName => ruleNames.includes(r as RuleName));
  for (const [name, p] of Object.entries(sweep.space)) {
    const key = p.target?.startsWith("hyper.") ? p.target.split(".")[1]! : undefined;
    if (key !== undefined && !rules.some((r) => key in getRule(r).spec)) {
      refuse("invalid-config", `parameter '${name}' targets hyper.${key}, which ${rules.map((r) => `'${r}'`).join(" and ")} do${rules.length > 1 ? "" : "es"} not have; GET /v1/rules lists each rule's hyperparameters`);
    }
  }
  for (const params of cornerAssignments(sweep)) {
    try {
      trialConfig(sweep, params);
    } catch (e) {
      if (!(e instanceof RefusalError)) throw e;
      refuse("invalid-config", `the template cannot make the trial with ${JSON.stringify(params)}: ${e.detail}; narrow the space or change the template`);
    }
  }
}
