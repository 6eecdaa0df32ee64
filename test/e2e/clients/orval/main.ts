/**
 * The flow through the fetch client orval generated from openapi.yaml (npm run build:clients); its
 * base URL is read at run time from ../common/connection (orval's `baseUrl.runtime`).
 * Run: SHARDSTEP_URL=... SHARDSTEP_TOKEN=... tsx main.ts
 */
import { authorization } from "../common/connection";
import { runFlow, type GeneratedCalls } from "../common/flow";
import { EMA_DECAY, LENGTH, LR, MODEL_TENSORS } from "../common/scenario";
import { floatsBlob, floatsOf, integerHeader, unexpected } from "../common/wire";
import { getAverage, getWeights, pushGradient, pushModelGradient, putModel, putShard, type Floats } from "./generated/shardstep";

const options = { headers: authorization };

/** The bytes of a binary answer (a JSON summary here means a 202: the push waits in a round). */
function bytes(operation: string, answer: { status: number; data: unknown }): Promise<ArrayBuffer> {
  if (!(answer.data instanceof Blob)) throw unexpected(operation, answer.status, answer.data);
  return answer.data.arrayBuffer();
}

/**
 * WORKAROUND (orval): an operation with a binary answer reads every answer of it with
 * `res.blob()`, its JSON ones included, which are typed parsed; the JSON is parsed here.
 */
async function parsedFloats(data: Blob | Floats): Promise<Floats> {
  if (!(data instanceof Blob)) return data;
  const value: unknown = JSON.parse(await data.text());
  if (!isFloats(value)) throw new Error(`not a Floats body: ${JSON.stringify(value)}`);
  return value;
}

function isFloats(value: unknown): value is Floats {
  return (
    typeof value === "object" &&
    value !== null &&
    "version" in value &&
    typeof value.version === "number" &&
    "values" in value &&
    Array.isArray(value.values) &&
    value.values.every((v) => typeof v === "number")
  );
}

const calls: GeneratedCalls = {
  async createShard(shard) {
    const answer = await putShard(
      shard,
      { length: LENGTH, rule: "adam", hyper: { lr: LR }, averages: { ema: { kind: "ema", decay: EMA_DECAY } } },
      undefined,
      options,
    );
    if (answer.status !== 200 && answer.status !== 201) throw unexpected("putShard", answer.status, answer.data);
    const { config, version } = answer.data;
    if (config.rule !== "adam") throw new Error(`putShard: the shard's rule is ${config.rule}`);
    return { status: answer.status, version, betas: config.hyper.betas, eps: config.hyper.eps };
  },

  async pushGradient(shard, gradient, key) {
    const answer = await pushGradient(shard, floatsBlob(gradient), undefined, { headers: { ...authorization, "Idempotency-Key": key } });
    if (answer.status !== 200) throw unexpected("pushGradient", answer.status, answer.data);
    return {
      weights: floatsOf(await bytes("pushGradient", answer)),
      version: integerHeader(answer.headers, "X-Shard-Version"),
      pushVersion: integerHeader(answer.headers, "X-Push-Version"),
      replayed: answer.headers.get("Idempotent-Replayed") === "true",
    };
  },

  async readWeights(shard) {
    const answer = await getWeights(shard, undefined, options);
    if (answer.status !== 200) throw unexpected("getWeights", answer.status, answer.data);
    return { values: floatsOf(await bytes("getWeights", answer)), version: integerHeader(answer.headers, "X-Shard-Version") };
  },

  async readWeightsJson(shard) {
    const answer = await getWeights(shard, undefined, { headers: { ...authorization, Accept: "application/json" } });
    if (answer.status !== 200) throw unexpected("getWeights (JSON)", answer.status, answer.data);
    const { values, version } = await parsedFloats(answer.data);
    return { values, version };
  },

  async readAverage(shard, name) {
    const answer = await getAverage(shard, name, undefined, options);
    if (answer.status !== 200) throw unexpected("getAverage", answer.status, answer.data);
    return floatsOf(await bytes("getAverage", answer));
  },

  async createModel(model) {
    const answer = await putModel(
      model,
      { tensors: MODEL_TENSORS.map(({ name, shape }) => ({ name, shape })), config: { rule: "adam", hyper: { lr: LR } } },
      options,
    );
    if (answer.status !== 200 && answer.status !== 201) throw unexpected("putModel", answer.status, answer.data);
    return { status: answer.status, shardSize: answer.data.shard_size, shards: answer.data.shards.length };
  },

  async pushModelGradient(model, safetensors, key) {
    const answer = await pushModelGradient(model, new Blob([safetensors]), {
      headers: { ...authorization, "Idempotency-Key": key },
    });
    if (answer.status !== 200) throw unexpected("pushModelGradient", answer.status, answer.data);
    return { safetensors: await bytes("pushModelGradient", answer), version: integerHeader(answer.headers, "X-Model-Version") };
  },
};

await runFlow("orval", calls);
