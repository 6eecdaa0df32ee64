import { z } from "./zod";
import { MAX_LOG_BYTES, MAX_LOG_STEPS } from "../limits";
import type { Form } from "./fields";
import { named, section, withDefault } from "./form";

/**
 * The bound of a shard's gradient log (docs/gradient-log.md): once a step would take the log past
 * either, the state pages are written in that step's transaction and the log emptied. The defaults
 * are measured (docs/gradient-log.md): 16 steps or 64 MiB of gradients.
 */
export const DEFAULT_GRADIENT_LOG = { max_steps: 16, max_bytes: 64 * 1024 * 1024 };

export const gradientLogSchema = (form: Form) =>
  named(
    form,
    section(form, {
      max_steps: withDefault(form, z.number().int().min(0).max(MAX_LOG_STEPS), DEFAULT_GRADIENT_LOG.max_steps).meta({
        description: `Steps the log holds at most before the state pages are written (0: write them at every step), at most ${MAX_LOG_STEPS}.`,
      }),
      max_bytes: withDefault(form, z.number().int().min(0).max(MAX_LOG_BYTES), DEFAULT_GRADIENT_LOG.max_bytes).meta({
        description: `Gradient bytes the log holds at most before the state pages are written, at most ${MAX_LOG_BYTES}.`,
      }),
    }),
    "GradientLog",
    "A step commits its gradient and metadata; the state pages are written later (at the object's alarm, or when the log reaches this bound) and a cold start replays the log. Shards under a minimum length, and lbfgs shards, write pages at every step.",
  );
