import { z } from "./zod";
import { MAX_MODEL_NAME_LENGTH, MAX_SWEEP_TRIALS } from "../limits";
import { planModel, resolveManifest, type ManifestInput } from "../models/manifest";
import { shardRuleNames, specOf, type ShardRuleName } from "../optim";
import { RefusalError, refuse } from "../problems";
import type { Assignment, ParamValue } from "../sweeps/space";
import { ModelManifestInput } from "./manifest";
import { resolveShardConfig, ShardConfigInput, type ShardConfig } from "./shard";
import type { SweepConfig } from "./sweep";

/**
 * What each trial of a sweep trains: a shard, or a whole model, made from a template with the
 * trial's parameters written in at their targets (in a model, into its manifest's `config`).
 * Without a template the sweep only hands out parameters and records results.
 */
export const trialTemplateSchema = z
  .union([
    z.strictObject({ shard: ShardConfigInput }),
    z.strictObject({ model: ModelManifestInput }).meta({ description: "A model manifest: each trial trains its own model; targets go into the manifest's `config`." }),
  ])
  .nullable()
  .default(null)
  .meta({ description: "The trial's shard (a shard configuration) or model (a manifest), into which each trial's parameters are written at their targets. Null: the client trains." });

export type TrialTemplate = z.output<typeof trialTemplateSchema>;

/** What one trial trains, made from the template. */
export type TrialSetup = ({ kind: "shard"; config: ShardConfig } | { kind: "model"; manifest: ManifestInput }) & {
  /** Parameters the trial's rule has no use for, with why: recorded, not applied. */
  unapplied: string[];
};

type Json = Record<string, unknown>;

/** The longest suffix a trial adds to its sweep's name: `.trial-<id>` (ids stay below twice the trial budget: trials and replicates). */
export const TRIAL_SUFFIX_LENGTH = `.trial-${2 * MAX_SWEEP_TRIALS}`.length;

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
 * A shard configuration with the trial's parameters written in and, for a replicate, its
 * initialisation seed. When a parameter chooses the rule, hyperparameters that rule does not have
 * (momentum for Adam) are left out and listed in `unapplied`.
 */
function applied(sweep: SweepConfig, base: Json, params: Assignment, initSeed: number | undefined): { config: Json; unapplied: string[] } {
  const config = structuredClone(base);
  for (const [name, p] of Object.entries(sweep.space)) if (p.target !== undefined && name in params) setPath(config, p.target, params[name]!);
  const unapplied: string[] = [];
  const rule = config.rule as ShardRuleName;
  if (shardRuleNames.includes(rule) && config.hyper !== undefined) {
    const known = specOf(rule);
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
  if (initSeed !== undefined && init && typeof init === "object" && "seed" in init) config.init = { ...init, seed: initSeed };
  return { config, unapplied };
}

/** What the trial with these parameters trains (a replicate passes its own initialisation seed). */
export function trialSetup(sweep: SweepConfig, params: Assignment, initSeed?: number): TrialSetup {
  const template = sweep.template;
  if (template === null) throw new Error("trialSetup of a sweep without a template");
  if ("shard" in template) {
    const { config, unapplied } = applied(sweep, template.shard as unknown as Json, params, initSeed);
    return { kind: "shard", config: resolveShardConfig(config), unapplied };
  }
  const { config, unapplied } = applied(sweep, template.model.config, params, initSeed);
  const manifest: ManifestInput = { ...template.model, config };
  planModel("trial", resolveManifest(manifest));
  return { kind: "model", manifest, unapplied };
}

/** The initialisation seed the template gives every trial (none when its weights start at zeros or it has no template). */
export function templateSeed(sweep: SweepConfig): number | undefined {
  const template = sweep.template;
  const init = (template === null ? undefined : "shard" in template ? template.shard.init : template.model.config.init) as { seed?: unknown } | undefined;
  return typeof init?.seed === "number" ? init.seed : undefined;
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

/** The rule of a template (a model's is its manifest's `config.rule`). */
function templateRule(template: NonNullable<TrialTemplate>): unknown {
  return "shard" in template ? template.shard.rule : template.model.config.rule;
}

/**
 * Refuses a template that some trial of the space could not be made from (naming the parameter's
 * value and why), a target no possible rule has, and a model sweep whose trials' names would be too long.
 */
export function checkTemplate(name: string, sweep: SweepConfig): void {
  const template = sweep.template;
  if (template === null) return;
  if ("model" in template && name.length + TRIAL_SUFFIX_LENGTH > MAX_MODEL_NAME_LENGTH) {
    refuse("invalid-config", `a sweep of models names its trials '${name}.trial-<id>', at most ${MAX_MODEL_NAME_LENGTH} characters; use a sweep name of at most ${MAX_MODEL_NAME_LENGTH - TRIAL_SUFFIX_LENGTH}`);
  }
  const chosen = Object.values(sweep.space).flatMap((p) => (p.target === "rule" && p.kind === "choice" ? p.values : []));
  const rules = [templateRule(template), ...chosen].filter((r): r is ShardRuleName => shardRuleNames.includes(r as ShardRuleName));
  for (const [param, p] of Object.entries(sweep.space)) {
    const key = p.target?.startsWith("hyper.") ? p.target.split(".")[1]! : undefined;
    if (key !== undefined && !rules.some((r) => key in specOf(r))) {
      refuse("invalid-config", `parameter '${param}' targets hyper.${key}, which ${rules.map((r) => `'${r}'`).join(" and ")} do${rules.length > 1 ? "" : "es"} not have; GET /v1/rules lists each rule's hyperparameters`);
    }
  }
  for (const params of cornerAssignments(sweep)) {
    try {
      trialSetup(sweep, params);
    } catch (e) {
      if (!(e instanceof RefusalError)) throw e;
      refuse("invalid-config", `the template cannot make the trial with ${JSON.stringify(params)}: ${e.detail}; narrow the space or change the template`);
    }
  }
}
