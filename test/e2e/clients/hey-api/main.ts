/**
 * The flow through SDKs @hey-api/openapi-ts generated from openapi.yaml (npm run build:clients).
 * hey-api keeps one media type per body: the client package's SDK (packages/client/src/generated)
 * keeps the raw float32 and safetensors bodies, the generator's defaults (./generated) the JSON
 * ones, so the binary calls go through the first and the JSON read through the second.
 * Run: SHARDSTEP_URL=... SHARDSTEP_TOKEN=... tsx main.ts
 */
import { connection } from "../common/connection";
import { runFlow, type GeneratedCalls } from "../common/flow";
import { EMA_DECAY, LENGTH, LR, MODEL_TENSORS } from "../common/scenario";
import { floatsBlob, floatsOf, integerHeader, unexpected } from "../common/wire";

// Both SDKs export the same names: each is held whole (no renaming imports).
const binarySdk = await import("../../../../packages/client/src/generated");
const binaryClient = await import("../../../../packages/client/src/generated/client");
const jsonSdk = await import("./generated");
const jsonClient = await import("./generated/client");

const binary = binaryClient.createClient(binaryClient.createConfig({ baseUrl: connection.baseUrl, auth: connection.token }));
const json = jsonClient.createClient(jsonClient.createConfig({ baseUrl: connection.baseUrl, auth: connection.token }));

/** The bytes of a binary answer (a JSON summary here means a 202: the push waits in a round). */
function bytes(operation: string, data: Blob | object, response: Response): Promise<ArrayBuffer> {
  if (!(data instanceof Blob)) throw unexpected(operation, response.status, data);
  return data.arrayBuffer();
}

const calls: GeneratedCalls = {
  async createShard(shard) {
    const { data, response } = await binarySdk.putShard({
      throwOnError: true,
      client: binary,
      path: { shard },
      body: { length: LENGTH, rule: "adam", hyper: { lr: LR }, averages: { ema: { kind: "ema", decay: EMA_DECAY } } },
    });
    if (data.config.rule !== "adam") throw new Error(`putShard: the shard's rule is ${data.config.rule}`);
    return { status: response.status, version: data.version, betas: data.config.hyper.betas, eps: data.config.hyper.eps };
  },

  async pushGradient(shard, gradient, key) {
    const { data, response } = await binarySdk.pushGradient({
      throwOnError: true,
      client: binary,
      path: { shard },
      headers: { "idempotency-key": key },
      body: floatsBlob(gradient),
    });
    return {
      weights: floatsOf(await bytes("pushGradient", data, response)),
      version: integerHeader(response.headers, "X-Shard-Version"),
      pushVersion: integerHeader(response.headers, "X-Push-Version"),
      replayed: response.headers.get("Idempotent-Replayed") === "true",
    };
  },

  async readWeights(shard) {
    const { data, response } = await binarySdk.getWeights({ throwOnError: true, client: binary, path: { shard } });
    return { values: floatsOf(await data.arrayBuffer()), version: integerHeader(response.headers, "X-Shard-Version") };
  },

  async readWeightsJson(shard) {
    const { data, response } = await jsonSdk.getWeights({ throwOnError: true, client: json, path: { shard }, headers: { Accept: "application/json" } });
    return { values: data.values, version: data.version };
  },

  async readAverage(shard, name) {
    const { data, response } = await binarySdk.getAverage({ throwOnError: true, client: binary, path: { shard, name } });
    return floatsOf(await data.arrayBuffer());
  },

  async createModel(model) {
    const { data, response } = await binarySdk.putModel({
      throwOnError: true,
      client: binary,
      path: { model },
      body: { tensors: MODEL_TENSORS.map(({ name, shape }) => ({ name, shape })), config: { rule: "adam", hyper: { lr: LR } } },
    });
    return { status: response.status, shardSize: data.shard_size, shards: data.shards.length };
  },

  async pushModelGradient(model, safetensors, key) {
    const { data, response } = await binarySdk.pushModelGradient({
      throwOnError: true,
      client: binary,
      path: { model },
      headers: { "idempotency-key": key },
      body: new Blob([safetensors]),
    });
    return { safetensors: await bytes("pushModelGradient", data, response), version: integerHeader(response.headers, "X-Model-Version") };
  },
};

await runFlow("hey-api", calls);
