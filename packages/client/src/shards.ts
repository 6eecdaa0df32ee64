/** A shard's life: create, list, read, change, report metrics, delete. */
import type { CallOptions, Context } from "./context.js";
import { deleteShard, getShard, getShardHistory, getStatus, listShards, patchShard, putShard, reportMetric } from "./generated/sdk.gen.js";
import type { ConfigHistory, MetricResult, ShardConfigInput, ShardInfo, ShardList, ShardPatch, ShardStatus } from "./generated/types.gen.js";
import { isShardstepProblem } from "./problem.js";
import { settle } from "./transport.js";

export interface ShardCalls {
  /** PUT: creates the shard (created: true) or finds it with this configuration already (false); `replace` starts it afresh. */
  createShard(name: string, config: ShardConfigInput, options?: CallOptions & { replace?: boolean }): Promise<{ created: boolean; info: ShardInfo }>;
  /** The shards the token can see (standalone and of models), narrowed to names starting with `prefix`. */
  listShards(options?: CallOptions & { prefix?: string }): Promise<ShardList["shards"]>;
  getShard(name: string, options?: CallOptions): Promise<ShardInfo>;
  /** Changes hyperparameters, the schedule or schedules of hyperparameters live (recorded in the history); the optimizer state is kept. */
  patchShard(name: string, patch: ShardPatch, options?: CallOptions): Promise<ShardInfo>;
  history(name: string, options?: CallOptions): Promise<ConfigHistory>;
  /** Mode, version, the open round, staleness statistics. */
  getStatus(name: string, options?: CallOptions): Promise<ShardStatus>;
  /** Reports a metric (reduce-on-plateau schedules lower the learning rate from them). */
  reportMetric(name: string, value: number, clientId?: string, options?: CallOptions): Promise<MetricResult>;
  /** Deletes the shard and its state; a retry that finds it gone already counts as done. */
  deleteShard(name: string, options?: CallOptions): Promise<void>;
}

export function shardCalls({ client, run }: Context): ShardCalls {
  const path = (shard: string) => ({ shard });
  return {
    createShard: (name, config, options = {}) =>
      run(options, true, async (signal) => {
        const query = options.replace ? { replace: "true" as const } : undefined;
        const { data, response } = await settle(putShard({ client, path: path(name), body: config, query, signal }));
        return { created: response.status === 201, info: data };
      }),

    listShards: (options = {}) =>
      run(options, true, async (signal) => {
        const query = options.prefix === undefined ? undefined : { prefix: options.prefix };
        return (await settle(listShards({ client, query, signal }))).data.shards;
      }),

    getShard: (name, options) => run(options, true, async (signal) => (await settle(getShard({ client, path: path(name), signal }))).data),

    // Not retried when it may have been applied: a second change would be recorded twice.
    patchShard: (name, patch, options) => run(options, false, async (signal) => (await settle(patchShard({ client, path: path(name), body: patch, signal }))).data),

    history: (name, options) => run(options, true, async (signal) => (await settle(getShardHistory({ client, path: path(name), signal }))).data),

    getStatus: (name, options) => run(options, true, async (signal) => (await settle(getStatus({ client, path: path(name), signal }))).data),

    // A metric counted twice would move a plateau schedule: retried only when surely refused.
    reportMetric: (name, value, clientId, options) =>
      run(options, false, async (signal) => {
        const body = clientId === undefined ? { value } : { value, client_id: clientId };
        return (await settle(reportMetric({ client, path: path(name), body, signal }))).data;
      }),

    deleteShard: (name, options) =>
      run(options, true, async (signal, attempt) => {
        try {
          await settle(deleteShard({ client, path: path(name), signal }));
        } catch (e) {
          if (!(attempt > 1 && isShardstepProblem(e, "not-found"))) throw e;
        }
      }),
  };
}
