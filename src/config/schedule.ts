import { z } from "./zod";
import { nestsTooDeep, resolveSchedule, SCHEDULE_DEPTH_MESSAGE, scheduleSpecs, scheduleTypes, type ScheduleSpec } from "../optim";
import { resolvedBy, specSchema, type Form } from "./fields";
import { section } from "./form";

export type ScheduleInput = { type: string; [k: string]: unknown };

function build(form: Form): z.ZodType<ScheduleInput> {
  const self: z.ZodType<ScheduleInput> = z
    .lazy((): z.ZodType<ScheduleInput> =>
      z.discriminatedUnion("type", [
        ...Object.entries(scheduleSpecs).map(([type, spec]) => specSchema(spec, form).extend({ type: z.literal(type) })),
        section(form, { type: z.literal("sequence"), schedules: z.array(self).min(1), milestones: z.array(z.number().int().positive()) }),
      ] as unknown as [z.ZodObject, ...z.ZodObject[]], {
        error: (issue) => (issue.code === "invalid_union" ? `unknown schedule type ${JSON.stringify((issue.input as { type?: unknown } | undefined)?.type)}; known: ${scheduleTypes.join(", ")}` : undefined),
      }) as unknown as z.ZodType<ScheduleInput>,
    )
    .meta(
      form === "input"
        ? { id: "Schedule", description: "A schedule of the learning rate (`schedule`) or of another hyperparameter (`schedules`, an EMA's `decay_schedule`): `type` plus PyTorch's argument names (docs/rules.md)." }
        : { id: "ResolvedSchedule", description: "A schedule with every argument." },
    );
  return self;
}

/**
 * A schedule's depth is checked before the recursive schema descends into it: the validator
 * recurses per level (850 levels overflowed its stack), the check looks MAX_SCHEDULE_DEPTH deep.
 */
const bounded = (schema: z.ZodType<ScheduleInput>): z.ZodType<ScheduleInput> =>
  z.preprocess((input, ctx) => {
    if (nestsTooDeep(input)) ctx.issues.push({ code: "custom", message: SCHEDULE_DEPTH_MESSAGE, input });
    return input;
  }, schema) as unknown as z.ZodType<ScheduleInput>;

/** Schedules as clients send them (PUT, PATCH) and as the shard answers them. */
export const scheduleSchemas = { input: bounded(build("input")), resolved: bounded(build("resolved")) } as const;

/** A schedule field: as sent, validated and filled by the math's resolver; as resolved, every argument. */
export const scheduleField = (form: Form): z.ZodType<ScheduleSpec> =>
  (form === "input" ? resolvedBy(scheduleSchemas.input, resolveSchedule) : scheduleSchemas.resolved) as unknown as z.ZodType<ScheduleSpec>;
