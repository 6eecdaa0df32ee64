import { z } from "@hono/zod-openapi";
import { MAX_CHECKPOINTS } from "../../limits";
import { integer } from "../routes/common";

const IDS = /^\d{1,10}(,\d{1,10})*$/;

/** Which checkpoints an ensemble averages, as a query: `checkpoints=3,5,8` or `last=k`, exactly one of them. */
export const selectionFields = {
  checkpoints: z.string().regex(IDS).optional().openapi({ description: `Ids of the checkpoints to average, comma-separated (distinct, at most ${MAX_CHECKPOINTS}).`, example: "3,5,8" }),
  last: integer(1, MAX_CHECKPOINTS).optional().openapi({ description: "Average the newest `last` checkpoints.", example: 3 }),
};

export function checkSelection(q: { checkpoints?: string; last?: number }, ctx: z.core.$RefinementCtx): void {
  if ((q.checkpoints === undefined) === (q.last === undefined)) ctx.addIssue({ code: "custom", message: "give either checkpoints or last" });
  const ids = q.checkpoints?.split(",") ?? [];
  if (new Set(ids.map(Number)).size !== ids.length) ctx.addIssue({ code: "custom", path: ["checkpoints"], message: "each checkpoint at most once" });
  if (ids.length > MAX_CHECKPOINTS) ctx.addIssue({ code: "custom", path: ["checkpoints"], message: `at most ${MAX_CHECKPOINTS} checkpoints` });
}
