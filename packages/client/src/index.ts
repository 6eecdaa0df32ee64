/** @shardstep/client: the public surface. README.md describes every function. */
export { createShardstep, type Shardstep } from "./client.js";
export type { CallOptions, ShardstepOptions } from "./context.js";
export type { PointResult, PushResult, VectorResult, WeightsStamp } from "./answers.js";
export type { PushCalls, PushOptions, RoundPushResult } from "./pushes.js";
export type { PushCommonOptions } from "./push-options.js";
export { DEFAULT_CHUNK_FLOATS, type DownloadOptions, type UploadOptions, type WeightCalls } from "./weights.js";
export type { ModelStateExport, StateCalls, StateExport, StateImportOptions, StateImportResult } from "./state.js";
export type { ShardCalls } from "./shards.js";
export type { ServiceCalls } from "./service.js";
export type { ModelCalls, ModelManifestInput, ModelShardConfig, ModelSummary } from "./models.js";
export type { ModelDownloadOptions, ModelPushOptions, ModelPushResult, ModelRoundPushResult, ModelTensorCalls, ModelTensors } from "./model-tensors.js";
export type {
  AskAnswer,
  CompleteInput,
  EnsembleMember,
  EnsembleSelection,
  Metrics,
  ReportAnswer,
  ReportInput,
  SweepCalls,
  SweepEnsemble,
  SweepInfo,
  SweepLease,
  SweepTrial,
  SweepTrialDetail,
  SweepWarning,
} from "./sweeps.js";
export { TrialStopped, type SweepWorkOptions, type TrainFunction, type TrialContext, type TrialOutcome, type TrialOutcomeKind, type WorkSummary } from "./sweep-work.js";
export type { LiveCalls } from "./live.js";
export type { LiveAnswer, LiveNotice, LiveOptions, LivePushOptions, LiveRound, LiveSession, SubscribeOptions } from "./live-types.js";
export { LiveUnavailable } from "./live-socket.js";
export { decodeFrame, encodeFrame, FrameError, FrameKind, LIVE_PROTOCOL_VERSION, type FrameKindName, type WelcomeHeader } from "../../../src/formats/live-frames.js";
export { averagePredictions, type Predict } from "./ensembles.js";
export { isShardstepProblem, ShardstepNetworkError, ShardstepProblem } from "./problem.js";
export { DEFAULT_RETRY, isRetryable, type RetryEvent, type RetryOptions, type RetryPolicy } from "./retry.js";
export { backoffDelay, retryAfterMs, type BackoffPolicy } from "./backoff.js";
export type { Progress, ProgressCallback } from "./progress.js";
export { fromSafetensors, SafetensorsError, toSafetensors, type Tensor, type TensorSet, type TensorsInput } from "./safetensors.js";
export { bytesBlob, bytesBody, floatsBlob, floatsBody, floatsOf } from "./floats.js";
export { newIdempotencyKey } from "./idempotency.js";
export type {
  Aggregation,
  Average,
  Clipping,
  ConfigHistory,
  Health,
  Init,
  MetricResult,
  ModelInfo,
  ModelList,
  ModelManifest,
  LbfgsOutcome,
  ModelPushSummary,
  Problem,
  PushSummary,
  RateLimit,
  RoundReceipt,
  RuleCatalog,
  Schedule,
  ShardConfig,
  ShardConfigInput,
  ShardInfo,
  ShardList,
  ShardPatch,
  ShardStatus,
  Staleness,
  SweepConfig,
} from "./generated/types.gen.js";
export type { Client } from "./generated/client/index.js";
