/**
 * bench:e2e (f): the peer (bench/peer/param_server.py) under the load of (b) and (d): closed-loop
 * clients pushing 1K-float gradients with Idempotency-Keys over kept-alive HTTP/1.1
 * (bench/http-load.ts, bench/http-push.ts), answered with a summary or the weights. The peer's one
 * process is counted as the runtime.
 */
import { closedLoop, type Load } from "../closed-loop";
import { HttpLoad } from "../http-load";
import { httpPushes } from "../http-push";
import { Peer } from "./peer";

export interface PeerRow {
  work: "minimal" | "weights";
  clients: number;
  load: Load;
  /** Pushes per SQLite commit over the row, warm-up included (the peer's group commit). */
  group: number | undefined;
}

export async function peerRows(o: { clients: number[]; seconds: number; warmupMs: number; length: number; gradients: Float32Array[] }): Promise<PeerRow[]> {
  const token = `peer-${Date.now().toString(36)}`;
  const shard = "bench-peer";
  const peer = await Peer.start({ shard, length: o.length, lr: 1e-3, token });
  const counts = async () => {
    const res = await fetch(`${peer.baseUrl}/v1/shards/${shard}/status`, { headers: { authorization: `Bearer ${token}` } });
    return (await res.json()) as { pushes: number; writes: number };
  };
  const rows: PeerRow[] = [];
  try {
    for (const clients of o.clients) {
      for (const work of ["minimal", "weights"] as const) {
        const http = new HttpLoad(peer.baseUrl, clients);
        const tag = `${token}-${work}-${clients}`;
        const send = httpPushes(http, token, [shard], o.gradients, (c, seq) => `${tag}-${c}-${seq}`, work === "minimal");
        const before = await counts();
        try {
          const load = await closedLoop(send, clients, o.seconds, { warmupMs: o.warmupMs, processes: () => [{ pid: peer.pid, role: "runtime" }] });
          const after = await counts();
          const writes = after.writes - before.writes;
          rows.push({ work, clients, load, group: writes > 0 ? (after.pushes - before.pushes) / writes : undefined });
        } finally {
          http.close();
        }
      }
    }
  } finally {
    await peer.stop();
  }
  return rows;
}
