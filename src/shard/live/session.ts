import { LIVE_MAX_FRAME_BYTES, LIVE_CHUNK_FLOATS, LIVE_MAX_IN_FLIGHT, LIVE_MAX_UNSENT_BYTES, WEBSOCKET_ATTACHMENT_BYTES } from "../../limits";
import { refuse } from "../../problems";

/**
 * A live session as the edge authenticated it at the upgrade (src/edge/routes/live.ts) and hands
 * it to the shard's object in LIVE_SESSION_HEADER. Only the edge builds the request that carries
 * it: a client's headers never reach the object.
 */
export interface LiveSession {
  shard: string;
  /** The token's subject, which scopes Idempotency-Keys. */
  sub: string;
  scopes: string[];
  /** The client its pushes count as (the subject, or a relay's X-Client-Id) and its rate/round key. */
  client: string;
  clientKey: string;
  /** Whether the token may push (scope train on the shard); a read-only session subscribes. */
  push: boolean;
  /** When the token expires (ms since the epoch), null for a token without expiry. */
  expiresAt: number | null;
  /** The single-use ticket the session was opened with, redeemed by the object. */
  ticket?: { id: string; until: number };
  /** A model's session on one of its shards (docs/live.md): the model pushes, under the per-shard key `<key>#<index>` its HTTP push uses. */
  model?: { name: string; index: number };
}

/** The internal header that carries the session from the edge to the object. */
export const LIVE_SESSION_HEADER = "x-shardstep-live-session";

/** The identity a session keeps: what the edge authenticated. */
type Identity = Pick<LiveSession, "shard" | "sub" | "scopes" | "client" | "clientKey" | "push" | "expiresAt">;

/** What a socket keeps across hibernation (`serializeAttachment`, at most 2,048 bytes). */
export interface Attachment extends Identity {
  /** The socket's id: keys what the object holds in memory for it while awake (in-flight frames, a chunked push). */
  id: string;
  /** The model of a model's session, and the suffix of its per-shard keys (`#<index>`); null and "" on a shard's own session. */
  via: string | null;
  keySuffix: string;
  /** Version notices: what the subscriber asked for, and the version and revision it was last told. */
  subscription: { weights: boolean; every: number; version: number; revision: number } | null;
  /** Rounds mode: the round the socket's last receipt was for, until its round frame is sent. */
  round: number | null;
}

/** The session the edge sent; an absent or unreadable one is the edge's bug, not the client's. */
export function sessionOf(header: string | null): LiveSession {
  if (header === null) throw new Error(`a live session reached the shard without ${LIVE_SESSION_HEADER}`);
  return JSON.parse(header) as LiveSession;
}

/** A new socket's attachment; refused when the session is too large to keep (a very long subject or client id). */
export function attachmentOf(session: LiveSession, id: string, now: number): Attachment {
  const { shard, sub, scopes, client, clientKey, push, expiresAt, model } = session;
  const via = model?.name ?? null;
  const keySuffix = model ? `#${model.index}` : "";
  const attachment: Attachment = { id, shard, sub, scopes, client, clientKey, push, expiresAt, via, keySuffix, subscription: null, round: null };
  // Room for a subscription and the counters beside the identity.
  const bytes = new TextEncoder().encode(JSON.stringify(attachment)).length + 128;
  if (bytes > WEBSOCKET_ATTACHMENT_BYTES) {
    refuse("invalid-request", `a live session keeps its token's subject and client id in ${WEBSOCKET_ATTACHMENT_BYTES} bytes; these need ${bytes}: use a token with a shorter subject`);
  }
  return attachment;
}

/** The limits a session announces in its welcome frame. */
export const SESSION_LIMITS = {
  max_frame_bytes: LIVE_MAX_FRAME_BYTES,
  max_in_flight: LIVE_MAX_IN_FLIGHT,
  max_unsent_bytes: LIVE_MAX_UNSENT_BYTES,
  chunk_floats: LIVE_CHUNK_FLOATS,
};
