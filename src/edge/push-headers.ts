import { z } from "@hono/zod-openapi";
import { MAX_CLIENT_ID_LENGTH, MAX_IDEMPOTENCY_KEY_LENGTH, MAX_WAIT_SECONDS } from "../limits";
import type { PushRequest } from "../shard/types";
import type { Principal } from "./auth/middleware";
import { preferencesOf, type Preferences } from "./prefer";

/** The headers of a push, to a shard or to a whole model. */
export const PushHeaders = z.object({
  "idempotency-key": z.string().min(1).max(MAX_IDEMPOTENCY_KEY_LENGTH).optional().openapi({ description: "A retry with the same key returns the first answer and applies nothing." }),
  "x-base-version": z.coerce.number().int().min(0).optional().openapi({ description: "The version the gradient was computed at (staleness)." }),
  "x-client-id": z.string().max(MAX_CLIENT_ID_LENGTH).optional().openapi({ description: "Who pushes (recorded; rate limits and rounds use it)." }),
  "x-sample-count": z.coerce.number().int().min(1).optional().openapi({ description: "Samples behind the gradient (its weight in averaging reducers)." }),
  prefer: z.string().optional().openapi({
    description: `\`return=minimal\` answers a summary as JSON instead of the weights. In rounds mode, \`wait=N\` (seconds, at most ${MAX_WAIT_SECONDS}) waits for the push's round to close.`,
  }),
});

/** What the headers ask of the push: everything of a PushRequest but the gradient and its range. */
export function pushFieldsOf(principal: Principal, headers: z.infer<typeof PushHeaders>): { prefer: Preferences; fields: Omit<PushRequest, "gradient" | "offset"> } {
  const prefer = preferencesOf(headers.prefer);
  return {
    prefer,
    fields: {
      baseVersion: headers["x-base-version"],
      clientId: headers["x-client-id"],
      clientKey: `${principal.sub}/${headers["x-client-id"] ?? ""}`,
      sampleCount: headers["x-sample-count"],
      idempotencyKey: headers["idempotency-key"],
      respond: prefer.minimal ? "summary" : "weights",
      waitMs: prefer.waitSeconds * 1000,
    },
  };
}
