/**
 * The HTTP push of bench:e2e's load rows, as a `Send` for bench/closed-loop.ts: client c posts
 * raw float32 to shards[c % shards.length] (or, given fewer `clients` than shards, each client takes
 * the shards in turn) with an Idempotency-Key and its own X-Client-Id, the run's push `seq`
 * carrying gradients[seq % gradients.length], over bench/http-load.ts; `minimal` adds `Prefer: return=minimal`. The same requests go to shardstep
 * and to the peer of (f).
 */
import type { Send } from "./closed-loop";
import { HttpLoad } from "./http-load";

export function httpPushes(
  http: HttpLoad,
  token: string,
  shards: string[],
  gradients: Float32Array[],
  key: (c: number, seq: number) => string,
  minimal: boolean,
  clients?: number,
): Send {
  const turns = clients !== undefined && clients < shards.length;
  const bodies = gradients.map((g) => new Uint8Array(g.buffer, g.byteOffset, g.byteLength));
  return (c, seq) => {
    const headers: Record<string, string> = {
      authorization: `Bearer ${token}`,
      "content-type": "application/octet-stream",
      "idempotency-key": key(c, seq),
      "x-client-id": `bench-${c}`,
    };
    if (minimal) headers.prefer = "return=minimal";
    return http.send({ method: "POST", path: `/v1/shards/${encodeURIComponent(shards[(turns ? seq : c) % shards.length]!)}/gradients`, headers, body: bodies[seq % bodies.length] });
  };
}
