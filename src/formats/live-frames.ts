/**
 * The frames of a live session (docs/live.md, asyncapi.yaml): every WebSocket message but the
 * text ping is one binary frame,
 *
 *   byte 0       kind (FrameKind)
 *   byte 1       protocol version (LIVE_PROTOCOL_VERSION)
 *   bytes 2..3   H, the header's length in bytes, little-endian u16, a multiple of 4
 *   bytes 4..    H bytes of UTF-8 JSON: one object, padded with trailing spaces
 *   then         the payload: little-endian float32 (a gradient, weights), possibly empty
 *
 * so the payload starts 4-byte aligned in a message's own buffer and is read as a Float32Array view
 * without a copy. The codec checks the framing only (lengths, version, that the header is a JSON
 * object); what each kind's header holds is checked by the side that receives it.
 */

export const LIVE_PROTOCOL_VERSION = 1;

/** Byte length of the fixed prefix: kind, version, header length. */
export const FRAME_PREFIX_BYTES = 4;
/** Longest header: what a u16 holds, rounded down to a multiple of 4. */
export const MAX_FRAME_HEADER_BYTES = 65_532;

/** Frame kinds: a client sends 1–15, the shard answers with 16 and above. */
export const FrameKind = {
  /** A gradient (or one chunk of it) with its Idempotency-Key. */
  push: 1,
  /** Version notices from now on: the notice alone, or with the weights, every Nth version. */
  subscribe: 2,
  unsubscribe: 3,
  /** The session's opening: where the shard stands and the session's limits. */
  welcome: 16,
  /** A push's outcome (the weights of its range when asked). */
  answer: 17,
  /** The version moved (the weights when the subscriber asked). */
  notice: 18,
  /** A rounds-mode push counted in the open round. */
  receipt: 19,
  /** A round closed: its new weights go to every participant. */
  round: 20,
  /** A refusal, with the same problem type and message as over HTTP. */
  problem: 21,
} as const;

export type FrameKindName = keyof typeof FrameKind;
export type FrameKindCode = (typeof FrameKind)[FrameKindName];

const kindNames = new Map<number, FrameKindName>(Object.entries(FrameKind).map(([name, code]) => [code, name as FrameKindName]));

export interface Frame<H extends object = Record<string, unknown>> {
  kind: FrameKindName;
  header: H;
  /** A view into the message's buffer (no copy); empty when the frame carries no floats. */
  payload: Float32Array;
}

export class FrameError extends Error {
  override readonly name = "FrameError";
}

const fail = (message: string): never => {
  throw new FrameError(message);
};

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
const SPACE = 0x20;

const NON_ASCII = /[^\x00-\x7f]/;

/**
 * Encodes one frame: one buffer, the payload's floats copied once into it. A header of ASCII
 * characters (the usual) is as many bytes as characters and is written into the frame as it is;
 * another is UTF-8 encoded first.
 */
export function encodeFrame(kind: FrameKindName, header: object, payload?: Float32Array): Uint8Array<ArrayBuffer> {
  const text = JSON.stringify(header);
  const utf8 = NON_ASCII.test(text) ? encoder.encode(text) : undefined;
  const jsonBytes = utf8 ? utf8.length : text.length;
  const headerBytes = (jsonBytes + 3) & ~3;
  if (headerBytes > MAX_FRAME_HEADER_BYTES) fail(`a ${kind} frame's header is ${jsonBytes} bytes; at most ${MAX_FRAME_HEADER_BYTES}`);
  const payloadBytes = payload ? payload.byteLength : 0;
  const frame = new Uint8Array(FRAME_PREFIX_BYTES + headerBytes + payloadBytes);
  frame[0] = FrameKind[kind];
  frame[1] = LIVE_PROTOCOL_VERSION;
  frame[2] = headerBytes & 0xff; // the header's length, little-endian u16
  frame[3] = headerBytes >>> 8;
  if (utf8) frame.set(utf8, FRAME_PREFIX_BYTES);
  else for (let i = 0; i < jsonBytes; i++) frame[FRAME_PREFIX_BYTES + i] = text.charCodeAt(i);
  frame.fill(SPACE, FRAME_PREFIX_BYTES + jsonBytes, FRAME_PREFIX_BYTES + headerBytes);
  if (payload) frame.set(new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength), FRAME_PREFIX_BYTES + headerBytes);
  return frame;
}

/** Headers up to this many bytes of ASCII are read without the decoder (a call out of JavaScript per frame). */
const ASCII_READ_MAX = 1024;

/** A header's JSON text: its bytes as characters when all are ASCII (always valid UTF-8), else decoded as UTF-8, which refuses invalid bytes. */
function textOf(bytes: Uint8Array): string {
  if (bytes.length > ASCII_READ_MAX) return decoder.decode(bytes);
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! > 0x7f) return decoder.decode(bytes);
  return String.fromCharCode.apply(null, bytes as unknown as number[]);
}

/**
 * Decodes one frame of at most `maxBytes` bytes. The payload is a view into `message` when it is
 * 4-byte aligned there (a WebSocket message's own buffer always is), a copy otherwise.
 */
export function decodeFrame(message: ArrayBuffer | ArrayBufferView, maxBytes: number): Frame {
  // ArrayBuffer.isView, not instanceof: a buffer from another realm (a test's, a runtime's) is no instance of this one's ArrayBuffer.
  const bytes = ArrayBuffer.isView(message) ? new Uint8Array(message.buffer, message.byteOffset, message.byteLength) : new Uint8Array(message);
  if (bytes.length > maxBytes) fail(`a frame of ${bytes.length} bytes exceeds this session's ${maxBytes}; send the gradient in chunks`);
  if (bytes.length < FRAME_PREFIX_BYTES) fail(`a frame of ${bytes.length} bytes is shorter than its ${FRAME_PREFIX_BYTES}-byte prefix`);
  const kind = kindNames.get(bytes[0]!) ?? fail(`unknown frame kind ${bytes[0]}; kinds are ${[...kindNames].map(([code, name]) => `${code} (${name})`).join(", ")}`);
  if (bytes[1] !== LIVE_PROTOCOL_VERSION) fail(`protocol version ${bytes[1]} is not spoken here; this server speaks version ${LIVE_PROTOCOL_VERSION}`);
  const headerBytes = bytes[2]! | (bytes[3]! << 8);
  if (headerBytes % 4 !== 0) fail(`the header length ${headerBytes} is not a multiple of 4; pad the JSON with spaces`);
  const payloadStart = FRAME_PREFIX_BYTES + headerBytes;
  if (payloadStart > bytes.length) fail(`the header claims ${headerBytes} bytes but the frame has ${bytes.length - FRAME_PREFIX_BYTES} after its prefix`);
  const payloadBytes = bytes.length - payloadStart;
  if (payloadBytes % 4 !== 0) fail(`the payload of ${payloadBytes} bytes is not whole float32 values (a multiple of 4 bytes)`);
  let header: unknown;
  try {
    header = JSON.parse(textOf(bytes.subarray(FRAME_PREFIX_BYTES, payloadStart)));
  } catch {
    fail("the header is not UTF-8 JSON");
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) fail("the header must be a JSON object");
  const start = bytes.byteOffset + payloadStart;
  const payload = start % 4 === 0 ? new Float32Array(bytes.buffer, start, payloadBytes / 4) : new Float32Array(bytes.slice(payloadStart).buffer);
  return { kind, header: header as Record<string, unknown>, payload };
}

// ---- What each kind's header holds (docs/live.md). The receiving side validates it. ----

/** A push (or one chunk of it): the HTTP push's headers, as fields. */
export interface PushHeader {
  /** The Idempotency-Key: required on a socket, so that a resend after a reconnect applies once. */
  key: string;
  /** X-Base-Version: the version the gradient was computed at (staleness). */
  base_version?: number;
  /** X-Sample-Count. */
  samples?: number;
  /** First float of the pushed range (default 0). */
  offset?: number;
  /** "weights": the answer carries the weights (or the point) of the pushed range; default "summary". */
  answer?: "weights" | "summary";
  /** A push in chunks: this frame is chunk `index` of `count`, of a gradient of `length` floats. */
  chunk?: { index: number; count: number; length: number };
  /** An lbfgs shard's X-Loss and X-Point-Revision. */
  loss?: number;
  point_revision?: number;
}

/** Version notices from now on. */
export interface SubscribeHeader {
  /** "version": the notice alone; "weights": with the whole vector of weights. */
  notify: "version" | "weights";
  /** Every Nth version (default 1). */
  every?: number;
  /** The last version the client saw (resuming after a reconnect): the first notice counts the versions since as skipped. */
  since?: number;
}

/** The session's opening, sent by the shard once the socket is accepted. */
export interface WelcomeHeader {
  shard: string;
  version: number;
  revision: number;
  length: number;
  mode: "async" | "rounds";
  subject: string;
  client_id?: string;
  /** When the token that opened the session expires (ms since the epoch), null when it does not: the socket closes then. */
  expires_at: number | null;
  limits: { max_frame_bytes: number; max_in_flight: number; max_unsent_bytes: number; chunk_floats: number };
}

/** A push's outcome: the key and the same fields as the HTTP push's JSON summary. */
export interface AnswerHeader {
  key: string;
  version: number;
  revision: number;
  lr: number;
  applied: boolean;
  replayed: boolean;
  offset: number;
  count: number;
  /** Whether the payload holds the weights of the range, or the point ("distinct") when it differs from them. */
  payload: "none" | "weights" | "distinct";
  [field: string]: unknown;
}

/** The version moved. */
export interface NoticeHeader {
  version: number;
  revision: number;
  /** Versions since the previous notice that were not notified (every > 1, or a subscriber that fell behind). */
  skipped: number;
  /** Whether the payload holds the whole vector of weights. */
  weights: boolean;
}

/** A rounds-mode push counted in the open round (the HTTP push's `round` receipt). */
export interface ReceiptHeader {
  key: string;
  round: Record<string, unknown>;
}

/** A round closed; the payload holds the weights (or the point) after it. */
export interface RoundHeader {
  round: number;
  version: number;
  revision: number;
  payload: "weights" | "distinct";
}

/** A refusal: the problem+json body HTTP would answer, and the key of the push it refuses, if any. */
export interface ProblemHeader {
  key?: string;
  problem: { type: string; title: string; status: number; detail: string; [field: string]: unknown };
}

/** Codes the shard closes a session with (docs/live.md); 1009 is the runtime's, for a message over the platform's limit. */
export const LiveCloseCode = {
  /** The token that opened the session expired: open a new one with a fresh token (or ticket). */
  tokenExpired: 4401,
  /** The shard was deleted. */
  shardDeleted: 4404,
  /** The client stopped reading: more than `max_unsent_bytes` were sent since it last sent a frame or a ping. */
  notReading: 4408,
} as const;
