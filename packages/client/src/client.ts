/**
 * `createShardstep`: the client, assembled from its call groups over one generated SDK client.
 *
 *   const api = createShardstep({ baseUrl: "http://127.0.0.1:8787", token });
 *   await api.createShard("mnist.w", { length: 1024, rule: "adam", hyper: { lr: 1e-3 } });
 *   const { version, weights } = await api.pushGradient("mnist.w", gradient);
 *   await api.sweeps.work("mnist.lr", async (trial, ctx) => ({ loss: await train(trial, ctx) }));
 */
import { createContext, type ShardstepOptions } from "./context.js";
import { liveCalls, type LiveCalls } from "./live.js";
import type { Client } from "./generated/client/index.js";
import { modelTensorCalls, type ModelTensorCalls } from "./model-tensors.js";
import { modelCalls, type ModelCalls } from "./models.js";
import { pushCalls, type PushCalls } from "./pushes.js";
import { serviceCalls, type ServiceCalls } from "./service.js";
import { shardCalls, type ShardCalls } from "./shards.js";
import { stateCalls, type StateCalls } from "./state.js";
import { sweepCalls, type SweepCalls } from "./sweeps.js";
import { weightCalls, type WeightCalls } from "./weights.js";

export interface Shardstep extends ServiceCalls, ShardCalls, PushCalls, WeightCalls, StateCalls, ModelCalls, ModelTensorCalls, LiveCalls {
  /** The generated client (base URL and auth set): for calls the wrapper does not cover. */
  readonly client: Client;
  /** Hyperparameter sweeps: the resource, its trials, the worker loop, plots and ensembles. */
  readonly sweeps: SweepCalls;
}

export function createShardstep(options: ShardstepOptions): Shardstep {
  const context = createContext(options);
  const pushes = pushCalls(context);
  const weights = weightCalls(context);
  return {
    client: context.client,
    ...serviceCalls(context),
    ...shardCalls(context),
    ...pushes,
    ...weights,
    ...liveCalls(context, { ...pushes, ...weights }),
    ...stateCalls(context),
    ...modelCalls(context),
    ...modelTensorCalls(context),
    ...sweepCalls(context),
  };
}
