import { refuse } from "../../problems";
import type { Rounds } from "../rounds/rounds";
import { saveCounters } from "../store/meta";
import { isLbfgsResident, ruleResident, type Resident } from "../store/resident";
import { captureStep, logsSteps, pushEntry, writeSteps, type Captured, type LogEntry } from "../store/gradient-log";
import { applyLbfgsPush } from "./lbfgs-push";
import type { ShardStore } from "../store/store";
import type { PushRequest, PushResult, PushSummary } from "../types";
import type { Vectors } from "../vectors";
import { ensurePushableBy } from "../ownership";
import { applyPush } from "./apply";
import { gradientBytes } from "./gradient-bytes";
import { GroupCommit } from "./group-commit";
import { Ledger, type LedgerRecord } from "./ledger";
import { ledgerEntriesOf, refuseReused, type LedgerEntry } from "./ledger-key";
import { RateLimiter } from "./rate";

/** An async push applied to the resident shard, waiting for its group to be written. */
interface PendingPush {
  resident: Resident;
  summary: PushSummary;
  /** Its ledger record, when it came with an Idempotency-Key. */
  record?: LedgerRecord;
  /** Its step, for the gradient log (a logging shard's applied push). */
  logged?: LogEntry;
}

/**
 * Pushes: replays of Idempotency-Keys from the ledger, the rate limit, async pushes applied at
 * once and written in groups (group-commit.ts), rounds-mode pushes handed to the rounds module.
 */
export class Pushes {
  private readonly rates = new RateLimiter();
  private readonly groups = new GroupCommit<PendingPush>((entries) => this.write(entries));
  /** The idempotency ledger, which imports of state (src/shard/state-io) share. */
  readonly ledger: Ledger;

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
    const entries = ledgerEntriesOf(req);
    const resident = this.store.existing();
    ensurePushableBy(resident.meta, req.via);
    // Replays first: a retry of a push already applied is answered whatever the rate.
    for (const entry of entries) {
      const pending = this.groups.pending((p) => p.record?.key === entry.key);
      if (pending) {
        if (pending.entry.record!.fingerprint !== entry.fingerprint) refuseReused(entry);
        await pending.durable;
        return this.respond({ ...pending.entry.summary, replayed: true }, req);
      }
      const previous = this.ledger.recall(entry);
      if (previous) return this.respond({ ...previous, replayed: true }, req);
    }
    this.limitRate(resident, req);
    const entry = entries[0];
    if (resident.meta.config.aggregation.mode === "rounds") {
      const record = (summary: PushSummary, at: number) => {
        if (entry) this.ledger.record([{ ...entry, summary, at }]);
      };
      return this.respond({ ...(await this.rounds.push(resident, req, record)), replayed: false }, req);
    }
    return this.pushAsync(resident, req, entry);
  }

  /** Refuses a push over its client's rate (429 with when to retry); takes one from its bucket otherwise. */
  private limitRate(resident: Resident, req: PushRequest): void {
    const limit = resident.meta.config.rate_limit;
    const wait = limit ? this.rates.take(limit, req.clientKey ?? "", this.store.now()) : 0;
    if (wait > 0) {
      refuse("rate-limited", `client '${req.clientId ?? req.clientKey ?? ""}' exceeds ${limit!.per_second} pushes per second (bursts of ${limit!.burst}) on this shard; retry in ${wait.toFixed(3)} s`, {
        retry_after: Math.ceil(wait),
      });
    }
  }

  /**
   * Applies the push to the resident shard now (each push is its own step and version, in
   * arrival order) and answers once its group is durable. The weights answered are those of its
   * own step, taken before later pushes of the group move them on.
   */
  private async pushAsync(resident: Resident, req: PushRequest, entry: LedgerEntry | undefined): Promise<PushResult> {
    const at = this.store.now();
    let captured: Captured | undefined;
    const capture = logsSteps(resident.meta) ? (staged: Float32Array, nonFinite: number) => (captured = captureStep(resident.meta, staged, nonFinite, gradientBytes(req))) : undefined;
    const summary = isLbfgsResident(resident) ? applyLbfgsPush(resident, req, at, () => this.store.reload()) : applyPush(ruleResident(resident, "an async push"), req, at, capture);
    const result: PushResult = { ...summary, replayed: false };
    if (req.respond === "weights") Object.assign(result, this.vectors.pushAnswer(summary.offset, summary.count));
    const record = entry && { ...entry, summary, at };
    const logged = captured && summary.applied ? pushEntry(captured, summary, entry?.key, at) : undefined;
    // A push that changed nothing still answers only once what it saw is durable.
    await (summary.applied || record ? this.groups.join({ resident, summary, record, logged }) : this.groups.drained());
    return result;
  }

  /** One group of async pushes: their steps (logged, or the pages they changed), the counters, their ledger records. */
  private write(entries: readonly PendingPush[]): void {
    const { store } = this;
    const resident = entries[0]!.resident;
    if (!store.holds(resident)) throw new Error("the shard was reloaded under pending pushes");
    store.commit(() => {
      const applied = entries.filter((p) => p.summary.applied);
      if (applied.length > 0) {
        resident.meta.stats.writes += 1;
        writeSteps(store.sql, resident, applied.map((p) => p.summary), applied.flatMap((p) => (p.logged ? [p.logged] : [])));
        saveCounters(store.sql, resident.meta);
      }
      this.ledger.record(entries.flatMap((p) => (p.record ? [p.record] : [])));
    }, "keep");
  }

  /**
   * The answer to a push or its replay. A rounds-mode push whose round is open waits for it (up
   * to `waitMs`); once its round has closed the answer carries the weights (or the point), like an async push.
   */
  private async respond(result: PushResult, req: PushRequest): Promise<PushResult> {
    await this.groups.drained();
    if (result.round) {
      const round = await this.rounds.awaitClose(result.round, req.waitMs ?? 0);
      result = { ...result, round };
      if (!round.closed) return result;
      // lbfgs: a push that waited for its round answers the round's closure call, and the next point.
      if (!result.lbfgs) result = { ...result, ...this.rounds.closureOf(round.number) };
    }
    if (req.respond !== "weights") return result;
    return { ...result, ...this.vectors.pushAnswer(result.offset, result.count) };
  }
}

