import { DurableObject } from "cloudflare:workers";
import { decodeFrame, encodeFrame, FrameError } from "../../src/formats/live-frames";
import { LEDGER_CAPACITY, LIVE_MAX_FRAME_BYTES } from "../../src/limits";
import { close } from "../../src/shard/live/outbox";
import { GroupCommit } from "../../src/shard/pushes/group-commit";
import { LIVE_FLOOR_FLOATS, LIVE_FLOOR_LISTED_KEYS, type LiveFloorAnswer, type LiveFloorStored } from "./live-floor-route";

/**
 * The socket floor of bench:e2e (./live-floor-route.ts): the least durable work a push over a live
 * session can do, in a Durable Object of its own (the bench Worker's LIVE_FLOOR binding, never in
 * production), so that (d)'s sockets can be judged against what the platform allows.
 *
 * Sockets are accepted with the hibernation API, as src/shard/live/live.ts accepts them, and speak
 * the same frames (src/formats/live-frames.ts: the push's JSON header decoded, each answer encoded
 * with one), so the framing costs what it costs there. Per push frame it only keeps the frame's
 * bytes (a view, no copy) and joins the object's open group (src/shard/pushes/group-commit.ts, the
 * production group commit: written a macrotask later); the group's write is ONE transaction of
 * one row with the newest vector (and the counts) and one row holding every frame's key, the
 * oldest rows beyond LEDGER_CAPACITY keys dropped, as the ledger (src/shard/pushes/ledger.ts) stores
 * and drops its records. Each answer is sent only
 * after that write, so the output gate releases it only once durable. No optimizer, no ledger
 * lookup, no validation but the frame's kind, key and length; a frame it cannot take closes the socket.
 */
export class LiveFloorObject extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly group = new GroupCommit<Entry>((entries) => this.write(entries));
  /** Pushes and writes so far (in memory while awake; stored with every write). */
  private counts: { pushes: number; writes: number } | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec("CREATE TABLE IF NOT EXISTS floor_vector (id INTEGER PRIMARY KEY CHECK (id = 0), pushes INTEGER NOT NULL, writes INTEGER NOT NULL, data BLOB NOT NULL)");
    this.sql.exec("CREATE TABLE IF NOT EXISTS floor_key_groups (seq INTEGER PRIMARY KEY, keys TEXT NOT NULL)");
  }

  /** The upgrade the bench Worker built (its `answer` checked there): the socket accepted, its answer kept as its tag, a welcome sent. */
  override async fetch(request: Request): Promise<Response> {
    const answer = new URL(request.url).searchParams.get("answer") as LiveFloorAnswer;
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server, [answer]);
    server.send(encodeFrame("welcome", { floor: true, answer, length: LIVE_FLOOR_FLOATS }));
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    if (typeof message === "string") return close(ws, 1003, "the socket floor takes binary push frames");
    let frame;
    try {
      frame = decodeFrame(message, LIVE_MAX_FRAME_BYTES);
    } catch (e) {
      if (e instanceof FrameError) return close(ws, 1007, e.message);
      throw e;
    }
    const key = frame.header.key;
    if (frame.kind !== "push" || typeof key !== "string" || frame.payload.length !== LIVE_FLOOR_FLOATS) {
      return close(ws, 1008, `the socket floor takes push frames with a key and ${LIVE_FLOOR_FLOATS} floats`);
    }
    const { payload } = frame;
    const entry: Entry = { key, version: ++this.counted().pushes, bytes: new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength) };
    try {
      await this.group.join(entry);
    } catch {
      this.counts = undefined; // the write failed: the stored counts are the true ones
      return close(ws, 1011, "the socket floor's write failed");
    }
    const weights = this.ctx.getTags(ws).includes("weights" satisfies LiveFloorAnswer);
    try {
      ws.send(encodeFrame("answer", { key, version: entry.version, payload: weights ? "weights" : "none" }, weights ? payload : undefined));
    } catch {
      // closed meanwhile
    }
  }

  /** The client closed: the close is answered at once (the runtime would wait for the socket to time out). */
  override async webSocketClose(ws: WebSocket): Promise<void> {
    close(ws, 1000, "closed by the client");
  }

  /** What the floor wrote (durable state only): its counts, its newest keys, oldest first, and its newest vector. */
  stored(): LiveFloorStored {
    const row = this.sql.exec<{ pushes: number; writes: number; data: ArrayBuffer }>("SELECT pushes, writes, data FROM floor_vector").toArray()[0];
    const keys = this.sql
      .exec<{ key: string }>(
        "SELECT key FROM (SELECT g.seq, k.key AS position, k.value ->> 0 AS key FROM floor_key_groups g, json_each(g.keys) k ORDER BY g.seq DESC, k.key DESC LIMIT ?) ORDER BY seq, position",
        LIVE_FLOOR_LISTED_KEYS,
      )
      .toArray()
      .map((r) => r.key);
    return { pushes: row?.pushes ?? 0, writes: row?.writes ?? 0, keys, vector: row ? Array.from(new Float32Array(row.data)) : [] };
  }

  private counted(): { pushes: number; writes: number } {
    if (!this.counts) {
      const row = this.sql.exec<{ pushes: number; writes: number }>("SELECT pushes, writes FROM floor_vector").toArray()[0];
      this.counts = { pushes: row?.pushes ?? 0, writes: row?.writes ?? 0 };
    }
    return this.counts;
  }

  /** One group: ONE transaction, the newest vector's row and the row of every frame's key (`seq` the newest version). */
  private write(entries: readonly Entry[]): void {
    const newest = entries[entries.length - 1]!;
    const counts = this.counted();
    const at = Date.now();
    this.ctx.storage.transactionSync(() => {
      this.sql.exec(
        "INSERT INTO floor_vector (id, pushes, writes, data) VALUES (0, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET pushes = excluded.pushes, writes = excluded.writes, data = excluded.data",
        newest.version,
        counts.writes + 1,
        newest.bytes,
      );
      const rows = JSON.stringify(entries.map((e) => [e.key, e.version, at]));
      this.sql.exec("INSERT INTO floor_key_groups (seq, keys) VALUES (?, ?)", newest.version, rows);
      this.sql.exec("DELETE FROM floor_key_groups WHERE seq <= ?", newest.version - LEDGER_CAPACITY);
    });
    counts.writes += 1;
  }
}

interface Entry {
  key: string;
  version: number;
  /** A view of the frame's payload in its message's buffer. */
  bytes: Uint8Array;
}
