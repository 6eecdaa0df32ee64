import type { z } from "zod";
import { LIVE_HEADER_SCHEMAS } from "../../formats/live-frame-schemas";
import type { PushHeader, SubscribeHeader } from "../../formats/live-frames";
import { refuse } from "../../problems";

/** The headers a client sends, checked against their one definition (src/formats/live-frame-schemas.ts, asyncapi.yaml). */
function parsed<T>(schema: z.ZodType<T>, header: unknown, kind: string): T {
  const result = schema.safeParse(header);
  if (result.success) return result.data;
  const errors = result.error.issues.map((i) => `${i.path.length ? i.path.join(".") : "header"}: ${i.message}`);
  return refuse("invalid-frame", `the ${kind} frame's header is refused: ${errors.join("; ")} (docs/live.md lists its fields)`, { errors });
}

export const pushHeaderOf = (header: unknown): PushHeader => parsed(LIVE_HEADER_SCHEMAS.push, header, "push");
export const subscribeHeaderOf = (header: unknown): SubscribeHeader => parsed(LIVE_HEADER_SCHEMAS.subscribe, header, "subscribe");
