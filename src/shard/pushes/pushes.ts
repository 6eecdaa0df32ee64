import { refuse } from "../../problems";
import type { Rounds } from "../rounds/rounds";
import { saveCounters } from "../store/meta";
import { writeUpdated, type Resident } from "../store/resident";
import type { ShardStore } from "../store/store";
import type { PushRequest, PushResult, PushSummary } from "../types";
import type { Vectors } from "../vectors";
import { applyPush } from "./apply";
import { GroupCommit } from "./group-commit";
import { Ledger, pushFingerprint, type LedgerRecord } from "./ledger";
import { RateLimiter } from "./rate";

/** An async push applied to the resident shard, waiting for its group to be written. */
interface PendingPush {
  resident: Resident;
  summary: PushSummary;
  /** Its ledger record, when it came with an Idempotency-Key. */
  record?: LedgerRecord;
}

/**
 * Pushes: the rate limit, replays of Idempotency-Keys from the ledger, async pushes applied at
 * once and written in groups (group-commit.ts), rounds-mode pushes handed to the rounds module.
 */
export class Pushes {
  private readonly rates = new RateLimiter();
  private readonly groups = new GroupCommit<PendingPush>((entries) => this.write(entries));
  private readonly ledger: Ledger;

  constructor(
    private readonly store: ShardStore,
    private readonly vectors: Vectors,
    private readonly rounds: Rounds,
  ) {
    this.ledger = new Ledger(store.sql);
  }

  /** Resolves once every applied push is durable: whatever reads or changes state waits for it first. */
  drained(): Promise<void> {
    return this.groups.drained();
  }

  async push(req: PushRequest): Promise<PushResult> {
    // The only await before the synchronous section that checks and applies: hashing.
    const fingerprint = req.idempotencyKey === undefined ? undefined : await pushFingerprint(req);
    const resident = this.store.existing();
    const limit = resident.meta.config.rate_limit;
    const wait = limit ? this.rates.take(limit, req.clientKey ?? "", this.store.now()) : 0;
    if (wait > 0) {
      refuse("rate-limited", `client '${req.clientKey ?? ""}' exceeds ${limit!.per_second} pushes per second (bursts of ${limit!.burst}) on this shard; retry in ${wait.toFixed(3)} s`, {
        retry_after: Math.ceil(wait),
      });
    }
    const key = req.idempotencyKey;
    if (key !== undefined) {
      const pending = this.groups.pending((p) => p.record?.key === key);
      if (pending) {
        if (pending.entry.record!.fingerprint !== fingerprint) refuse("idempotency-key-reused", `Idempotency-Key '${key}' was used for a different request`);
        await pending.durable;
        return this.respond({ ...pending.entry.summary, replayed: true }, req);
      }
      const previous = this.ledger.recall(key, fingerprint!);
      if (previous) return this.respond({ ...previous, replayed: true }, req);
    }
    if (resident.meta.config.aggregation.mode === "rounds") {
      const record = (summary: PushSummary, at: number) => {
        if (key !== undefined) this.ledger.record([{ key, fingerprint: fingerprint!, summary, at }]);
      };
      return this.respond({ ...(await this.rounds.push(resident, req, record)), replayed: false }, req);
    }
    return this.pushAsync(resident, req, fingerprint);
  }

  /**
   * Applies the push to the resident shard now (each push is its own step and version, in
   * arrival order) and answers once its group is durable. The weights answered are those of its
   * own step, taken before later pushes of the group move them on.
   */
  private async pushAsync(resident: Resident, req: PushRequest, fingerprint: string | undefined): Promise<PushResult> {
    const at = this.store.now();
    const summary = applyPush(resident, req, at);
    const result: PushResult = { ...summary, replayed: false };
    if (req.respond === "weights") result.weights = this.vectors.read({ offset: summary.offset, length: summary.count });
    const key = req.idempotencyKey;
    const record = key === undefined ? undefined : { key, fingerprint: fingerprint!, summary, at };
    // A push that changed nothing still answers only once what it saw is durable.
    await (summary.applied || record ? this.groups.join({ resident, summary, record }) : this.groups.drained());
    return result;
  }

  /** One group of async pushes: the pages they changed, the counters, their ledger records. */
  private write(entries: readonly PendingPush[]): void {
    const { store } = this;
    const resident = entries[0]!.resident;
    if (!store.holds(resident)) throw new Error("the shard was reloaded under pending pushes");
    store.commit(() => {
      const applied = entries.filter((p) => p.summary.applied).map((p) => p.summary);
      if (applied.length > 0) {
        resident.meta.stats.writes += 1;
        writeUpdated(store.sql, resident, applied);
        saveCounters(store.sql, resident.meta);
      }
      this.ledger.record(entries.flatMap((p) => (p.record ? [p.record] : [])));
    });
  }

  /**
   * The answer to a push or its replay. A rounds-mode push whose round is open waits for it (up
   * to `waitMs`); once its round has closed the answer carries the weights, like an async push.
   */
  private async respond(result: PushResult, req: PushRequest): Promise<PushResult> {
    await this.groups.drained();
    if (result.round) {
      const round = await this.rounds.awaitClose(result.round, req.waitMs ?? 0);
      result = { ...result, round };
      if (!round.closed) return result;
    }
    if (req.respond !== "weights") return result;
    return { ...result, weights: this.vectors.read({ offset: result.offset, length: result.count }) };
  }
}
