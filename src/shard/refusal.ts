/**
 * Why the shard refused a request. The object answers refusals as values (not thrown errors,
 * which lose their fields crossing RPC); the edge turns each code into an RFC 9457 problem.
 */
export type RefusalCode =
  | "not-found"
  | "invalid-config"
  | "config-conflict"
  | "invalid-range"
  | "wrong-length"
  | "non-finite"
  | "stale-gradient"
  | "version-mismatch"
  | "precondition-failed"
  | "idempotency-key-reused"
  | "too-large"
  | "rate-limited"
  | "client-id-required"
  | "round-closed"
  | "already-contributed"
  | "too-many-checkpoints"
  | "too-few-checkpoints"
  | "round-open"
  | "invalid-manifest"
  | "invalid-safetensors"
  | "partial-failure";

export interface Refusal {
  readonly code: RefusalCode;
  readonly detail: string;
  readonly extensions?: Readonly<Record<string, unknown>>;
}

export class RefusalError extends Error {
  override readonly name = "RefusalError";
  constructor(
    readonly code: RefusalCode,
    detail: string,
    readonly extensions?: Readonly<Record<string, unknown>>,
  ) {
    super(detail);
  }

  toRefusal(): Refusal {
    return { code: this.code, detail: this.message, ...(this.extensions ? { extensions: this.extensions } : {}) };
  }
}

export const refuse = (code: RefusalCode, detail: string, extensions?: Record<string, unknown>): never => {
  throw new RefusalError(code, detail, extensions);
};
