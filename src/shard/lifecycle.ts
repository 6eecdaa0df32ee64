import { asBeforeCycling, patchedConfig, resolveShardConfig, sameConfig, type ShardConfig } from "../config";
import { getRule, isLbfgs, stateShape, structuralHyper } from "../optim";
import { refuse } from "../problems";
import { emptyStats } from "./stats";
import { saveMeta, type ShardMeta } from "./store/meta";
import { initialPlateau, nextLearningRate, nextScheduledValues, writeResident, type Resident } from "./store/resident";
import type { ShardStore } from "./store/store";
import { ensureChangedBy } from "./ownership";
import type { ConfigChange, ConfigHistoryEntry, CreateOptions, PatchRequest, ShardInfo, Via } from "./types";

/** A shard's life: created (or replaced), described, changed live, deleted. */
export class Lifecycle {
  constructor(private readonly store: ShardStore) {}

  info(): ShardInfo {
    return describe(this.store.existing());
  }

  create(name: string, input: unknown, replace: boolean, options: CreateOptions = {}): { created: boolean; info: ShardInfo } {
    const { store } = this;
    const config = resolveShardConfig(input);
    const current = store.resident();
    if (current && replace) ensureChangedBy(current.meta, options.model, "replace it");
    if (current && !replace) {
      if (sameConfig(current.meta.createdConfig, config) || sameConfig(current.meta.createdConfig, resolveShardConfig(asBeforeCycling(input)))) return { created: false, info: describe(current) };
      refuse("config-conflict", `shard '${current.meta.name}' exists with another configuration; send the query parameter replace=true to replace it`, {
        version: current.meta.version,
      });
    }
    const now = store.now();
    const meta: ShardMeta = {
      name,
      config,
      createdConfig: config,
      version: 0,
      step: 0,
      revision: 0,
      scheduleOrigin: 0,
      scalars: {},
      plateau: initialPlateau(config),
      averageCounts: Object.fromEntries(Object.keys(config.averages).map((a) => [a, 0])),
      stats: emptyStats(),
      roundDeadline: null,
      model: options.model ?? null,
      createdAt: now,
      updatedAt: now,
    };
    const resident = store.fresh(meta, options.init);
    meta.scalars = { ...resident.engine.state.scalars };
    store.commit(() => {
      store.clear();
      writeResident(store.sql, resident, 0, config.length);
      saveMeta(store.db, meta);
    }, "keep");
    store.keep(resident);
    return { created: true, info: describe(resident) };
  }

  destroy(via: Via): { deleted: true } {
    const { store } = this;
    ensureChangedBy(store.existing().meta, via, "delete it");
    store.commit(() => store.clear(), "keep");
    store.keep(null);
    return { deleted: true };
  }

  patch(req: PatchRequest, via: Via): ShardInfo {
    const { store } = this;
    const resident = store.existing();
    const { meta } = resident;
    ensureChangedBy(meta, via, "change it");
    if (isLbfgs(meta.config.rule)) {
      refuse("invalid-config", "an lbfgs shard keeps the hyperparameters it was created with (its line search runs across pushes under them); replace the shard to change them");
    }
    const config = patchedConfig(meta.config, req, meta.step);
    if (stateOf(config) !== stateOf(meta.config)) {
      refuse("invalid-config", "this change adds, removes or reshapes optimizer state (e.g. momentum, amsgrad, centered, adafactor's shape); replace the shard instead");
    }
    // The evaluation point may move with the hyperparameters (x + μ·v): its ETag, the revision, moves too.
    if (pointMayMove(meta.config, config)) meta.revision += 1;
    meta.config = config;
    if (req.schedule !== undefined) {
      meta.scheduleOrigin = meta.step;
      meta.plateau = initialPlateau(config);
    }
    meta.updatedAt = store.now();
    store.commit(() => {
      saveMeta(store.db, meta);
      this.record(meta, {
        hyper: req.hyper,
        schedule: req.schedule === undefined ? undefined : config.schedule,
        schedules: req.schedules === undefined ? undefined : Object.fromEntries(Object.keys(req.schedules).map((p) => [p, config.schedules[p] ?? null])),
      });
    });
    // The state keeps its shape: the engine follows the new hyperparameters from the next step on.
    return describe(resident);
  }

  /** A configuration change in the history, at the version from which it is in force; inside a commit. */
  record(meta: ShardMeta, change: ConfigChange): void {
    this.store.sql.exec("INSERT INTO config_history (version, change, at) VALUES (?, ?, ?)", meta.version, JSON.stringify(change), meta.updatedAt);
  }

  history(): ConfigHistoryEntry[] {
    const { store } = this;
    store.existing();
    return store.sql
      .exec<{ version: number; change: string; at: number }>("SELECT version, change, at FROM config_history ORDER BY id")
      .toArray()
      .map((r) => ({ version: r.version, change: JSON.parse(r.change) as ConfigChange, at: r.at }));
  }
}

/**
 * The optimizer state a configuration keeps, by name and length: hyperparameters that change it
 * need a new shard. Initial values do not count: the state exists already (a new lr leaves Rprop's
 * step sizes as they are).
 */
function stateOf(config: ShardConfig): string {
  const t = stateShape(config.rule, structuralHyper(config), config.length);
  return JSON.stringify([t.slots.map((s) => [s.name, s.length]), t.scalars.map((s) => s.name)]);
}

/** Whether a change of configuration may move a point distinct from the weights (src/optim/point.ts). */
function pointMayMove(before: ShardConfig, after: ShardConfig): boolean {
  if (isLbfgs(after.rule) || isLbfgs(before.rule)) return false;
  const rule = getRule(after.rule);
  return rule.point?.(before.hyper) !== undefined || rule.point?.(after.hyper) !== undefined;
}

export function describe(resident: Resident): ShardInfo {
  const { meta } = resident;
  return {
    name: meta.name,
    version: meta.version,
    step: meta.step,
    revision: meta.revision,
    lr: nextLearningRate(meta),
    hyper_in_force: nextScheduledValues(meta),
    config: meta.config,
    averages: Object.fromEntries(Object.entries(meta.config.averages).map(([name, spec]) => [name, { ...spec, count: meta.averageCounts[name] ?? 0 }])),
    schedule_origin: meta.scheduleOrigin,
    plateau: meta.plateau,
    resident_bytes: resident.engine.bytes,
    created_at: meta.createdAt,
    updated_at: meta.updatedAt,
  };
}
