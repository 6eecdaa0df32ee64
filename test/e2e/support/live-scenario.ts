/**
 * A live session through a reconnect, run the same way in Node and in a Chromium page: the shard
 * closes the session's socket (its token expired: 4401) with a push sent and unanswered; while the
 * session waits for its new ticket, another client pushes twice over HTTP; once the ticket comes,
 * the session resends the push with its key, resumes its subscription from the last version it
 * saw, and hears of another client's next push. Every key must have moved the version once.
 */
import { createShardstep, type LiveAnswer, type LiveNotice } from "../../../packages/client/src/index";
import { tokenGate } from "./live-gate";

export interface ReconnectInput {
  baseUrl: string;
  shard: string;
  /** Creates the shard and pushes as the other client. */
  adminToken: string;
  /** The session's first token, expiring at `expiresAt` (ms since the epoch), and the one it reconnects with. */
  shortToken: string;
  expiresAt: number;
  freshToken: string;
}

export interface ReconnectOutcome {
  transport: string;
  /** Why the session talked HTTP, if it did. */
  opened: { transport: string; fallbackReason?: string };
  notices: Pick<LiveNotice, "version" | "skipped">[];
  answers: Pick<LiveAnswer, "key" | "version" | "replayed" | "via">[];
  firstValues: number[];
  reconnects: { transport: string; resent: number }[];
  version: number;
  weights: number[];
}

/** A 4-float gradient of `k`s: with SGD at lr 1 from zeros, the weights end at minus the sum of the pushed k. */
const gradient = (k: number) => new Float32Array(4).fill(k);

export async function reconnectScenario(input: ReconnectInput): Promise<ReconnectOutcome> {
  const { baseUrl, shard } = input;
  const other = createShardstep({ baseUrl, token: input.adminToken });
  await other.createShard(shard, { length: 4, rule: "sgd", hyper: { lr: 1 }, init: { kind: "zeros" } });
  const gate = tokenGate(input.shortToken, input.expiresAt);
  const api = createShardstep({ baseUrl, token: () => gate.token() });
  const reconnects: ReconnectOutcome["reconnects"] = [];
  const session = await api.live(shard, { reconnect: { baseDelayMs: 20 }, onReconnect: ({ transport, resent }) => reconnects.push({ transport, resent }) });
  const opened = { transport: session.transport, ...(session.fallbackReason ? { fallbackReason: session.fallbackReason } : {}) };
  const notices: LiveNotice[] = [];
  const subscription = session.subscribe();
  const nextNotice = async () => notices[notices.push((await subscription.next()).value as LiveNotice) - 1]!;
  const untilVersion = async (version: number) => {
    while ((notices.at(-1)?.version ?? -1) < version) await nextNotice();
  };
  await untilVersion(0);

  const answers: LiveAnswer[] = [];
  const a = await session.push(gradient(1), { idempotencyKey: `${shard}-a`, answer: "weights" });
  answers.push(a);
  await untilVersion(1);

  // Past the first token's expiry, the shard closes the socket at the next frame it gets: push b's.
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, input.expiresAt - Date.now() + 20)));
  gate.hold();
  const b = session.push(gradient(2), { idempotencyKey: `${shard}-b` });
  await gate.asked;
  await other.pushGradientSummary(shard, gradient(3), { idempotencyKey: `${shard}-c` });
  await other.pushGradientSummary(shard, gradient(4), { idempotencyKey: `${shard}-d` });
  gate.release(input.freshToken);
  answers.push(await b);
  await untilVersion(4);

  await other.pushGradientSummary(shard, gradient(5), { idempotencyKey: `${shard}-e` });
  await untilVersion(5);
  // b once more, with its key: answered from the ledger, nothing applied.
  answers.push(await session.push(gradient(2), { idempotencyKey: `${shard}-b` }));
  const transport = session.transport;
  session.close();
  const weights = await other.getWeights(shard);
  return {
    transport,
    opened,
    notices: notices.map(({ version, skipped }) => ({ version, skipped })),
    answers: answers.map(({ key, version, replayed, via }) => ({ key, version, replayed, via })),
    firstValues: Array.from(a.values),
    reconnects,
    version: weights.version,
    weights: Array.from(weights.values),
  };
}

/** What the scenario must give: every key applied once (weights −(1+2+3+4+5)), the versions missed while down counted as skipped. */
export function expectedVersions(outcome: ReconnectOutcome): { seen: number; total: number } {
  const seen = outcome.notices.reduce((n, notice, i) => n + (i === 0 ? 0 : 1 + notice.skipped), 0);
  return { seen, total: outcome.version };
}
