/**
 * The flow through openapi-fetch over the `paths` types openapi-typescript generated from
 * openapi.yaml (npm run build:clients). Run: SHARDSTEP_URL=... SHARDSTEP_TOKEN=... tsx main.ts
 */
import createClient from "openapi-fetch";
import { authorization, connection } from "../common/connection";
import { runFlow, type GeneratedCalls } from "../common/flow";
import { EMA_DECAY, LENGTH, LR, MODEL_TENSORS } from "../common/scenario";
import { floatsBlob, floatsOf, integerHeader, unexpected } from "../common/wire";
import type { paths } from "./generated/schema";

const client = createClient<paths>({ baseUrl: connection.baseUrl, headers: authorization });
/** The same service, its answers typed by their JSON media types only (openapi-fetch's second type parameter). */
const jsonClient = createClient<paths, "application/json">({ baseUrl: connection.baseUrl, headers: authorization });

/** openapi-fetch serializes every body to JSON unless told otherwise: binary bodies go out unchanged, with their type. */
const binaryBody = { bodySerializer: (body: unknown) => body, headers: { "Content-Type": "application/octet-stream" } };

const calls: GeneratedCalls = {
  async createShard(shard) {
    const { data, error, response } = await client.PUT("/v1/shards/{shard}", {
      params: { path: { shard } },
      body: { length: LENGTH, rule: "adam", hyper: { lr: LR }, averages: { ema: { kind: "ema", decay: EMA_DECAY } } },
    });
    if (!data) throw unexpected("putShard", response.status, error);
    if (data.config.rule !== "adam") throw new Error(`putShard: the shard's rule is ${data.config.rule}`);
    return { status: response.status, version: data.version, betas: data.config.hyper.betas, eps: data.config.hyper.eps };
  },

  async pushGradient(shard, gradient, key) {
    const { data, error, response } = await client.POST("/v1/shards/{shard}/gradients", {
      params: { path: { shard }, header: { "idempotency-key": key } },
      body: floatsBlob(gradient),
      parseAs: "arrayBuffer",
      ...binaryBody,
    });
    if (!data) throw unexpected("pushGradient", response.status, error);
    return {
      weights: floatsOf(data),
      version: integerHeader(response.headers, "X-Shard-Version"),
      pushVersion: integerHeader(response.headers, "X-Push-Version"),
      replayed: response.headers.get("Idempotent-Replayed") === "true",
    };
  },

  async readWeights(shard) {
    const { data, error, response } = await client.GET("/v1/shards/{shard}/weights", { params: { path: { shard } }, parseAs: "arrayBuffer" });
    if (!data) throw unexpected("getWeights", response.status, error);
    return { values: floatsOf(data), version: integerHeader(response.headers, "X-Shard-Version") };
  },

  async readWeightsJson(shard) {
    const { data, error, response } = await jsonClient.GET("/v1/shards/{shard}/weights", {
      params: { path: { shard } },
      headers: { Accept: "application/json" },
    });
    if (!data) throw unexpected("getWeights (JSON)", response.status, error);
    return { values: data.values, version: data.version };
  },

  async readAverage(shard, name) {
    const { data, error, response } = await client.GET("/v1/shards/{shard}/averages/{name}", {
      params: { path: { shard, name } },
      parseAs: "arrayBuffer",
    });
    if (!data) throw unexpected("getAverage", response.status, error);
    return floatsOf(data);
  },

  async createModel(model) {
    const { data, error, response } = await client.PUT("/v1/models/{model}", {
      params: { path: { model } },
      body: { tensors: MODEL_TENSORS.map(({ name, shape }) => ({ name, shape })), config: { rule: "adam", hyper: { lr: LR } } },
    });
    if (!data) throw unexpected("putModel", response.status, error);
    return { status: response.status, shardSize: data.shard_size, shards: data.shards.length };
  },

  async pushModelGradient(model, safetensors, key) {
    const { data, error, response } = await client.POST("/v1/models/{model}/gradients", {
      params: { path: { model }, header: { "idempotency-key": key } },
      body: new Blob([safetensors]),
      parseAs: "arrayBuffer",
      ...binaryBody,
    });
    if (!data) throw unexpected("pushModelGradient", response.status, error);
    return { safetensors: data, version: integerHeader(response.headers, "X-Model-Version") };
  },
};

await runFlow("openapi-fetch", calls);
