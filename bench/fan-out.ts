/**
 * bench:e2e (e): `subscribers` live sessions subscribed to one shard's version notices, and one more
 * session that pushes, one push at a time. For each version: from the moment the pusher sends its
 * push (the commit happens between that and its answer) to the moment the last subscriber reads
 * the notice of that version; also from the pusher's answer to that moment, and to the first
 * notice. The next push goes once every subscriber has its notice (or after `noticeTimeoutMs`, the
 * missing ones counted). All sessions live in this one Node process, so the last notice's time
 * includes this process reading the 1,000 frames one after another: its CPU time per version is
 * measured and reported beside it.
 */
import type { ServerProcess } from "./closed-loop";
import { cpuMs } from "../test/e2e/support/server";
import { liveUrl, openSessions } from "./live-session";
import { percentile } from "./stats";

export interface FanOut {
  subscribers: number;
  versions: number;
  /** Send of the push → the last subscriber's notice of its version, ms. */
  sendToLast: { p50: number; p99: number };
  /** The pusher's answer → the last subscriber's notice, ms. */
  answerToLast: { p50: number; p99: number };
  /** Send of the push → the first subscriber's notice, ms. */
  sendToFirst: { p50: number; p99: number };
  /** Notices that never came (within the timeout), over all versions. */
  missing: number;
  /** CPU ms per version: this client (1 pusher, `subscribers` readers), wrangler's proxy, the runtime. */
  cpu: { client: number; proxy: number; runtime: number };
}

export interface FanOutOptions {
  baseUrl: string;
  token: string;
  shard: string;
  subscribers: number;
  versions: number;
  gradient: Float32Array;
  processes: () => ServerProcess[];
  noticeTimeoutMs?: number;
}

interface Arrivals {
  count: number;
  first: number;
  last: number;
  done: () => void;
}

export async function fanOut(o: FanOutOptions): Promise<FanOut> {
  const url = liveUrl(o.baseUrl, o.shard);
  const timeoutMs = o.noticeTimeoutMs ?? 10_000;
  const [pusher] = await openSessions(url, o.token, 1);
  const subscribers = await openSessions(url, o.token, o.subscribers);
  const arrivals = new Map<number, Arrivals>();
  const onNotice = (notice: { version: number }, at: number) => {
    const a = arrivals.get(notice.version);
    if (!a) return;
    a.count += 1;
    if (a.count === 1) a.first = at;
    a.last = at;
    if (a.count === o.subscribers) a.done();
  };
  for (const s of subscribers) {
    s.onNotice = onNotice;
    s.subscribe({ notify: "version" });
  }
  let seq = 0;
  /** One push; waits for every subscriber's notice of its version (or the timeout). */
  const oneVersion = async () => {
    let done!: () => void;
    const all = new Promise<void>((r) => (done = r));
    const a: Arrivals = { count: 0, first: NaN, last: NaN, done };
    // The version this push will make is known only from its answer; notices may come first, so
    // arrivals are kept for the next version, which no other pusher moves.
    const expected = pusher!.welcome.version + seq + 1;
    arrivals.set(expected, a);
    const sent = performance.now();
    const answer = await pusher!.push({ key: `fan-out-${Date.now().toString(36)}-${seq++}`, answer: "summary" }, o.gradient);
    const answered = performance.now();
    if (answer.version !== expected) throw new Error(`the push made version ${answer.version}, not ${expected}: another client pushes to ${o.shard}`);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
    arrivals.delete(expected);
    return { sent, answered, ...a };
  };
  try {
    // Warm-up: the subscriptions are in place once one version reached every subscriber.
    for (let i = 0; ; i++) {
      const w = await oneVersion();
      if (w.count === o.subscribers) break;
      if (i >= 20) throw new Error(`after ${i + 1} pushes, only ${w.count} of ${o.subscribers} subscribers had a notice`);
    }
    const procs = o.processes();
    const cpuOf = (role: string) => procs.filter((p) => p.role === role).reduce((sum, p) => sum + cpuMs(p.pid), 0);
    const before = { client: process.cpuUsage(), proxy: cpuOf("proxy"), runtime: cpuOf("runtime") };
    const sendToLast: number[] = [];
    const answerToLast: number[] = [];
    const sendToFirst: number[] = [];
    let missing = 0;
    for (let v = 0; v < o.versions; v++) {
      const r = await oneVersion();
      missing += o.subscribers - r.count;
      if (r.count === 0) continue;
      sendToLast.push(r.last - r.sent);
      answerToLast.push(r.last - r.answered);
      sendToFirst.push(r.first - r.sent);
    }
    const client = process.cpuUsage(before.client);
    const stats = (xs: number[]) => ({ p50: percentile(xs, 50), p99: percentile(xs, 99) });
    return {
      subscribers: o.subscribers,
      versions: o.versions,
      sendToLast: stats(sendToLast),
      answerToLast: stats(answerToLast),
      sendToFirst: stats(sendToFirst),
      missing,
      cpu: {
        client: (client.user + client.system) / 1000 / o.versions,
        proxy: (cpuOf("proxy") - before.proxy) / o.versions,
        runtime: (cpuOf("runtime") - before.runtime) / o.versions,
      },
    };
  } finally {
    for (const s of [pusher!, ...subscribers]) s.close();
  }
}
