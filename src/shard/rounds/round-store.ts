import { addGaussianNoise, gaussianNoiseStd, isLbfgs, minimumPushes, reduce, roundSeed } from "../../optim";
import { reducerOf, type RoundsConfig } from "../../config";
import { readPage, writePages } from "../store/pages";
import { pushRange, stageGradient } from "../pushes/apply";
import { takeWrittenStep } from "../store/gradient-log";
import { checkLbfgsPush, closureCall } from "../pushes/lbfgs-push";
import { refuse } from "../../problems";
import { isLbfgsResident, nextLearningRate, ruleResident, writeUpdated, type Resident } from "../store/resident";
import type { ShardMeta } from "../store/meta";
import type { CloseReason } from "../stats";
import type { LbfgsPushOutcome, PushRequest, RoundReceipt } from "../types";

/**
 * Rounds mode: the open round is number `version + 1` (lbfgs: `revision + 1`, so that a
 * line-search probe, which moves the point but not the weights, opens a new round); its pushes wait
 * in `round_pushes` (one row per client, with its loss for lbfgs) with their vectors in pages under
 * `push:<seq>`. Closing combines them page by page with the reducer, adds the configured noise,
 * negates deltas into a pseudo-gradient, and takes exactly one step (lbfgs: one closure call on the
 * combined gradient and the losses combined alike), logged as an async push's step is when the
 * shard logs its steps (the combination is what the log keeps); then the round's rows and pages are deleted.
 * Every function here runs inside the caller's transaction and writes nothing else.
 */

export const pushSlot = (seq: number) => `push:${seq}`;

/** The counter rounds close into: the revision for lbfgs (every closure call moves it), the version otherwise. */
export const roundsClosed = (meta: ShardMeta): number => (isLbfgs(meta.config.rule) ? meta.revision : meta.version);

export interface OpenRound {
  number: number;
  contributors: number;
  sample_count: number;
  opened_at: number | null;
  deadline: number | null;
}

export function roundsOf(resident: Resident): RoundsConfig {
  const { aggregation } = resident.meta.config;
  if (aggregation.mode !== "rounds") throw new Error("the shard is not in rounds mode");
  return aggregation;
}

export function openRound(sql: SqlStorage, resident: Resident): OpenRound {
  const row = sql
    .exec<{ n: number; samples: number | null; opened: number | null }>("SELECT COUNT(*) AS n, SUM(sample_count) AS samples, MIN(at) AS opened FROM round_pushes")
    .one();
  return {
    number: roundsClosed(resident.meta) + 1,
    contributors: row.n,
    sample_count: row.samples ?? 0,
    opened_at: row.opened,
    deadline: resident.meta.roundDeadline,
  };
}

export function receiptOf(sql: SqlStorage, resident: Resident, number: number, rolled: boolean): RoundReceipt {
  const open = openRound(sql, resident);
  const closed = roundsClosed(resident.meta) >= number;
  return {
    number,
    closed,
    contributors: closed ? 0 : open.contributors,
    quorum: roundsOf(resident).quorum,
    deadline: closed ? null : open.deadline,
    rolled,
  };
}

/** A push checked and staged in the engine's gradient scratch, ready to be stored. */
export interface Admission {
  clientKey: string;
  sampleCount: number;
  baseVersion: number | null;
  /** Norm before clipping; the staged vector is clipped to clip_norm. */
  norm: number;
  nonFinite: number;
  skip: boolean;
  rolled: boolean;
  /** lbfgs: the loss at the round's point (X-Loss). */
  loss: number | null;
}

/**
 * Checks a rounds-mode push (whole vector, a client id, not a second push of the client in the
 * round, not late unless late pushes roll) and stages it, clipped. Refuses before anything changes.
 */
export function admit(sql: SqlStorage, resident: Resident, req: PushRequest): Admission {
  const config = roundsOf(resident);
  const { version } = resident.meta;
  const round = roundsClosed(resident.meta) + 1;
  if (req.offset !== undefined) refuse("invalid-range", "in rounds mode a push is the whole vector: offsets are not accepted");
  if (req.clientId === undefined) refuse("client-id-required", "in rounds mode every push names its client (X-Client-Id): each client contributes once per round");
  const loss = isLbfgsResident(resident) ? admitLbfgs(resident, req, round) : null;
  const { offset, count } = pushRange(resident, req);
  let rolled = false;
  if (req.baseVersion !== undefined) {
    if (req.baseVersion > version) refuse("version-mismatch", `base version ${req.baseVersion} is ahead of the shard's version ${version}`, { version, round });
    if (req.baseVersion < version) {
      if (config.late === "reject") {
        refuse("round-closed", `the push was computed at version ${req.baseVersion}, for round ${req.baseVersion + 1}, which has closed; the open round is ${round} (version ${version})`, { version, round });
      }
      rolled = true;
    }
  }
  const clientKey = req.clientKey ?? req.clientId!;
  const previous = sql.exec<{ seq: number }>("SELECT seq FROM round_pushes WHERE client_key = ?", clientKey).toArray()[0];
  if (previous) {
    refuse("already-contributed", `client '${req.clientId}' has already pushed to round ${round}; one contribution per client per round (a retry with the same Idempotency-Key returns the first answer)`, { round, version });
  }
  const { gradient, nonFinite, skip } = stageGradient(resident, req, offset, count);
  const ops = resident.engine.ops;
  const norm = skip ? 0 : config.clip_norm === null ? ops.globalNorm([gradient]) : ops.clipByGlobalNorm([gradient], config.clip_norm);
  return { clientKey, sampleCount: req.sampleCount ?? 1, baseVersion: req.baseVersion ?? null, norm, nonFinite, skip, rolled, loss };
}

/**
 * An lbfgs push in rounds mode: what an async one carries, at the point of the open round (round
 * r is the point of revision r − 1). A push for an earlier point is late: its round has closed and
 * a gradient at another point cannot join this one (the configuration allows late = reject only).
 */
function admitLbfgs(resident: Resident, req: PushRequest, round: number): number {
  const loss = checkLbfgsPush(resident, req);
  const { revision, version } = resident.meta;
  const at = req.pointRevision!;
  if (at > revision) refuse("point-moved", `X-Point-Revision ${at} is ahead of the shard's point (revision ${revision}): GET /point and evaluate there`, { revision, version, round });
  if (at < revision) {
    refuse("round-closed", `the gradient was computed at the point of revision ${at}, for round ${at + 1}, which has closed; the open round is ${round}, at the point of revision ${revision}: GET /point and evaluate there`, { revision, version, round });
  }
  return loss;
}

/** Stores the staged push of `admission` in the open round; answers the round's contributors. */
export function storePush(sql: SqlStorage, resident: Resident, a: Admission, now: number): number {
  const { meta, engine } = resident;
  const seq = sql
    .exec<{ seq: number }>(
      "INSERT INTO round_pushes (seq, client_key, sample_count, norm, base_version, at, loss) VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM round_pushes), ?, ?, ?, ?, ?, ?) RETURNING seq",
      a.clientKey,
      a.sampleCount,
      a.norm,
      a.baseVersion,
      now,
      a.loss,
    )
    .one().seq;
  writePages(sql, pushSlot(seq), engine.gradient, meta.config.page_floats);
  if (meta.roundDeadline === null) meta.roundDeadline = now + roundsOf(resident).deadline_ms;
  meta.stats.pushes += 1;
  if (a.rolled) meta.stats.late_rolled += 1;
  meta.updatedAt = now;
  return sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM round_pushes").one().n;
}

/**
 * Closes the open round: combines its pushes into the gradient scratch, adds noise, negates deltas,
 * takes one step (lbfgs: one closure call) and writes the new state; answers what it did. Answers
 * null, changing nothing, when the round has fewer pushes than its reducer needs. `freshSeed` gives
 * the noise seed when none is configured.
 */
export function close(sql: SqlStorage, resident: Resident, reason: CloseReason, now: number, freshSeed: () => number): Closed | null {
  const config = roundsOf(resident);
  const { meta, engine } = resident;
  const rows = sql.exec<{ seq: number; sample_count: number; loss: number | null }>("SELECT seq, sample_count, loss FROM round_pushes ORDER BY seq").toArray();
  const reducer = reducerOf(config);
  if (rows.length === 0 || rows.length < minimumPushes(reducer)) return null;

  const { length, page_floats: pageFloats } = meta.config;
  const weights = rows.map((r) => r.sample_count);
  for (let page = 0; page * pageFloats < length; page++) {
    const start = page * pageFloats;
    const vectors = rows.map((r) => readPage(sql, pushSlot(r.seq), page));
    reduce(reducer, vectors, weights, engine.gradient.subarray(start, start + vectors[0]!.length));
  }
  const round = roundsClosed(meta) + 1;
  let closed: Closed;
  if (isLbfgsResident(resident)) {
    // The losses combined as the gradients are, with the same weights (docs/rules.md, L-BFGS).
    const loss = new Float64Array(1);
    reduce(reducer, rows.map((r) => Float64Array.of(r.loss!)), weights, loss);
    // A non-finite machine scalar throws out of the caller's transaction, which drops the resident.
    const lbfgs = closureCall(resident, loss[0]!, now, () => undefined);
    meta.stats.last_closure = { round, version: meta.version, ...lbfgs };
    closed = { lr: resident.engine.hyper.lr, lbfgs };
    writeUpdated(sql, resident, [{ offset: 0, count: length }]);
  } else {
    closed = { lr: stepOnCombination(sql, resident, config, rows.length, round, now, freshSeed) };
  }
  sql.exec("DELETE FROM pages WHERE slot IN (SELECT 'push:' || seq FROM round_pushes)");
  sql.exec("DELETE FROM round_pushes");
  meta.roundDeadline = null;
  const stats = meta.stats;
  stats.rounds_closed += 1;
  if (reason === "quorum") stats.closed_by_quorum += 1;
  else stats.closed_by_deadline += 1;
  stats.last_round = { round, pushes: rows.length, reason, closed_at: now };
  return closed;
}

/** What closing a round did: the learning rate of its step; for lbfgs, the closure call's outcome. */
export interface Closed {
  lr: number;
  lbfgs?: LbfgsPushOutcome;
}

/** An update rule's step on the round's combination in the gradient scratch: noise, deltas negated; written (gradient-log.ts). */
function stepOnCombination(sql: SqlStorage, resident: Resident, config: RoundsConfig, pushes: number, round: number, now: number, freshSeed: () => number): number {
  const { meta, engine } = resident;
  if (config.noise_multiplier > 0) {
    const std = gaussianNoiseStd(config.noise_multiplier, config.clip_norm!, pushes);
    addGaussianNoise(engine.gradient, std, roundSeed(config.noise_seed ?? freshSeed(), round));
  }
  if (config.input === "delta") engine.ops.scale(engine.gradient, -1);

  const lr = nextLearningRate(meta);
  takeWrittenStep(sql, ruleResident(resident, "a round"), lr, now);
  return lr;
}
