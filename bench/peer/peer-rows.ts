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

/** The peer started once, its rows measured on demand (each a closed loop of `clients` clients, one kind of answer). */
export class PeerBench {
  private rowCount = 0;

  private constructor(
    private readonly peer: Peer,
    private readonly token: string,
    private readonly shard: string,
    private readonly o: { seconds: number; warmupMs: number; gradients: Float32Array[] },
  ) {}

  static async start(o: { seconds: number; warmupMs: number; length: number; gradients: Float32Array[] }): Promise<PeerBench> {
    const token = `peer-${Date.now().toString(36)}`;
    const shard = "bench-peer";
    return new PeerBench(await Peer.start({ shard, length: o.length, lr: 1e-3, token }), token, shard, o);
  }

  async row(work: "minimal" | "weights", clients: number): Promise<PeerRow> {
    const { peer, token, shard } = this;
    const http = new HttpLoad(peer.baseUrl, clients);
    const tag = `${token}-${work}-${clients}-${this.rowCount++}`;
    const send = httpPushes(http, token, [shard], this.o.gradients, (c, seq) => `${tag}-${c}-${seq}`, work === "minimal");
    const before = await this.counts();
    try {
      const load = await closedLoop(send, clients, this.o.seconds, { warmupMs: this.o.warmupMs, processes: () => [{ pid: peer.pid, role: "runtime" }] });
      const after = await this.counts();
      const writes = after.writes - before.writes;
      return { work, clients, load, group: writes > 0 ? (after.pushes - before.pushes) / writes : undefined };
    } finally {
      http.close();
    }
  }

  stop(): Promise<void> {
    return this.peer.stop();
  }

  private async counts(): Promise<{ pushes: number; writes: number }> {
    const res = await fetch(`${this.peer.baseUrl}/v1/shards/${this.shard}/status`, { headers: { authorization: `Bearer ${this.token}` } });
    return (await res.json()) as { pushes: number; writes: number };
  }
}

/** The peer's rows: for each number of clients, a summary answer then the weights. */
export async function peerRows(o: { clients: number[]; seconds: number; warmupMs: number; length: number; gradients: Float32Array[] }): Promise<PeerRow[]> {
  const bench = await PeerBench.start(o);
  const rows: PeerRow[] = [];
  try {
    for (const clients of o.clients) {
      for (const work of ["minimal", "weights"] as const) rows.push(await bench.row(work, clients));
    }
  } finally {
    await bench.stop();
  }
  return rows;
}
