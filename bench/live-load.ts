/**
 * The socket load of bench:e2e: one live session (bench/live-session.ts) per closed-loop client,
 * each push a 1K-float gradient with its own Idempotency-Key, answered with a summary or the
 * weights. It gives bench/closed-loop.ts a `Send`, so that sockets are measured exactly as HTTP is.
 */
import type { Send } from "./closed-loop";
import { liveUrl, openSessions, type SessionOptions } from "./live-session";

export interface LivePushes {
  send: Send;
  close: () => void;
}

/**
 * `clients` sessions on `shard`; the run's push `seq`, by client c, carries
 * gradients[seq % gradients.length] with key `key(c, seq)`. `options.url` opens them elsewhere than the shard's live route: the socket floor
 * (bench/floor/live-floor-route.ts), which speaks the same frames. `options.deflate` offers
 * permessage-deflate (bench/live-session.ts).
 */
export async function livePushes(
  baseUrl: string,
  token: string,
  shard: string,
  clients: number,
  gradients: Float32Array[],
  key: (c: number, seq: number) => string,
  answer: "summary" | "weights",
  options: SessionOptions & { url?: string } = {},
): Promise<LivePushes> {
  const sessions = await openSessions(options.url ?? liveUrl(baseUrl, shard), token, clients, options);
  const send: Send = (c, seq) => sessions[c]!.push({ key: key(c, seq), answer }, gradients[seq % gradients.length]!);
  return { send, close: () => sessions.forEach((s) => s.close()) };
}
