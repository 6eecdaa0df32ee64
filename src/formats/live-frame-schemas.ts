/**
 * Each live frame kind's JSON header as a zod schema: the one definition asyncapi.yaml is written
 * from (scripts/asyncapi.ts). A type check below keeps every schema equal to its header interface
 * in live-frames.ts, and the table's keys equal to FrameKind.
 */
import { z } from "zod";
import { MAX_IDEMPOTENCY_KEY_LENGTH, MAX_SHARD_LENGTH } from "../limits";
import type {
  AnswerHeader,
  FrameKindName,
  NoticeHeader,
  ProblemHeader,
  PushHeader,
  ReceiptHeader,
  RoundHeader,
  SubscribeHeader,
  WelcomeHeader,
} from "./live-frames";

const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const positive = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const version = count.describe("The shard's version: the number of updates applied.");
const revision = count.describe("The weights' revision: moves with every change of the weights (an update, an upload, a restore).");

const push = z
  .object({
    key: z.string().min(1).max(MAX_IDEMPOTENCY_KEY_LENGTH).describe("The Idempotency-Key: a resend with the same key (after a reconnect, or over HTTP) applies nothing and answers the first outcome."),
    base_version: count.optional().describe("X-Base-Version: the version the gradient was computed at (staleness)."),
    samples: positive.optional().describe("X-Sample-Count: the samples behind the gradient (its weight in averaging reducers)."),
    offset: count.optional().describe("First float of the pushed range (default 0)."),
    answer: z.enum(["weights", "summary"]).optional().describe('"weights": the answer carries the weights (or the point) of the pushed range; default "summary".'),
    chunk: z
      .object({ index: count, count: positive, length: z.number().int().min(1).max(MAX_SHARD_LENGTH) })
      .strict()
      .refine((c) => c.index < c.count, { message: "chunk.index must be below chunk.count" })
      .optional()
      .describe("A push in chunks: this frame is chunk `index` of `count` of a gradient of `length` floats; the push applies once its last chunk arrived, atomically."),
    loss: z.number().refine(Number.isFinite, { message: "loss must be finite" }).optional().describe("An lbfgs shard's X-Loss."),
    point_revision: count.optional().describe("An lbfgs shard's X-Point-Revision."),
  })
  .strict()
  .describe("A gradient (or one chunk of it). Payload: the float32 gradient (or the chunk).");

const subscribe = z
  .object({
    notify: z.enum(["version", "weights"]).default("version").describe('"version" (default): the notice alone; "weights": with the whole vector of weights.'),
    every: z.number().int().min(1).max(1_000_000).optional().describe("Every Nth version (default 1)."),
    since: count.optional().describe("The last version the client saw (resuming after a reconnect): the first notice counts the versions since as skipped."),
  })
  .strict()
  .describe("Version notices from now on. No payload.");

const unsubscribe = z.object({}).strict().describe("No more notices. An empty header, no payload.");

const welcome = z
  .object({
    shard: z.string(),
    version,
    revision,
    length: z.number().int().min(1).describe("Floats in the shard."),
    mode: z.enum(["async", "rounds"]),
    subject: z.string().describe("The token's subject."),
    client_id: z.string().optional(),
    expires_at: z.number().nullable().describe("When the token that opened the session expires (ms since the epoch), null when it does not: the socket closes then."),
    limits: z.object({
      max_frame_bytes: z.number().int().describe("Largest frame the shard takes."),
      max_in_flight: z.number().int().describe("Frames being handled at once; the excess is refused."),
      max_unsent_bytes: z.number().int().describe("Bytes sent to a client that has not shown it reads; beyond, the socket is closed."),
      chunk_floats: z.number().int().describe("Floats per chunk of a gradient longer than this."),
    }),
  })
  .describe("The session's opening, the first frame the shard sends. No payload.");

const answer = z
  .object({
    key: z.string(),
    version,
    revision,
    lr: z.number().describe("The learning rate the update used."),
    applied: z.boolean(),
    replayed: z.boolean().describe("True when the key had been applied before: the first outcome, nothing applied now."),
    offset: count,
    count,
    payload: z.enum(["none", "weights", "distinct"]).describe('What the payload holds: nothing, the weights of the pushed range, or the point ("distinct") where it differs from them.'),
  })
  .catchall(z.unknown())
  .describe("A push's outcome: the key and the fields of the HTTP push's JSON summary (PushSummary in openapi.yaml).");

const notice = z
  .object({
    version,
    revision,
    skipped: count.describe("Versions since the previous notice that were not notified (every > 1, or a subscriber that fell behind)."),
    weights: z.boolean().describe("Whether the payload holds the whole vector of weights."),
  })
  .describe("The version moved. Payload: the weights when the subscriber asked for them.");

const receipt = z
  .object({ key: z.string(), round: z.record(z.string(), z.unknown()).describe("The HTTP push's `round` receipt (RoundReceipt in openapi.yaml).") })
  .describe("A rounds-mode push counted in the open round. No payload.");

const round = z
  .object({
    round: count,
    version,
    revision,
    payload: z.enum(["weights", "distinct"]).describe("Whether the payload is the weights, or the point where it differs from them."),
  })
  .describe("A round closed. Payload: the weights (or the point) after it, for every participant.");

const problem = z
  .object({
    key: z.string().optional().describe("The push it refuses, if any."),
    problem: z
      .object({ type: z.string(), title: z.string(), status: z.number().int(), detail: z.string() })
      .catchall(z.unknown())
      .describe("The RFC 9457 problem HTTP would answer (Problem in openapi.yaml, docs/errors.md)."),
  })
  .describe("A refusal with the same problem type and message as over HTTP. No payload.");

/** The header schema of every frame kind. */
export const LIVE_HEADER_SCHEMAS = { push, subscribe, unsubscribe, welcome, answer, notice, receipt, round, problem } satisfies Record<FrameKindName, z.ZodType>;

// Each schema's type is its interface's, both ways: a field added to one and not the other fails typecheck.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Inferred<K extends keyof typeof LIVE_HEADER_SCHEMAS> = z.infer<(typeof LIVE_HEADER_SCHEMAS)[K]>;
const same = <T extends true>(..._: T[]) => undefined;
same<Same<Inferred<"push">, PushHeader>>();
same<Same<Inferred<"subscribe">, SubscribeHeader & { since?: number }>>();
same<Same<Inferred<"welcome">, Omit<WelcomeHeader, "expires_at"> & { expires_at: number | null }>>();
same<Same<Inferred<"answer">, AnswerHeader>>();
same<Same<Inferred<"notice">, NoticeHeader>>();
same<Same<Inferred<"receipt">, ReceiptHeader>>();
same<Same<Inferred<"round">, RoundHeader>>();
same<Same<Inferred<"problem">, ProblemHeader>>();
same<keyof typeof LIVE_HEADER_SCHEMAS extends FrameKindName ? (FrameKindName extends keyof typeof LIVE_HEADER_SCHEMAS ? true : false) : false>();
