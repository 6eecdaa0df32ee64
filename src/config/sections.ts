import { z } from "./zod";
import { MAX_AVERAGES } from "../limits";
import { AVERAGE_NAME } from "../names";
import type { Form } from "./fields";
import { named, section, withDefault } from "./form";
import { scheduleField } from "./schedule";
import { partTypes, scheduleRange, type ScheduleSpec } from "../optim";
import { finiteFloat32, FLOAT32_MAX, NORMAL_DRAW_BOUND, normalReach } from "./init-bounds";

const seed = () => z.number().int().min(0).max(2 ** 32 - 1);

export const initSchema = (form: Form) =>
  named(
    form,
    z.discriminatedUnion("kind", [
      section(form, { kind: z.literal("zeros") }),
      section(form, { kind: z.literal("normal"), mean: withDefault(form, z.number(), 0), std: withDefault(form, z.number().min(0), 1), seed: withDefault(form, seed(), 0) }).refine(
        (n) => normalReach(n.mean, n.std) <= FLOAT32_MAX,
        { message: `every draw must be a finite float32: |mean| + ${NORMAL_DRAW_BOUND} × std must be at most ${FLOAT32_MAX} (a draw is mean + std × z, |z| ≤ ${NORMAL_DRAW_BOUND})` },
      ),
      section(form, { kind: z.literal("uniform"), low: withDefault(form, finiteFloat32(), -1), high: withDefault(form, finiteFloat32(), 1), seed: withDefault(form, seed(), 0) }).refine(
        (u) => u.low < u.high,
        { message: "'low' must be below 'high'" },
      ),
    ]),
    "Init",
    "Initial weights: zeros (default), or seeded normal / uniform draws, each a finite float32.",
  );

export const averageSchema = (form: Form) =>
  named(
    form,
    z.discriminatedUnion("kind", [
      section(form, {
        kind: z.literal("ema"),
        decay: withDefault(form, z.number().min(0).lt(1), 0.999),
        decay_schedule: withDefault(form, z.union([scheduleField(form), z.null()]), null).meta({
          description: "A schedule of the decay (it scales `decay` as `schedule` scales the lr; not one_cycle or plateau), at the update whose weights are folded in; null keeps it fixed.",
        }),
      }).refine((e) => e.decay_schedule == null || emaDecayScheduleProblem(e.decay_schedule, e.decay) === undefined, {
        error: (issue) => {
          const e = issue.input as { decay: number; decay_schedule: ScheduleSpec };
          return emaDecayScheduleProblem(e.decay_schedule, e.decay);
        },
        path: ["decay_schedule"],
      }),
      section(form, { kind: z.literal("swa"), start: withDefault(form, z.number().int().min(0), 0) }),
    ]),
    "Average",
    "A running average of the weights: EMA with a decay, or SWA (equal-weight mean from a start version).",
  );

/** Why a decay schedule cannot drive an EMA's decay, or undefined. */
function emaDecayScheduleProblem(schedule: ScheduleSpec, decay: number): string | undefined {
  const lrOnly = partTypes(schedule).find((t) => t === "one_cycle" || t === "plateau");
  if (lrOnly) return `a decay cannot follow a ${lrOnly} schedule (it drives the lr only)`;
  const { lo, hi } = scheduleRange(schedule, decay);
  return lo >= 0 && hi < 1 ? undefined : `its values go from ${lo} to ${hi}, and an EMA's decay must stay >= 0 and < 1`;
}

export const averagesSchema = (form: Form) =>
  z
    .record(z.string().regex(AVERAGE_NAME), averageSchema(form))
    .refine((a) => Object.keys(a).length <= MAX_AVERAGES, { message: `at most ${MAX_AVERAGES} averages per shard` })
    .meta({ description: `Named running averages, at most ${MAX_AVERAGES}.` });

/** `norm_type` is 2 or "inf"; the string "2" is read as 2. */
const normType = (form: Form) =>
  form === "input" ? z.union([z.literal(2), z.literal("2"), z.literal("inf")]).transform((t) => (t === "inf" ? t : 2)) : z.union([z.literal(2), z.literal("inf")]);

export const clippingSchema = (form: Form) =>
  named(
    form,
    z.discriminatedUnion("kind", [
      section(form, { kind: z.literal("norm"), max_norm: withDefault(form, z.number().gt(0), 1), norm_type: withDefault(form, normType(form), 2) }),
      section(form, { kind: z.literal("value"), clip: withDefault(form, z.number().gt(0), 1) }),
    ]),
    "Clipping",
    "Clipping of each pushed gradient: by its norm, or element-wise by value.",
  );

export const stalenessSchema = (form: Form) =>
  named(
    form,
    section(form, {
      max: withDefault(form, z.number().int().min(0), 0),
      policy: withDefault(form, z.enum(["reject", "scale"]), "reject"),
      exponent: withDefault(form, z.number().min(0), 0.5),
    }),
    "Staleness",
    "Pushes whose X-Base-Version is more than `max` versions behind are refused (409) or applied with lr × (1 + staleness)^-exponent.",
  );

export const DEFAULT_RATE_LIMIT = { per_second: 200, burst: 400 };

export const rateLimitSchema = (form: Form) =>
  named(
    form,
    section(form, {
      per_second: withDefault(form, z.number().gt(0), DEFAULT_RATE_LIMIT.per_second),
      burst: withDefault(form, z.number().int().min(1), DEFAULT_RATE_LIMIT.burst),
    }),
    "RateLimit",
    "Pushes per client (token subject and X-Client-Id) on this shard: a token bucket (by default 200 per second in bursts of 400; null for none). Over it: 429 with Retry-After.",
  );

export type NonFinitePolicy = "reject" | "skip" | "zero";
export const NON_FINITE_POLICIES = ["reject", "skip", "zero"] as const satisfies readonly NonFinitePolicy[];
