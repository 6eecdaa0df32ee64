/**
 * Every refusal the API makes, by code: its HTTP status and title. A refusal is raised by code
 * (`refuse`), anywhere: the shard answers it as a value over RPC (errors lose their fields crossing
 * it), the edge renders it as an RFC 9457 problem whose type is `/problems/<code>`
 * (src/edge/problem.ts). No platform imports: the shard, the models and the edge share this table.
 */
interface ProblemSpec {
  readonly status: number;
  readonly title: string;
  /** The problem type when it is not the code itself: one cause answered with another status. */
  readonly type?: string;
}

export const PROBLEMS = {
  // The request
  "invalid-request": { status: 400, title: "Invalid Request" },
  "malformed-json": { status: 400, title: "Malformed JSON" },
  "body-too-large": { status: 413, title: "Body Too Large" },
  "json-too-long": { status: 413, title: "JSON Too Long" },
  /** JSON floats asked for in an answer that would hold too many: the cause of json-too-long, as 406. */
  "json-too-long-answer": { status: 406, title: "JSON Too Long", type: "json-too-long" },
  "unsupported-media-type": { status: 415, title: "Unsupported Media Type" },
  "not-acceptable": { status: 406, title: "Not Acceptable" },
  // Authentication and scopes (src/edge/auth)
  unauthorized: { status: 401, title: "Unauthorized" },
  forbidden: { status: 403, title: "Forbidden" },
  "auth-not-configured": { status: 503, title: "Authentication Not Configured" },
  "dev-secret-in-production": { status: 503, title: "Development Secret In Production" },
  // Shards and their state
  "not-found": { status: 404, title: "Not Found" },
  "invalid-config": { status: 400, title: "Invalid Configuration" },
  "config-conflict": { status: 409, title: "Configuration Conflict" },
  "invalid-range": { status: 400, title: "Invalid Range" },
  "wrong-length": { status: 422, title: "Wrong Length" },
  "non-finite": { status: 422, title: "Non-Finite Values" },
  "stale-gradient": { status: 409, title: "Stale Gradient" },
  "loss-required": { status: 422, title: "Loss Required" },
  "point-revision-required": { status: 428, title: "Point Revision Required" },
  "point-moved": { status: 409, title: "Point Moved" },
  "version-mismatch": { status: 409, title: "Version Mismatch" },
  "precondition-failed": { status: 412, title: "Precondition Failed" },
  "idempotency-key-reused": { status: 422, title: "Idempotency Key Reused" },
  "too-large": { status: 413, title: "Too Large" },
  "rate-limited": { status: 429, title: "Too Many Requests" },
  "client-id-required": { status: 400, title: "Client Id Required" },
  "round-closed": { status: 409, title: "Round Closed" },
  "already-contributed": { status: 409, title: "Already Contributed" },
  "round-open": { status: 409, title: "Round Open" },
  "owned-by-model": { status: 409, title: "Owned By Model" },
  "too-many-checkpoints": { status: 409, title: "Too Many Checkpoints" },
  "too-few-checkpoints": { status: 409, title: "Too Few Checkpoints" },
  // Sweeps
  "lease-lost": { status: 409, title: "Lease Lost" },
  "report-out-of-order": { status: 409, title: "Report Out Of Order" },
  "too-many-reports": { status: 409, title: "Too Many Reports" },
  "sweep-conflict": { status: 409, title: "Sweep Conflict" },
  // Models
  "invalid-manifest": { status: 400, title: "Invalid Manifest" },
  "invalid-safetensors": { status: 422, title: "Invalid Safetensors" },
  // Optimizer state files (docs/state.md)
  "state-mismatch": { status: 422, title: "State Mismatch" },
  "invalid-state": { status: 422, title: "Invalid State" },
  "import-under-way": { status: 409, title: "Import Under Way" },
  "partial-failure": { status: 502, title: "Partial Failure" },
  // The server
  internal: { status: 500, title: "Internal Server Error" },
  /** An HTTPException of Hono's own middleware: the edge answers its status and message; these are the fallbacks. */
  "http-error": { status: 500, title: "Error" },
} as const satisfies Record<string, ProblemSpec>;

export type ProblemCode = keyof typeof PROBLEMS;

/** The problem of a code: its status, its title and its type (`/problems/<type>`). */
export function problemSpec(code: ProblemCode): Required<ProblemSpec> {
  const spec: ProblemSpec = PROBLEMS[code];
  return { status: spec.status, title: spec.title, type: spec.type ?? code };
}

/** Why a request was refused: a code of the table, what exactly was wrong, and fields for the client. */
export interface Refusal {
  readonly code: ProblemCode;
  readonly detail: string;
  readonly extensions?: Readonly<Record<string, unknown>>;
}

/** A refusal thrown; it is a Refusal itself (`detail` is the message). */
export class RefusalError extends Error implements Refusal {
  override readonly name = "RefusalError";
  constructor(
    readonly code: ProblemCode,
    detail: string,
    readonly extensions?: Readonly<Record<string, unknown>>,
  ) {
    super(detail);
  }

  get detail(): string {
    return this.message;
  }

  /** The refusal as a plain value, which crosses RPC whole. */
  toRefusal(): Refusal {
    return { code: this.code, detail: this.message, ...(this.extensions ? { extensions: this.extensions } : {}) };
  }
}

/** Refuses: throws the RefusalError of `code`. */
export function refuse(code: ProblemCode, detail: string, extensions?: Record<string, unknown>): never {
  throw new RefusalError(code, detail, extensions);
}
