/**
 * The flow every program runs through its generated client. A program supplies the calls (each
 * written against its generator's types); the flow makes them in order and checks every number
 * that comes back against scenario.ts.
 */
import { Checks } from "./checks";
import { ADAM_DEFAULTS, adamWeights, EMA_DECAY, emaOf, GRADIENTS, LENGTH, MODEL_TENSORS } from "./scenario";
import { safetensorsOf, tensorsOf } from "./wire";

export interface PushAnswer {
  weights: Float32Array;
  /** X-Shard-Version: the shard's version now. */
  version: number;
  /** X-Push-Version: the version this push produced (the first answer's, on a replay). */
  pushVersion: number;
  /** Idempotent-Replayed: true. */
  replayed: boolean;
}

/** The calls a program makes through its generated client (each throws on an unexpected status). */
export interface GeneratedCalls {
  /** PUT /v1/shards/{name}: Adam of LENGTH floats with lr LR and an EMA named `ema` of decay EMA_DECAY, nothing else. */
  createShard(name: string): Promise<{ status: number; version: number; betas: number[]; eps: number }>;
  /** POST /v1/shards/{name}/gradients: raw float32, with an Idempotency-Key; the answer's weights in binary. */
  pushGradient(name: string, gradient: Float32Array<ArrayBuffer>, key: string): Promise<PushAnswer>;
  /** GET /v1/shards/{name}/weights in binary. */
  readWeights(name: string): Promise<{ values: Float32Array; version: number }>;
  /** GET /v1/shards/{name}/weights in JSON. */
  readWeightsJson(name: string): Promise<{ values: number[]; version: number }>;
  /** GET /v1/shards/{name}/averages/{average} in binary. */
  readAverage(name: string, average: string): Promise<Float32Array>;
  /** PUT /v1/models/{name}: MODEL_TENSORS on Adam shards of lr LR, shard_size left to the server. */
  createModel(name: string): Promise<{ status: number; shardSize: number; shards: number }>;
  /** POST /v1/models/{name}/gradients: safetensors with an Idempotency-Key; the answer's bytes and X-Model-Version. */
  pushModelGradient(name: string, safetensors: Uint8Array<ArrayBuffer>, key: string): Promise<{ safetensors: ArrayBuffer; version: number }>;
}

export async function runFlow(generator: string, calls: GeneratedCalls): Promise<void> {
  const checks = new Checks(generator);
  try {
    await flow(generator, calls, checks);
    checks.finish();
  } catch (error) {
    checks.abort(error);
  }
}

async function flow(generator: string, calls: GeneratedCalls, checks: Checks): Promise<void> {
  const shard = `generated.${generator}.adam`;
  const created = await calls.createShard(shard);
  checks.equal("PUT shard: 201 Created", created.status, 201);
  checks.equal("PUT shard: version 0", created.version, 0);
  checks.same("PUT shard: the server filled in Adam's betas", created.betas, ADAM_DEFAULTS.betas);
  checks.equal("PUT shard: the server filled in Adam's eps", created.eps, ADAM_DEFAULTS.eps);

  const [g1, g2] = GRADIENTS;
  const [w1, w2] = adamWeights(GRADIENTS);
  if (!g1 || !g2 || !w1 || !w2) throw new Error("the scenario has two gradients");
  const first = await calls.pushGradient(shard, g1, `${generator}-push-1`);
  checks.that("push 1: not a replay", !first.replayed);
  checks.equal("push 1: X-Shard-Version 1", first.version, 1);
  checks.equal("push 1: X-Push-Version 1", first.pushVersion, 1);
  checks.close("push 1: the weights after one Adam step", first.weights, w1);
  checks.that(
    "push 1: every weight stepped against its gradient's sign",
    first.weights.every((w, i) => Math.sign(w) === -Math.sign(g1[i] ?? NaN)),
  );

  const retry = await calls.pushGradient(shard, g1, `${generator}-push-1`);
  checks.that("retry of push 1 (same Idempotency-Key): Idempotent-Replayed", retry.replayed);
  checks.equal("retry of push 1: X-Push-Version still 1", retry.pushVersion, 1);
  checks.equal("retry of push 1: X-Shard-Version still 1 (nothing applied)", retry.version, 1);
  checks.same("retry of push 1: the same weights", retry.weights, first.weights);

  const second = await calls.pushGradient(shard, g2, `${generator}-push-2`);
  checks.that("push 2: not a replay", !second.replayed);
  checks.equal("push 2: X-Shard-Version 2", second.version, 2);
  checks.close("push 2: the weights after two Adam steps", second.weights, w2);

  const binary = await calls.readWeights(shard);
  checks.equal("GET weights (binary): X-Shard-Version 2", binary.version, 2);
  checks.same("GET weights (binary): the weights push 2 answered", binary.values, second.weights);
  const json = await calls.readWeightsJson(shard);
  checks.equal("GET weights (JSON): version 2", json.version, 2);
  checks.same("GET weights (JSON): the binary weights' values", json.values, binary.values);

  const ema = await calls.readAverage(shard, "ema");
  checks.close(`GET averages/ema: decay ${EMA_DECAY} over the two pushes' weights`, ema, emaOf([first.weights, second.weights]), 1e-6);

  const model = `generated.${generator}.model`;
  const info = await calls.createModel(model);
  checks.equal("PUT model: 201 Created", info.status, 201);
  checks.that("PUT model: shard_size left to the server (a positive default)", info.shardSize > 0, `shard_size ${info.shardSize}`);
  checks.that("PUT model: laid out on shards", info.shards >= 1, `${info.shards} shards`);

  const body = safetensorsOf(MODEL_TENSORS);
  const pushed = await calls.pushModelGradient(model, body, `${generator}-model-1`);
  checks.equal("POST model gradients: X-Model-Version 1", pushed.version, 1);
  const tensors = tensorsOf(pushed.safetensors);
  for (const { name, gradient } of MODEL_TENSORS) {
    const [expected] = adamWeights([gradient]);
    checks.close(`POST model gradients: tensor ${name} after one Adam step`, tensors[name] ?? [], expected ?? []);
  }
  const again = await calls.pushModelGradient(model, body, `${generator}-model-1`);
  checks.equal("retry of the model push (same Idempotency-Key): X-Model-Version still 1", again.version, 1);
  for (const { name } of MODEL_TENSORS) {
    checks.same(`retry of the model push: tensor ${name} unchanged`, tensorsOf(again.safetensors)[name] ?? [], tensors[name] ?? []);
  }
  checks.equal("the scenario's shard length", binary.values.length, LENGTH);
}
