/**
 * Gradient pushes. Every push carries an Idempotency-Key (the caller's, or a new random one per
 * call) and sends the same key on every retry, so a push whose answer was lost applies once.
 */
import { intHeader, jsonOf, pushResultOf, type PushResult } from "./answers.js";
import type { Context } from "./context.js";
import { floatsBody } from "./floats.js";
import { pushGradient } from "./generated/sdk.gen.js";
import type { PushSummary, RoundReceipt } from "./generated/types.gen.js";
import { readBody } from "./progress.js";
import { idempotencyKeyOf, pushHeaders, uploadReporter, type PushCommonOptions, type PushHeaders } from "./push-options.js";
import { settle } from "./transport.js";

export interface PushOptions extends PushCommonOptions {
  /** Where a partial gradient starts. */
  offset?: number;
  /** An lbfgs shard: the loss at the point the gradient was computed at (X-Loss). */
  loss?: number;
  /** An lbfgs shard: the revision of that point (X-Point-Revision): `revision` of getPoint or of the last push. */
  pointRevision?: number;
}

/** A rounds-mode push: the new weights once its round has closed, else where it waits. */
export type RoundPushResult =
  | ({ closed: true; round: number } & PushResult)
  | { closed: false; round: number; receipt: RoundReceipt; summary: PushSummary };

export interface PushCalls {
  /**
   * Pushes a gradient; answers the version it produced and the updated weights of its range. On a
   * shard in rounds mode whose round stays open, the push is counted, not applied: the answer has
   * the round's `receipt` and no weights (`pushToRound` waits for the round's weights).
   */
  pushGradient(name: string, gradient: Float32Array, options?: PushOptions): Promise<PushResult>;
  /** Pushes a gradient with `Prefer: return=minimal`: the summary only, no weights travel back. */
  pushGradientSummary(name: string, gradient: Float32Array, options?: PushOptions): Promise<PushSummary>;
  /**
   * Rounds mode: contributes to the open round (X-Client-Id required: `clientId`). Answers the new
   * weights when the round closed (by this push, or while `waitSeconds` waited), else the receipt.
   */
  pushToRound(name: string, vector: Float32Array, options: PushOptions & { clientId: string }): Promise<RoundPushResult>;
}

export function pushCalls({ client, run }: Context): PushCalls {
  /** One push, retried: the answer's response and its whole body. */
  function push(name: string, gradient: Float32Array, options: PushOptions, minimal: boolean) {
    const key = idempotencyKeyOf(options);
    const body = floatsBody(gradient);
    const headers: PushHeaders = pushHeaders(options, key, minimal);
    if (options.loss !== undefined) headers["x-loss"] = String(options.loss);
    if (options.pointRevision !== undefined) headers["x-point-revision"] = options.pointRevision;
    const query = options.offset === undefined ? undefined : { offset: options.offset };
    const upload = uploadReporter(options, gradient.byteLength);
    return run(options, key !== undefined, async (signal) => {
      upload(0);
      const { response } = await settle(pushGradient({ client, path: { shard: name }, body, headers, query, parseAs: "stream", signal }));
      upload(gradient.byteLength);
      return { response, bytes: await readBody(response, options.onProgress) };
    });
  }

  return {
    async pushGradient(name, gradient, options = {}) {
      const { response, bytes } = await push(name, gradient, options, false);
      return pushResultOf(bytes, response);
    },

    async pushGradientSummary(name, gradient, options = {}) {
      return jsonOf<PushSummary>((await push(name, gradient, options, true)).bytes);
    },

    async pushToRound(name, vector, options) {
      const { response, bytes } = await push(name, vector, options, false);
      if (response.status === 202) {
        const summary = jsonOf<PushSummary>(bytes);
        return { closed: false, round: summary.round!.number, receipt: summary.round!, summary };
      }
      return { closed: true, round: intHeader(response, "x-round"), ...pushResultOf(bytes, response) };
    },
  };
}
