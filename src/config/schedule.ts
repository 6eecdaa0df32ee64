import { z } from "zod";
import { scheduleSpecs, scheduleTypes } from "../optim";
import { specSchema, type Form } from "./fields";
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
        ? { id: "Schedule", description: "A learning-rate schedule: `type` plus PyTorch's argument names (docs/rules.md)." }
        : { id: "ResolvedSchedule", description: "A learning-rate schedule with every argument." },
    );
  return self;
}

/** Schedules as clients send them (PUT, PATCH) and as the shard answers them. */
export const scheduleSchemas = { input: build("input"), resolved: build("resolved") } as const;
