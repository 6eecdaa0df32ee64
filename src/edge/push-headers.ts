import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { MAX_CLIENT_ID_LENGTH, MAX_WAIT_SECONDS } from "../limits";
import type { PushRequest } from "../shard/types";
import { contributorOf } from "./auth/contributor";
import { idempotencyKeyHeader } from "./idempotency";
import { preferencesOf, type Preferences } from "./prefer";
import { integer } from "./routes/common";
import type { EdgeEnv } from "./types";

/** The headers of a push, to a shard or to a whole model. */
export const PushHeaders = z.object({
  "idempotency-key": idempotencyKeyHeader("A retry with the same key returns the first answer and applies nothing."),
  "x-base-version": integer(0).optional().openapi({ description: "The version the gradient was computed at (staleness)." }),
  "x-client-id": z
    .string()
    .min(1)
    .max(MAX_CLIENT_ID_LENGTH)
    .optional()
    .openapi({
      description:
        "The client a relay speaks for. A push counts as its token's subject (rate limits, one contribution per round); only a token with the `relay` scope " +
        "(or `admin`) may name another client here, which it then counts as. Any other token may omit it or send its own subject; another value is 403.",
    }),
  "x-loss": z
    .string()
    .min(1)
    .max(64)
    .optional()
    .openapi({ description: "lbfgs: the loss at the point the gradient was computed at, a finite decimal number (its float64 value is used as given, like torch's float(closure()))." }),
  "x-point-revision": integer(0)
    .optional()
    .openapi({ description: "lbfgs: the revision of the point the gradient was computed at (X-Shard-Revision, the number in the ETag, of GET /point or of the last push's answer); another than the shard's is 409 point-moved." }),
  "x-sample-count": integer(1).optional().openapi({ description: "Samples behind the gradient (its weight in averaging reducers)." }),
  prefer: z.string().optional().openapi({
    description: `\`return=minimal\` answers a summary as JSON instead of the weights. In rounds mode, \`wait=N\` (seconds, at most ${MAX_WAIT_SECONDS}) waits for the push's round to close.`,
  }),
});

/**
 * What the headers ask of the push: everything of a PushRequest but the gradient and its range.
 * Refuses (403) an X-Client-Id that the token may not speak for (src/edge/auth/contributor.ts).
 */
export function pushFieldsOf(c: Context<EdgeEnv, any, any>, headers: z.infer<typeof PushHeaders>): { prefer: Preferences; fields: Omit<PushRequest, "gradient" | "offset"> } {
  const prefer = preferencesOf(headers.prefer);
  const { subject, clientId, clientKey } = contributorOf(c, headers["x-client-id"]);
  return {
    prefer,
    fields: {
      baseVersion: headers["x-base-version"],
      subject,
      clientId,
      clientKey,
      sampleCount: headers["x-sample-count"],
      loss: headers["x-loss"] === undefined ? undefined : Number(headers["x-loss"]),
      pointRevision: headers["x-point-revision"],
      idempotencyKey: headers["idempotency-key"],
      respond: prefer.minimal ? "summary" : "weights",
      waitMs: prefer.waitSeconds * 1000,
    },
  };
}
