import { z } from "./zod";
import { getRule, HyperparameterError, isLbfgs, LBFGS, referenceOf, resolveHyperSchedules, resolveSchedule, ruleNames, shardRuleNames, specOf, structuralHyper, type Hyper, type RuleName, type ScheduleSpec, type ShardRuleName } from "../optim";
import { fastEngineBytes } from "../optim/fast/engine";
import { fastLbfgsEngineBytes } from "../optim/fast/lbfgs-engine";
import { lbfgsSpec, resolveLbfgs, type LbfgsHyper } from "../optim/lbfgs";
import { MAX_PAGE_FLOATS, MAX_SHARD_LENGTH, RESIDENT_BUDGET_BYTES } from "../limits";
import { refuse } from "../problems";
import { aggregationSchema, ASYNC, roundsProblem, type RoundsConfig } from "./aggregation";
import { describeIssues, resolvedBy, specSchema, type Form } from "./fields";
import { withDefault, section } from "./form";
import { scheduleField } from "./schedule";
import { DEFAULT_GRADIENT_LOG, gradientLogSchema } from "./gradient-log";
import { afterPatch } from "./patch-schedules";
import { averagesSchema, clippingSchema, DEFAULT_RATE_LIMIT, initSchema, NON_FINITE_POLICIES, rateLimitSchema, stalenessSchema } from "./sections";

/**
 * The shard configuration, defined once. The input form validates what a client sends and fills
 * every default (the edge's request schema, the shard's resolver, a model manifest's configs);
 * the resolved form describes what the shard answers; `ShardConfig` is the type of both.
 */
const CONSTANT: ScheduleSpec = resolveSchedule({ type: "constant" });

/** The resolved form describes the input form's output: it has its type. */
const as = <T>(schema: z.ZodType): z.ZodType<T> => schema as z.ZodType<T>;

function fields(form: Form) {
  return {
    schedule: withDefault(form, scheduleField(form), CONSTANT),
    schedules: withDefault(form, z.record(z.string(), scheduleField(form)), {}).meta({
      description:
        "Schedules of the rule's other scalar hyperparameters, by path ('momentum', 'betas.0', 'weight_decay', ...): each scales the configured value as `schedule` scales the lr (docs/rules.md). Not one_cycle or plateau.",
    }),
    init: withDefault(form, initSchema(form), { kind: "zeros" }),
    averages: withDefault(form, averagesSchema(form), {}),
    clipping: withDefault(form, clippingSchema(form).nullable(), null),
    non_finite: withDefault(form, z.enum(NON_FINITE_POLICIES), "reject").meta({
      description: "What a gradient with NaN or ±Inf does: refused (422, default), acknowledged and not applied, or applied with those values zeroed.",
    }),
    staleness: withDefault(form, stalenessSchema(form).nullable(), null),
    aggregation: withDefault(form, aggregationSchema(form), ASYNC),
    rate_limit: withDefault(form, rateLimitSchema(form).nullable(), DEFAULT_RATE_LIMIT),
    page_floats: withDefault(form, z.number().int().min(1).max(MAX_PAGE_FLOATS), MAX_PAGE_FLOATS).meta({ description: "Floats per stored page (at most 1 MiB)." }),
    gradient_log: withDefault(form, gradientLogSchema(form), DEFAULT_GRADIENT_LOG),
  };
}

/**
 * Each rule's hyperparameters as the shard resolved them, every one present: a resolved
 * configuration's `hyper`, and the rule catalogue's defaults. Built once per rule (one component each).
 */
export const resolvedHyperSchemas: ReadonlyMap<ShardRuleName, z.ZodType<Hyper>> = new Map(
  shardRuleNames.map((name) => [name, as<Hyper>(specSchema(specOf(name), "resolved").meta({ id: `${name[0]!.toUpperCase()}${name.slice(1)}Hyper`, description: `${referenceOf(name)}: every hyperparameter.` }))]),
);

const resolvedHyperOf = (name: ShardRuleName): z.ZodType<Hyper> => resolvedHyperSchemas.get(name)!;

function hyperOf(name: RuleName, form: Form) {
  const rule = getRule(name);
  const schema = form === "input" ? resolvedBy(specSchema(rule.spec, "input"), (h): Hyper => rule.resolve(h)) : resolvedHyperOf(name);
  return withDefault(form, schema, rule.resolve({})).meta({ description: `${rule.reference} hyperparameters, PyTorch's names and defaults.` });
}

/** L-BFGS's hyperparameters (torch.optim.LBFGS's names and defaults; `max_eval` defaults to max_iter·5/4). */
function lbfgsHyperOf(form: Form) {
  const schema = form === "input" ? resolvedBy(specSchema(lbfgsSpec, "input"), (h): Hyper => resolveLbfgs(h)) : resolvedHyperOf(LBFGS);
  return withDefault(form, schema, resolveLbfgs({})).meta({ description: "torch.optim.LBFGS hyperparameters, PyTorch's names and defaults (line_search_fn None is \"none\")." });
}

const lengthField = z.number().int().min(1).max(MAX_SHARD_LENGTH).meta({ description: "Number of float32 parameters." });

/** One variant per rule (so each documents its own hyperparameters), and one for L-BFGS, sharing every other field. */
function variants<L extends z.ZodRawShape>(form: Form, length: L) {
  const shared = fields(form);
  const variant = (name: RuleName) => section(form, { ...length, rule: z.literal(name), hyper: hyperOf(name, form), ...shared });
  const lbfgs = section(form, { ...length, rule: z.literal(LBFGS), hyper: lbfgsHyperOf(form), ...shared });
  type Variant = ReturnType<typeof variant> | typeof lbfgs;
  const all = [...ruleNames.map(variant), lbfgs] as unknown as [Variant, ...Variant[]];
  return z.discriminatedUnion("rule", all, {
    error: (issue) => (issue.code === "invalid_union" ? `unknown rule ${JSON.stringify((issue.input as { rule?: unknown } | undefined)?.rule)}; known: ${shardRuleNames.join(", ")}` : undefined),
  });
}

export const ShardConfigInput = variants("input", { length: lengthField }).meta({
  id: "ShardConfigInput",
  description: "A shard's configuration; every omitted field takes its default.",
});

export const ShardConfigSchema = variants("resolved", { length: lengthField }).meta({
  id: "ShardConfig",
  description: "A shard's resolved configuration, every default filled in.",
});

/** A model's shard configuration: the shard's without `length`, which the layout gives (docs/models.md). */
export const MODEL_SHARD_CONFIG = "ModelShardConfig";

export const ModelShardConfigInput = variants("input", {}).meta({
  id: MODEL_SHARD_CONFIG,
  description: "A shard configuration (ShardConfigInput) without `length`: rule, hyper, schedule, averages, aggregation, ...",
});

export type ShardConfig = z.output<typeof ShardConfigInput>;
export type ModelShardConfig = z.output<typeof ModelShardConfigInput>;
export type Clipping = NonNullable<ShardConfig["clipping"]>;
export type Staleness = NonNullable<ShardConfig["staleness"]>;

const invalid = (message: string): never => refuse("invalid-config", message);

/**
 * Validates a configuration as a client sends it and fills in every default; refuses with
 * `invalid-config` naming the field, or `too-large` when it does not fit the resident budget.
 */
export function resolveShardConfig(input: unknown): ShardConfig {
  const parsed = ShardConfigInput.safeParse(input);
  if (!parsed.success) return invalid(describeIssues(parsed.error.issues, "the shard configuration").join("; "));
  const config = parsed.data;
  if (isLbfgs(config.rule)) lbfgsRefusals(config);
  else rulesRefusals(config, config.rule);
  config.schedules = hyperparameterChecked(() => resolveHyperSchedules(config, config.schedules));
  if (config.aggregation.mode === "rounds") {
    if (config.staleness !== null) invalid("'staleness' applies to async mode; in rounds mode a push for a closed round is late (aggregation.late)");
    const problem = roundsProblem(config.aggregation, config.length, config.page_floats);
    if (problem) invalid(problem);
  }
  const resident = residentBytes(config);
  if (resident > RESIDENT_BUDGET_BYTES) {
    refuse(
      "too-large",
      `a ${config.rule} shard of length ${config.length} with ${Object.keys(config.averages).length} averages needs ${resident} bytes resident; the budget is ${RESIDENT_BUDGET_BYTES} (at most ${maxLength(config)} floats for this configuration)`,
    );
  }
  return config;
}

/** What an update rule's configuration must satisfy beyond its schema. */
function rulesRefusals(config: ShardConfig, rule: RuleName): void {
  const kept = Object.keys(config.averages).find((name) => getRule(rule).averages.includes(name));
  if (kept !== undefined) invalid(`averages.${kept}: ${rule} keeps its own average '${kept}' (served under that name); give yours another name`);
  const misfit = getRule(rule).fitsLength(config.hyper, config.length);
  if (misfit !== undefined) invalid(misfit);
}

/**
 * L-BFGS takes every gradient whole at the point it asks for, with its loss (docs/rules.md): what
 * would change a gradient or the step between closure calls is refused.
 */
function lbfgsRefusals(config: ShardConfig): void {
  const lbfgs = (field: string, why: string) => invalid(`${field}: lbfgs ${why}; leave it out`);
  if (config.clipping !== null) lbfgs("clipping", "uses each gradient as computed (its line search compares losses and gradients at trial points)");
  if (Object.keys(config.averages).length > 0) lbfgs("averages", "keeps no running averages of its weights");
  if (config.staleness !== null) lbfgs("staleness", "refuses a gradient computed at any point but the one it asks for (409), so no staleness policy applies");
  if (config.non_finite !== "reject") lbfgs(`non_finite '${config.non_finite}'`, "needs every gradient finite (only 'reject' applies)");
  if (config.schedule.type !== "constant") lbfgs("schedule", "has no schedule of lr: its line search sets each step");
  if (Object.keys(config.schedules ?? {}).length > 0) lbfgs("schedules", "has no schedules of hyperparameters");
  if (config.aggregation.mode === "rounds") lbfgsRoundsRefusals(config.aggregation);
}

/**
 * In rounds mode a round is one closure call: its gradient is the combination of gradients taken at
 * the round's point, its loss the same combination of their losses. What would break that is refused.
 */
function lbfgsRoundsRefusals(rounds: RoundsConfig): void {
  const field = (name: string, value: unknown, why: string) => invalid(`aggregation.${name} ${JSON.stringify(value)}: lbfgs in rounds mode ${why}; leave it out`);
  if (rounds.input !== "gradient") field("input", rounds.input, "combines gradients at the round's point with their losses, not model deltas (input 'gradient')");
  if (rounds.late !== "reject") field("late", rounds.late, "cannot count a gradient taken at an earlier point in a later round (late 'reject' only)");
  if (rounds.clip_norm !== null) field("clip_norm", rounds.clip_norm, "needs each gradient as computed: a clipped gradient no longer matches its loss, and the line search compares both");
  if (rounds.noise_multiplier > 0) field("noise_multiplier", rounds.noise_multiplier, "has no noise: noise needs clip_norm, and noise on the gradient but not on the loss would mislead the line search");
}

/**
 * A live change (PATCH) at `step`: hyperparameters merged into the current ones, a new schedule,
 * schedules of hyperparameters merged by path (null removes one; a new one counts from `step`),
 * resolved as a whole.
 */
export function patchedConfig(config: ShardConfig, patch: { hyper?: Record<string, unknown>; schedule?: unknown; schedules?: Record<string, unknown> }, step: number): ShardConfig {
  return resolveShardConfig({
    ...config,
    hyper: patch.hyper === undefined ? config.hyper : { ...config.hyper, ...patch.hyper },
    schedule: patch.schedule === undefined ? config.schedule : patch.schedule,
    schedules: patch.schedules === undefined ? config.schedules : hyperparameterChecked(() => afterPatch(config.schedules ?? {}, patch.schedules!, step)),
  });
}

/** The value of `f`, a HyperparameterError refused as an invalid configuration. */
function hyperparameterChecked<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (!(e instanceof HyperparameterError)) throw e;
    return invalid(e.message);
  }
}

/** What sizes a shard's resident memory: the rule and its state-shaping hyperparameters, the length, how many averages. */
type Sized = Pick<ShardConfig, "rule" | "hyper" | "length"> & Partial<Pick<ShardConfig, "schedule">> & { averages: Readonly<Record<string, unknown>> };

/** WebAssembly memory the shard keeps resident: weights, gradient, the rule's slots, the averages. */
export function residentBytes(config: Sized): number {
  const options = { extraVectors: Object.keys(config.averages).length };
  if (isLbfgs(config.rule)) return fastLbfgsEngineBytes(config.hyper as LbfgsHyper, config.length, options);
  return fastEngineBytes(config.rule, structuralHyper({ schedule: CONSTANT, ...config, rule: config.rule }), config.length, options);
}

/** The longest shard this configuration fits in the resident budget. */
export function maxLength(config: Omit<Sized, "length">): number {
  let lo = 1;
  let hi = MAX_SHARD_LENGTH;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (residentBytes({ ...config, length: mid }) <= RESIDENT_BUDGET_BYTES) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Configurations compare as resolved values, whatever the order of their keys: a re-PUT of the same one is a no-op. */
export const sameConfig = (a: ShardConfig, b: ShardConfig): boolean => canonical(a) === canonical(b);

const canonical = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) => (x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1))) : x));
