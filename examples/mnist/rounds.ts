/**
 * Federated averaging through a shard in rounds mode (McMahan et al. 2017; with a server
 * optimizer, Reddi et al. 2021). Each round, every client starts from the server's weights, runs
 * local SGD on its own data and pushes its model delta (local − server). The shard combines the
 * round's deltas with its reducer and takes one step of its rule with their negation as the
 * gradient: rule `sgd` with lr 1 is FedAvg, `adam` is FedAdam, and so on.
 */
import type { RoundPushResult, Shardstep } from "../../sdk/client";
import { clientBatches, splitFor, type Minibatches, type Dataset, type SplitKind } from "./data";
import { accuracy, lossAndGradient } from "./model";
import type { ProgressReport } from "./progress";
import { createFreshShard, evaluate, runTag, type Aggregation, type Evaluation, type Hyper, type RuleName, type TrainData } from "./shard";

export type RoundsApi = Pick<Shardstep, "createShard" | "getWeights" | "pushToRound">;
export type Reducer = "weighted_mean" | "mean" | "median" | "trimmed_mean";

export interface RoundsOptions {
  api: RoundsApi;
  shard: string;
  /** The server's rule and hyperparameters (the server optimizer). */
  rule: RuleName;
  hyper: Hyper;
  data: TrainData;
  /** Every client takes part in every round; the quorum is all of them. */
  clients: number;
  rounds: number;
  /** Local SGD steps per round (E epochs of a client's data = E × its size / batchSize steps). */
  localSteps: number;
  localLr: number;
  batchSize: number;
  split: SplitKind;
  reducer?: Reducer;
  /** Values dropped at each end of every coordinate by "trimmed_mean". */
  trim?: number;
  /** A round closes this long after its first push if its quorum is not reached first. */
  deadlineMs?: number;
  /** `Prefer: wait=N` on every push (≤ 30 s). */
  waitSeconds?: number;
  seed?: number;
  /** Called after every round with the rounds closed so far and the round's mean loss. */
  onProgress?: ProgressReport;
}

export interface RoundRecord {
  round: number;
  /** The shard's version after the round. */
  version: number;
  /** Mean loss of the clients' first minibatch, at the weights the round started from. */
  loss: number;
  /** Held-out accuracy of the weights the round produced. */
  testAccuracy: number;
}

export interface RoundsResult extends Evaluation {
  shard: string;
  rule: RuleName;
  hyper: Hyper;
  aggregation: Aggregation;
  clients: number;
  split: SplitKind;
  localSteps: number;
  localLr: number;
  batchSize: number;
  history: RoundRecord[];
  seconds: number;
}

interface ServerModel {
  weights: Float32Array;
  version: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One federated client: local SGD from the server's weights, then a push of the delta. */
class RoundsClient {
  private readonly batches: Minibatches;

  constructor(
    readonly id: number,
    data: Dataset,
    private readonly options: RoundsOptions,
    private readonly tag: string,
  ) {
    this.batches = clientBatches(data, options.batchSize, options.seed ?? 1, id);
  }

  /** Trains locally, pushes the delta and answers the round's new weights with the first batch's loss. */
  async round(server: ServerModel, round: number): Promise<{ loss: number; next: ServerModel }> {
    const { localSteps, localLr, batchSize } = this.options;
    const local = server.weights.slice();
    let firstLoss = NaN;
    for (let step = 0; step < localSteps; step++) {
      const { loss, gradient } = lossAndGradient(local, this.batches.next());
      if (step === 0) firstLoss = loss;
      for (let i = 0; i < local.length; i++) local[i]! -= localLr * gradient[i]!;
    }
    const delta = local.map((w, i) => w - server.weights[i]!);
    const push = {
      clientId: `client-${this.id}`,
      baseVersion: server.version,
      sampleCount: localSteps * batchSize,
      idempotencyKey: `${this.tag}-r${round}-c${this.id}`,
      waitSeconds: this.options.waitSeconds ?? 30,
    };
    const { api, shard } = this.options;
    return { loss: firstLoss, next: await this.untilClosed(() => api.pushToRound(shard, delta, push)) };
  }

  /**
   * Pushes until the round has closed. A 202 (the round was still open when the wait ran out) is
   * followed by the same push with the same Idempotency-Key: it is counted once, and once the
   * round has closed the answer is its weights.
   */
  private async untilClosed(push: () => Promise<RoundPushResult>): Promise<ServerModel> {
    const giveUp = Date.now() + (this.options.deadlineMs ?? 60_000) + 60_000;
    for (let pause = 20; ; pause = Math.min(2 * pause, 1_000)) {
      const answer = await push();
      if (answer.closed) return { weights: answer.weights, version: answer.weightsVersion };
      if (Date.now() > giveUp) throw new Error(`round ${answer.round} of ${this.options.shard} did not close: ${JSON.stringify(answer.receipt)}`);
      await sleep(pause);
    }
  }
}

export function aggregationOf(options: RoundsOptions): Aggregation {
  return {
    mode: "rounds",
    quorum: options.clients,
    deadline_ms: options.deadlineMs ?? 60_000,
    reducer: options.reducer ?? "weighted_mean",
    ...(options.trim === undefined ? {} : { trim: options.trim }),
    input: "delta",
    late: "reject",
  };
}

export async function trainRounds(options: RoundsOptions): Promise<RoundsResult> {
  const started = performance.now();
  const { api, shard, rule, hyper, data, clients, split } = options;
  const aggregation = aggregationOf(options);
  await createFreshShard(api, shard, { rule, hyper, aggregation });
  const start = await api.getWeights(shard);
  let server: ServerModel = { weights: start.values, version: start.version };
  const tag = runTag();
  const simulated = splitFor(split, data.train, clients, options.seed ?? 1).map((part, c) => new RoundsClient(c, part, options, tag));

  const history: RoundRecord[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    const outcomes = await Promise.all(simulated.map((client) => client.round(server, round)));
    // Every client gets the round's weights; should answers differ, the newest wins.
    server = outcomes.map((o) => o.next).reduce((a, b) => (b.version > a.version ? b : a));
    const loss = outcomes.reduce((sum, o) => sum + o.loss, 0) / outcomes.length;
    history.push({ round, version: server.version, loss, testAccuracy: accuracy(server.weights, data.test) });
    options.onProgress?.(round, loss);
  }
  return {
    shard, rule, hyper, aggregation, clients, split,
    localSteps: options.localSteps, localLr: options.localLr, batchSize: options.batchSize,
    history,
    ...evaluate(server.weights, data),
    seconds: (performance.now() - started) / 1000,
  };
}
