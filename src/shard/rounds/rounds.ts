import { refuse } from "../../problems";
import { saveCounters, type ShardMeta } from "../store/meta";
import type { Resident } from "../store/resident";
import type { ShardStore } from "../store/store";
import type { PushRequest, PushSummary, RoundReceipt } from "../types";
import { admit, close, openRound, receiptOf, roundsClosed, roundsOf, storePush, type Closed, type OpenRound } from "./round-store";

/** A fresh 32-bit seed for noise when none is configured (unpredictable, so never replayable). */
const freshSeed = (): number => crypto.getRandomValues(new Uint32Array(1))[0]!;

/**
 * Rounds mode (docs/federated.md): pushes counted in the open round and stored, the round closed by
 * its quorum (in the transaction of the push that completes it) or at its deadline (the object's
 * alarm, delivered at least once: closing is idempotent).
 */
export class Rounds {
  constructor(private readonly shard: ShardStore) {
    shard.onLoad = (meta) => this.rearm(meta);
  }

  /** An open round whose alarm was lost (a crash between the commit and setAlarm) gets it back. */
  private rearm(meta: ShardMeta): void {
    const deadline = meta.roundDeadline;
    if (deadline !== null) void this.shard.armAlarm(deadline);
  }

  /**
   * Counts the push in the open round, closing it (one step) when it completes the quorum.
   * `record` writes the push's ledger record inside the same transaction.
   */
  async push(resident: Resident, req: PushRequest, record: (summary: PushSummary, at: number) => void): Promise<PushSummary> {
    const { shard } = this;
    const { meta } = resident;
    if (meta.roundDeadline !== null && shard.now() >= meta.roundDeadline) await this.closeAtDeadline(resident);
    const admission = admit(shard.sql, resident, req);
    const round = roundsClosed(meta) + 1;
    const hadDeadline = meta.roundDeadline;
    const baseOfRound = meta.version;
    const now = shard.now();
    let summary: PushSummary | undefined;
    shard.commit(() => {
      let closed: Closed | null = null;
      if (!admission.skip) {
        const contributors = storePush(shard.sql, resident, admission, now);
        if (contributors >= roundsOf(resident).quorum) closed = close(shard.sql, resident, "quorum", now, freshSeed);
        saveCounters(shard.sql, meta);
      }
      summary = {
        version: meta.version,
        revision: meta.revision,
        lr: closed?.lr ?? 0,
        applied: closed !== null,
        ...(closed?.lbfgs ? { lbfgs: closed.lbfgs } : {}),
        ...(admission.skip ? { skipped: "non-finite" as const } : {}),
        non_finite: admission.nonFinite,
        staleness: req.baseVersion === undefined ? 0 : baseOfRound - req.baseVersion,
        staleness_scale: 1,
        norm: admission.norm,
        offset: 0,
        count: meta.config.length,
        round: receiptOf(shard.sql, resident, round, admission.rolled),
      };
      record(summary, now);
    }, "keep");
    if (meta.roundDeadline !== null && meta.roundDeadline !== hadDeadline) await shard.armAlarm(meta.roundDeadline);
    return summary!;
  }

  /**
   * An lbfgs round's closure call as recorded at its close, with the version and revision it left
   * (the revision is the round's number): what a push that waited for the round answers.
   */
  closureOf(round: number): Pick<PushSummary, "lbfgs" | "version" | "revision"> | undefined {
    const last = this.shard.existing().meta.stats.last_closure;
    if (!last || last.round !== round) return undefined;
    const { round: _, version, ...lbfgs } = last;
    return { lbfgs, version, revision: round };
  }

  /** Waits (up to `ms`) for the receipt's round to close; answers the receipt as it stands then. */
  async awaitClose(receipt: RoundReceipt, ms: number): Promise<RoundReceipt> {
    const { shard } = this;
    await shard.waitUntil(() => {
      const meta = shard.resident()?.meta;
      return meta !== undefined && roundsClosed(meta) >= receipt.number;
    }, ms);
    return receiptOf(shard.sql, shard.existing(), receipt.number, receipt.rolled);
  }

  /**
   * The round's deadline has passed: close it, or, when it has fewer pushes than the reducer needs,
   * move the deadline on by another deadline_ms. Idempotent: alarms are delivered at least once.
   */
  private async closeAtDeadline(resident: Resident): Promise<void> {
    const { shard } = this;
    const now = shard.now();
    const { meta } = resident;
    shard.commit(() => {
      if (close(shard.sql, resident, "deadline", now, freshSeed) === null) meta.roundDeadline = now + roundsOf(resident).deadline_ms;
      saveCounters(shard.sql, meta);
    }, "keep");
    if (meta.roundDeadline !== null) await shard.armAlarm(meta.roundDeadline);
  }

  /** The object's alarm: closes an open round whose deadline has passed; re-arms an early one. */
  async alarm(): Promise<void> {
    const resident = this.shard.resident();
    const deadline = resident?.meta.roundDeadline ?? null;
    if (!resident || deadline === null || resident.meta.config.aggregation.mode !== "rounds") return;
    if (this.shard.now() < deadline) await this.shard.armAlarm(deadline);
    else await this.closeAtDeadline(resident);
  }

  /** The open round of a rounds-mode shard; null in async mode. */
  open(resident: Resident): OpenRound | null {
    return resident.meta.config.aggregation.mode === "rounds" ? openRound(this.shard.sql, resident) : null;
  }

  /** Refuses a change of the weights while a round holds pushes computed from the current ones. */
  ensureNoneWaiting(resident: Resident, what: string): void {
    const open = this.open(resident);
    if (open && open.contributors > 0) {
      refuse("round-open", `round ${open.number} has ${open.contributors} pushes computed from the current weights; ${what} once it has closed (by quorum, or at its deadline)`, {
        round: open.number,
        contributors: open.contributors,
        deadline: open.deadline === null ? null : new Date(open.deadline).toISOString(),
      });
    }
  }
}
