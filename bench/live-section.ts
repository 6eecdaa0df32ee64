/**
 * The part of bench:e2e's section in docs/benchmarks.md about live sessions: (d) pushes over
 * sockets beside (b)'s HTTP pushes, with the targets of issue 15, the CPU time per push of each
 * process, the same with wrangler's local observability on; (e) the fan-out of version notices;
 * (f) the peer, a minimal durable parameter server in Python under the same load; and the socket
 * floor (bench/floor/live-floor.ts), against which (d) and the ≥ 2× peer target are judged.
 */
import type { Load } from "./closed-loop";
import type { FanOut } from "./fan-out";
import { fmt, loadTableHead, loadTableRow } from "./load-table";
import type { PeerRow } from "./peer/peer-rows";

/** A row of (b) or (d), as bench/e2e.ts measures it. */
export interface TransportRow {
  path: "proxy" | "direct";
  client: string;
  work: string;
  clients: number;
  load: Load;
}

/** (d)'s 32-client socket row of a path and answer, and the peer's row of the same answer measured right after it. */
export interface PeerPair<R extends TransportRow> {
  /** Its round, from 1: each round measures every path and answer once. */
  round: number;
  path: "proxy" | "direct";
  work: "minimal" | "weights";
  ours: R;
  peer: PeerRow;
}

export interface LiveResults<R extends TransportRow> {
  /** (b)'s HTTP pushes and (d)'s socket pushes, wrangler's local observability off. */
  rows: R[];
  /** The 32-client `minimal` rows again, HTTP and socket, with wrangler's local observability on. */
  traced: R[];
  /** (d)'s 32-client socket rows again from clients that offer permessage-deflate (client "deflate"). */
  deflated: R[];
  fanOut: { path: "proxy" | "direct"; result: FanOut }[];
  peer: PeerRow[];
  /** Rounds of side-by-side pairs: what the ≥ 2× peer target is judged on. */
  peerPairs: PeerPair<R>[];
  /** The socket floor's rows (client "floor"), 32 clients, each measured right after (d)'s row of the same path and work. */
  floors: R[];
  /** Renders a row of (b)/(d) as bench/e2e.ts's table does. */
  render: (r: R) => string;
}

const met = (ok: boolean) => (ok ? "**met**" : "**not met**");
const toLabel = (path: "proxy" | "direct") => (path === "proxy" ? "wrangler's URL" : "runtime's socket");
const PEER_COMMAND =
  "`ATEN_CPU_CAPABILITY=default /usr/bin/python3 bench/peer/param_server.py --db <tmp>/peer.sqlite --shard bench-peer --length 1024 --lr 0.001 --token <t>` (started by bench/peer/peer.ts)";

export function liveSection<R extends TransportRow>(r: LiveResults<R>): string[] {
  const find = (rows: TransportRow[], path: string, client: string, work: string, clients = 32) =>
    rows.find((x) => x.path === path && x.client === client && x.work === work && x.clients === clients)?.load;
  const sockets = r.rows.filter((x) => x.client === "socket");
  const ratio = (rows: TransportRow[], path: "proxy" | "direct", work: string) => {
    const s = find(rows, path, "socket", work);
    const h = find(rows, path, "http", work);
    return s && h ? s.steps / h.steps : NaN;
  };
  const ratios = (rows: TransportRow[], path: "proxy" | "direct") =>
    (["minimal", "weights"] as const).filter((w) => find(rows, path, "socket", w)).map((w) => ({ work: w, x: ratio(rows, path, w), s: find(rows, path, "socket", w)!, h: find(rows, path, "http", w)! }));
  const ratioText = (rows: TransportRow[], path: "proxy" | "direct") =>
    ratios(rows, path)
      .map((q) => `${fmt(q.x, 2)}× (${fmt(q.s.steps, 0)} vs ${fmt(q.h.steps, 0)}/s, ${q.work})`)
      .join(", ");
  const worst = (rows: TransportRow[], path: "proxy" | "direct") => Math.min(...ratios(rows, path).map((q) => q.x));
  const at32 = sockets.filter((x) => x.clients === 32);
  const minSteps = Math.min(...at32.map((x) => x.load.steps));
  const maxP99 = Math.max(...at32.map((x) => x.load.p99));
  const peer32 = r.peer.filter((p) => p.clients === 32);
  // The ≥ 2× peer target, over the side-by-side pairs: the sum of ours over the sum of the peer's, per path and answer.
  const pairsOf = (path: "proxy" | "direct", work: string) => r.peerPairs.filter((p) => p.path === path && p.work === work);
  const peerRatio = (work: string, path: "proxy" | "direct") => {
    const pairs = pairsOf(path, work);
    return pairs.reduce((n, p) => n + p.ours.load.steps, 0) / pairs.reduce((n, p) => n + p.peer.load.steps, 0);
  };
  const peerText = (path: "proxy" | "direct") =>
    (["minimal", "weights"] as const)
      .map((w) => {
        const each = pairsOf(path, w).map((p) => p.ours.load.steps / p.peer.load.steps);
        return `${fmt(peerRatio(w, path), 2)}× (${w}; pairs ${fmt(Math.min(...each), 2)}–${fmt(Math.max(...each), 2)}×)`;
      })
      .join(", ");
  const peerWorst = Math.min(...(["minimal", "weights"] as const).flatMap((w) => [peerRatio(w, "proxy"), peerRatio(w, "direct")]));

  const cpuLine = (path: "proxy" | "direct", client: string, label: string, rows: TransportRow[]) => {
    const l = find(rows, path, client, "minimal");
    if (!l) return [];
    const total = l.cpu.client + (path === "proxy" ? l.cpu.proxy : 0) + l.cpu.runtime;
    return [`| ${toLabel(path)} | ${label} | ${fmt(l.cpu.client, 3)} | ${path === "proxy" ? fmt(l.cpu.proxy, 3) : "–"} | ${fmt(l.cpu.runtime, 3)} | ${fmt(total, 3)} | ${fmt(l.steps, 0)} |`];
  };
  const cpuTable = (rows: TransportRow[]) => [
    "| to | transport | client | proxy | runtime | total | per second |",
    "|---|---|---:|---:|---:|---:|---:|",
    ...(["proxy", "direct"] as const).flatMap((p) => [...cpuLine(p, "http", "HTTP/1.1 request", rows), ...cpuLine(p, "socket", "socket frame", rows)]),
  ];

  return [
    "**(d) The same pushes over live sessions**: one WebSocket per client (`GET /v1/shards/{shard}/live`, the bearer token in the upgrade's header), each push one binary frame " +
      "(src/formats/live-frames.ts) with its Idempotency-Key, answered with a summary or the weights (bench/live-session.ts, bench/live-load.ts; the `ws` package, offering no permessage-deflate: see below). " +
      "Measured by the same closed loop as (b)'s HTTP rows (bench/closed-loop.ts), on a 1K shard of its own for each row as theirs, right after them, with wrangler's local observability off for both " +
      "(`X_LOCAL_OBSERVABILITY=false` when wrangler starts, bench/observability.ts). Pushes per write: the group commit across every socket.",
    "",
    ...loadTableHead,
    ...sockets.map(r.render),
    "",
    "Targets of live sessions (1K shard, 32 clients, observability off, the HTTP rows of (b) in the same run):",
    "",
    `- sockets ≥ 4× HTTP through wrangler dev: ${ratioText(r.rows, "proxy")} — ${met(worst(r.rows, "proxy") >= 4)}`,
    `- sockets ≥ 2× HTTP straight to workerd: ${ratioText(r.rows, "direct")} — ${met(worst(r.rows, "direct") >= 2)}`,
    `- ≥ 2,000 durable steps/s over sockets: ${at32.map((x) => `${fmt(x.load.steps, 0)} (${toLabel(x.path)}, ${x.work})`).join(", ")} — ${met(minSteps >= 2000)}`,
    `- p99 ≤ 50 ms over sockets: ${at32.map((x) => `${fmt(x.load.p99, 1)} ms (${toLabel(x.path)}, ${x.work})`).join(", ")} — ${met(maxP99 <= 50)}`,
    `- sockets ≥ 2× the peer (f) in steps/s, side by side (${Math.max(0, ...r.peerPairs.map((p) => p.round))} rounds of pairs after (f): (d)'s 32-client socket row and the peer's row of the same answer back to back, ours first in odd rounds and the peer's in even ones; the sum of ours over the sum of the peer's): through wrangler dev ${peerText("proxy")}, straight to workerd ${peerText("direct")} — ${met(peerWorst >= 2)}`,
    "",
    "CPU time per push at 32 clients (`return=minimal` / a summary answer), in ms, of each process, from /proc over the row (observability off):",
    "",
    ...cpuTable(r.rows),
    "",
    ...deflatePart(r, find),
    "With wrangler's local observability on (its default; wrangler restarted with `X_LOCAL_OBSERVABILITY=true`, after every other row), 32 clients, `return=minimal`:",
    "",
    ...loadTableHead,
    ...r.traced.map(r.render),
    "",
    `Sockets over HTTP with it on: through wrangler dev ${ratioText(r.traced, "proxy")}; straight to workerd ${ratioText(r.traced, "direct")}. CPU ms per push with it on:`,
    "",
    ...cpuTable(r.traced),
    "",
    `**(e) Fan-out of version notices**: ${r.fanOut[0]?.result.subscribers ?? 0} live sessions subscribed to one 1K shard's notices (\`subscribe\`, the notice alone), and one more that pushes, one push at a time; ` +
      "each version is measured from the push's send at the pusher (the commit happens before its answer) to the moment the last subscriber reads that version's notice, " +
      "and from the pusher's answer to that moment. The next push goes once every subscriber has its notice. Every session is in the one Node process of the bench (bench/fan-out.ts), " +
      "so the last notice's time includes that process reading every notice one after another: its CPU per version is in the table.",
    "",
    "| to | subscribers | versions | send → last notice p50 / p99 ms | answer → last notice p50 / p99 ms | send → first notice p50 / p99 ms | notices missing | CPU ms per version (client / proxy / runtime) |",
    "|---|---:|---:|---|---|---|---:|---|",
    ...r.fanOut.map(
      ({ path, result: f }) =>
        `| ${toLabel(path)} | ${f.subscribers} | ${f.versions} | ${fmt(f.sendToLast.p50, 1)} / ${fmt(f.sendToLast.p99, 1)} | ${fmt(f.answerToLast.p50, 1)} / ${fmt(f.answerToLast.p99, 1)} | ` +
        `${fmt(f.sendToFirst.p50, 1)} / ${fmt(f.sendToFirst.p99, 1)} | ${f.missing} | ${fmt(f.cpu.client, 1)} / ${path === "proxy" ? fmt(f.cpu.proxy, 1) : "–"} / ${fmt(f.cpu.runtime, 1)} |`,
    ),
    "",
    "**(f) The peer**: a minimal durable parameter server in Python (bench/peer/param_server.py): the standard library's ThreadingHTTPServer (HTTP/1.1, kept-alive sockets), " +
      "torch.optim.Adam of Debian's python3-torch on a 1K float32 parameter, SQLite in WAL mode with `synchronous=FULL`; each push answered once a commit holding the weights, both moments, " +
      "the step, the version and its Idempotency-Key's record is durable, with the same group commit as shardstep (pushes that arrive while a commit runs share the next one). " +
      `The same requests as (b) (bench/http-push.ts), the same closed loop; its one process is counted as the runtime. Started as ${PEER_COMMAND}.`,
    "",
    ...loadTableHead,
    ...r.peer.map((p) =>
      loadTableRow({ to: "the peer", client: "http", clients: p.clients, request: p.work === "minimal" ? "push, `return=minimal`" : "push, weights (4 KiB)", load: p.load, proxied: false, group: p.group }),
    ),
    "",
    "The side-by-side pairs the ≥ 2× target is judged on (32 clients; each pair's two rows back to back, ours first in odd rounds, the peer's first in even ones):",
    "",
    "| round | sockets to | answer | sockets steps/s | the peer steps/s | sockets ÷ peer |",
    "|---:|---|---|---:|---:|---:|",
    ...r.peerPairs.map((p) => `| ${p.round} | ${toLabel(p.path)} | ${p.work} | ${fmt(p.ours.load.steps, 0)} | ${fmt(p.peer.load.steps, 0)} | ${fmt(p.ours.load.steps / p.peer.load.steps, 2)}× |`),
    "",
    ...floorPart(r, find, peer32),
  ];
}

type Find = (rows: TransportRow[], path: string, client: string, work: string, clients?: number) => Load | undefined;

/** (d)'s 32-client rows from clients that offer permessage-deflate, against the same rows without the offer. */
function deflatePart<R extends TransportRow>(r: LiveResults<R>, find: Find): string[] {
  if (r.deflated.length === 0) return [];
  const pairs = r.deflated.map((x) => ({ x, plain: find(r.rows, x.path, "socket", x.work) }));
  const compare = pairs
    .map(({ x, plain }) => `${fmt(x.load.steps / (plain?.steps ?? NaN), 2)}× the steps/s and ${fmt(x.load.cpu.runtime / (plain?.cpu.runtime ?? NaN), 2)}× the runtime's CPU per push (${toLabel(x.path)}, ${x.work})`)
    .join("; ");
  return [
    "The rows above come from clients that offer no permessage-deflate. Node's global WebSocket and browsers always offer it; shardstep's Worker refuses it " +
      "(`no_web_socket_compression` in wrangler.toml: float32 frames do not compress), but under `wrangler dev` the runtime's entry socket is served by miniflare's own " +
      "entry Worker (compatibility date 2025-03-17, compression on), which accepts the offer before the upgrade reaches shardstep's Worker. Every frame is then deflated " +
      "and inflated in the runtime on that local leg, which production does not have. The same 32-client rows from clients that offer it (Node's global WebSocket), right after (d):",
    "",
    ...loadTableHead,
    ...r.deflated.map(r.render),
    "",
    `With the offer against without: ${compare}.`,
    "",
  ];
}

/** The socket floor's rows, (d) over the floor, the floor over the peer, and the ≥ 2× peer target judged against the floor. */
function floorPart<R extends TransportRow>(r: LiveResults<R>, find: Find, peer32: PeerRow[]): string[] {
  if (r.floors.length === 0) return [];
  const pairs = r.floors.map((f) => ({
    path: f.path,
    work: f.work,
    floor: f.load.steps,
    socket: find(r.rows, f.path, "socket", f.work)?.steps ?? NaN,
    peer: peer32.find((p) => p.work === f.work)?.load.steps ?? NaN,
  }));
  const list = (value: (p: (typeof pairs)[number]) => string) => pairs.map((p) => `${value(p)} (${toLabel(p.path)}, ${p.work})`).join(", ");
  const range = (xs: number[]) => `${fmt(Math.min(...xs), 2)}–${fmt(Math.max(...xs), 2)}`;
  const overPeer = range(pairs.map((p) => p.floor / p.peer));
  const ofFloor = range(pairs.map((p) => p.socket / p.floor));
  const reaching = pairs.filter((p) => p.floor / p.peer >= 2);
  const verdict =
    reaching.length === pairs.length
      ? `the floor reaches 2× the peer on every row (${overPeer}×): the target is within what the platform does on this machine, and shardstep's sockets do ${ofFloor}× the floor's pushes per second (${list((p) => `${fmt(p.socket, 0)} of ${fmt(p.floor, 0)}/s`)}).`
      : reaching.length === 0
        ? `the floor itself does not reach 2× the peer on any row (${overPeer}×): the target is beyond what the platform does on this machine, whatever a shard's own code does; shardstep's sockets do ${ofFloor}× the floor's pushes per second.`
        : `the floor reaches 2× the peer on ${reaching.length} of ${pairs.length} rows (${reaching.map((p) => `${toLabel(p.path)}, ${p.work}`).join("; ")}) and not on the others: there the target is beyond what the platform does on this machine; shardstep's sockets do ${ofFloor}× the floor's pushes per second.`;
  return [
    "**The socket floor**: the least durable work a push over a socket can do on this platform, served by the bench Worker alone (bench/floor/live-floor.ts, " +
      "`GET /bench/floor-live/{shard}?answer=minimal|weights`, a Durable Object class of its own, bound only in bench/floor/wrangler.toml). The same sessions and frames as (d) " +
      "(bench/live-session.ts, bench/live-load.ts: the push frame with its JSON header and 4 KiB gradient, decoded by the object with src/formats/live-frames.ts, and each answer an encoded frame; not raw bytes), " +
      "accepted with the hibernation API. Per push frame the object only keeps the frame's bytes and joins the open group (the production group commit, src/shard/pushes/group-commit.ts: written a macrotask later); " +
      "the group is written in ONE transaction, one row holding the newest 1K-float vector and one row holding every frame's key (as the ledger holds a commit's records), and each frame is answered only after that write " +
      "(its key and version, or the 4 KiB vector too), so the output gate releases the answers once durable. No optimizer, no ledger lookup, no validation but the frame's kind, key and length. " +
      "32 clients, each row measured right after (d)'s 32-client row of the same path and answer, by the same closed loop; pushes per write counted by the floor's object.",
    "",
    ...loadTableHead,
    ...r.floors.map(r.render),
    "",
    `- sockets / floor: ${list((p) => `${fmt(p.socket / p.floor, 2)}× (${fmt(p.socket, 0)} vs ${fmt(p.floor, 0)}/s)`)}`,
    `- floor / peer (f): ${list((p) => `${fmt(p.floor / p.peer, 2)}× (${fmt(p.floor, 0)} vs ${fmt(p.peer, 0)}/s)`)}`,
    `- the target sockets ≥ 2× the peer, against the floor: ${verdict}`,
    "",
  ];
}
