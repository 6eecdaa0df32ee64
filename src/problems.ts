/**
 * Every refusal the API makes, by code: its HTTP status, title, cause and fix (docs/errors.md is
 * generated from this table: npm run docs:errors). A refusal is raised by code
 * (`refuse`), anywhere: the shard answers it as a value over RPC (errors lose their fields crossing
 * it), the edge renders it as an RFC 9457 problem whose type is `/problems/<code>`
 * (src/edge/problem.ts). No platform imports: the shard, the models and the edge share this table.
 */
interface ProblemSpec {
  readonly status: number;
  readonly title: string;
  /** The problem type when it is not the code itself: one cause answered with another status. */
  readonly type?: string;
  /** What causes it (docs/errors.md). */
  readonly cause: string;
  /** How a client fixes it (docs/errors.md). */
  readonly fix: string;
}

export const PROBLEMS = {
  // The request
  "invalid-request": {
    status: 400,
    title: "Invalid Request",
    cause: "A path parameter, query parameter, header or JSON body does not match the operation's schema (the problem's `errors` lists each part), a JSON body nests too deep, or an If-Match is not an ETag of this API.",
    fix: "Correct the parts named in `detail` and `errors`, as openapi.yaml describes them.",
  },
  "malformed-json": {
    status: 400,
    title: "Malformed JSON",
    cause: "A body sent as application/json is not valid JSON, or a float body as JSON is not `{\"values\": [numbers]}`.",
    fix: "Send one valid JSON document of the shape the operation takes.",
  },
  "body-too-large": {
    status: 413,
    title: "Body Too Large",
    cause: "The body is larger than the limit of its kind (JSON, raw floats, a model's safetensors, a state file; `limit` says how many bytes).",
    fix: "Send less: a range of the vector (`offset`), a smaller file, or the parts shard by shard (docs/limits.md).",
  },
  "json-too-long": {
    status: 413,
    title: "JSON Too Long",
    cause: "A float body sent as JSON holds more numbers than JSON may carry (`limit`).",
    fix: "Send the floats as raw little-endian float32 (Content-Type: application/octet-stream).",
  },
  /** JSON floats asked for in an answer that would hold too many: the cause of json-too-long, as 406. */
  "json-too-long-answer": {
    status: 406,
    title: "JSON Too Long",
    type: "json-too-long",
    cause: "The answer was asked for as JSON (Accept: application/json) and would hold more floats than JSON may carry (`limit`).",
    fix: "Accept application/octet-stream, or ask for a range (`offset`, `length`).",
  },
  "unsupported-media-type": {
    status: 415,
    title: "Unsupported Media Type",
    cause: "The body is missing, or its Content-Type is missing or not one the operation takes (`accepted` lists them).",
    fix: "Send the body with one of the media types in `accepted`.",
  },
  "not-acceptable": {
    status: 406,
    title: "Not Acceptable",
    cause: "The Accept header takes neither representation the operation answers in (raw float32 or JSON).",
    fix: "Accept application/octet-stream or application/json (or send no Accept).",
  },
  // Authentication and scopes (src/edge/auth)
  unauthorized: {
    status: 401,
    title: "Unauthorized",
    cause: "No bearer token, another scheme, or a token that is malformed, badly signed, expired or not yet valid (`reason` says which; WWW-Authenticate carries the challenge).",
    fix: "Send `Authorization: Bearer <token>` with a valid token (docs/auth.md).",
  },
  forbidden: {
    status: 403,
    title: "Forbidden",
    cause: "The token lacks the scope the operation needs, its name prefix does not cover the name, or it names an X-Client-Id it may not speak for.",
    fix: "Use a token with the scope (`required_scope`) bound to a prefix that covers the name (docs/auth.md).",
  },
  "auth-not-configured": {
    status: 503,
    title: "Authentication Not Configured",
    cause: "The deployment has no AUTH_SECRET, or one too short to be safe.",
    fix: "The operator sets a long random secret: `wrangler secret put AUTH_SECRET`.",
  },
  "dev-secret-in-production": {
    status: 503,
    title: "Development Secret In Production",
    cause: "The deployment runs with the public local-development secret, and the request did not come from this machine.",
    fix: "The operator sets a real secret: `wrangler secret put AUTH_SECRET`.",
  },
  // Shards and their state
  "not-found": {
    status: 404,
    title: "Not Found",
    cause: "No shard, model, sweep, trial, checkpoint, average or route of that name.",
    fix: "Create it first (PUT), or correct the name; listings (GET /v1/shards, /v1/models, /v1/sweeps) show what exists.",
  },
  "method-not-allowed": {
    status: 405,
    title: "Method Not Allowed",
    cause: "The path names an operation of the API, but not with this method (`allow` and the Allow header list the methods it takes).",
    fix: "Use one of the methods in `allow` (openapi.yaml lists each path's operations).",
  },
  "invalid-config": {
    status: 400,
    title: "Invalid Configuration",
    cause: "A configuration's values do not hold together: a hyperparameter out of its range, a schedule or average that does not fit, a change that would add or remove optimizer state.",
    fix: "Correct the field named in `detail`; docs/rules.md gives each rule's hyperparameters and ranges.",
  },
  "config-conflict": {
    status: 409,
    title: "Configuration Conflict",
    cause: "It exists with another configuration (a shard, a model's manifest), or the shard was replaced while its state was being imported.",
    fix: "Send the same configuration, replace the shard (`replace=true`), delete the model first, or send the state again.",
  },
  "invalid-range": {
    status: 400,
    title: "Invalid Range",
    cause: "`offset` and `length` (or a body's length from `offset`) reach outside the shard's vector.",
    fix: "Keep the range within the shard's `length` (GET the shard).",
  },
  "wrong-length": {
    status: 422,
    title: "Wrong Length",
    cause: "A vector or tensor does not have the length the shard or model expects (or raw bytes are not a whole number of float32 values).",
    fix: "Send exactly as many values as the range, the shard or the tensor holds.",
  },
  "non-finite": {
    status: 422,
    title: "Non-Finite Values",
    cause: "A gradient, weights, a metric or a state tensor holds NaN or ±Infinity (and the shard's `non_finite` policy is `reject`).",
    fix: "Send finite values; a shard may instead skip or zero such gradients (`non_finite`).",
  },
  "stale-gradient": {
    status: 409,
    title: "Stale Gradient",
    cause: "X-Base-Version is further behind the shard's version than its staleness policy allows.",
    fix: "Read the current weights, compute the gradient again, and push it with the new X-Base-Version.",
  },
  "loss-required": {
    status: 422,
    title: "Loss Required",
    cause: "An lbfgs push came without X-Loss, the loss its line search needs.",
    fix: "Send the loss at the point the gradient was computed at in X-Loss.",
  },
  "point-revision-required": {
    status: 428,
    title: "Point Revision Required",
    cause: "An lbfgs push came without X-Point-Revision, which says at which point its gradient was computed.",
    fix: "Send X-Point-Revision: the revision of the point read (GET /point or the last push's answer).",
  },
  "point-moved": {
    status: 409,
    title: "Point Moved",
    cause: "An lbfgs push's gradient was computed at another point than the one the shard asks for now.",
    fix: "Read the point again (GET /point) and compute the gradient there.",
  },
  "version-mismatch": {
    status: 409,
    title: "Version Mismatch",
    cause: "X-Base-Version is ahead of the shard's version, or a model's shards disagree because an earlier push did not reach them all.",
    fix: "Send the version an answer gave; complete the model's last push (send it again with its Idempotency-Key).",
  },
  "precondition-failed": {
    status: 412,
    title: "Precondition Failed",
    cause: "If-Match names another revision than the current one, or is missing once training has started.",
    fix: "Read the current ETag and send it in If-Match.",
  },
  "idempotency-key-reused": {
    status: 422,
    title: "Idempotency Key Reused",
    cause: "An Idempotency-Key already recorded for a different request (another body, offset, label or client).",
    fix: "A retry sends the same request with the same key; a new request takes a new key.",
  },
  "too-large": {
    status: 413,
    title: "Too Large",
    cause: "The shard would not fit the resident memory budget with this rule, length and averages.",
    fix: "Split the parameters over more shards (a model's `shard_size`), or keep fewer averages; `detail` gives the longest length that fits.",
  },
  "rate-limited": {
    status: 429,
    title: "Too Many Requests",
    cause: "The client pushed faster than the shard's `rate_limit` allows (per token subject and X-Client-Id).",
    fix: "Wait the Retry-After seconds (`retry_after`), then push again.",
  },
  "client-id-required": {
    status: 400,
    title: "Client Id Required",
    cause: "In rounds mode a push named no client: every push names its client, which contributes once per round.",
    fix: "Send X-Client-Id with the client's id.",
  },
  "round-closed": {
    status: 409,
    title: "Round Closed",
    cause: "The push was computed for a round that has closed, and the shard's `late` policy is `reject`.",
    fix: "Read the new weights and compute the gradient for the open round.",
  },
  "already-contributed": {
    status: 409,
    title: "Already Contributed",
    cause: "This client already pushed in the open round (one contribution per client and round).",
    fix: "Wait for the round to close, then push for the next one.",
  },
  "round-open": {
    status: 409,
    title: "Round Open",
    cause: "A change of the weights (restore, state import) while the open round holds pushes computed from the current ones.",
    fix: "Wait until the round closes (by quorum or at its `deadline`), then send it again.",
  },
  "owned-by-model": {
    status: 409,
    title: "Owned By Model",
    cause: "A change through the shard API to a shard that a model or a sweep owns.",
    fix: "Change it through its model (/v1/models/{model}) or its sweep.",
  },
  "too-many-checkpoints": {
    status: 409,
    title: "Too Many Checkpoints",
    cause: "The shard keeps the most checkpoints it may (`limit`).",
    fix: "Delete a checkpoint first.",
  },
  "too-few-checkpoints": {
    status: 409,
    title: "Too Few Checkpoints",
    cause: "An ensemble asks for more checkpoints (`last`) than the shard or model has (`available`), or for none.",
    fix: "Ask for at most `available` checkpoints, or take more first.",
  },
  // Sweeps
  "lease-lost": {
    status: 409,
    title: "Lease Lost",
    cause: "The trial's lease ended (it expired and the trial went to another worker, or the trial is over).",
    fix: "Stop the trial and ask the sweep for a new one.",
  },
  "report-out-of-order": {
    status: 409,
    title: "Report Out Of Order",
    cause: "A report's step is not beyond the trial's last reported step (`last_step`).",
    fix: "Report increasing steps.",
  },
  "too-many-reports": {
    status: 409,
    title: "Too Many Reports",
    cause: "The trial has as many reports as a trial may.",
    fix: "Report less often (every epoch, not every step) and complete the trial.",
  },
  "sweep-conflict": {
    status: 409,
    title: "Sweep Conflict",
    cause: "A sweep of that name exists with another configuration.",
    fix: "Send the same configuration, delete the sweep first, or choose another name.",
  },
  // Models
  "invalid-manifest": {
    status: 400,
    title: "Invalid Manifest",
    cause: "A model's manifest does not hold together: tensor names, duplicates, the model's size, overrides' patterns, `length` in a configuration.",
    fix: "Correct the part named in `detail` (docs/models.md).",
  },
  "invalid-safetensors": {
    status: 422,
    title: "Invalid Safetensors",
    cause: "The body is not a valid safetensors file, is empty, or its tensors are not the model's (names, F32; `missing` and `unknown` list them; a tensor of another shape is wrong-length).",
    fix: "Send one safetensors file with every tensor of the model, F32, in its shape.",
  },
  // Optimizer state files (docs/state.md)
  "state-mismatch": {
    status: 422,
    title: "State Mismatch",
    cause: "A state file's tensors are not those the shard or model keeps (missing, unknown, of another dtype; a tensor of another shape is wrong-length).",
    fix: "Send a state file of a shard with the same rule and hyperparameters (as GET .../state answers it).",
  },
  "invalid-state": {
    status: 422,
    title: "Invalid State",
    cause: "A state file's step or scalars are out of their range, or tensors sharing a shard disagree on them.",
    fix: "Send the state as exported, or correct the value named in `detail`.",
  },
  "import-under-way": {
    status: 409,
    title: "Import Under Way",
    cause: "Another import of the shard's state is running.",
    fix: "Send this one once that import has finished.",
  },
  "partial-failure": {
    status: 502,
    title: "Partial Failure",
    cause: "Some shards of a model did not complete the operation (`shards` and `tensors` say which).",
    fix: "Send the same request again (with the same Idempotency-Key for pushes and imports): shards that completed it do not apply it twice.",
  },
  // Live sessions (docs/live.md)
  "upgrade-required": {
    status: 426,
    title: "Upgrade Required",
    cause: "A live session was asked for without `Upgrade: websocket`: it is a WebSocket, not an HTTP resource.",
    fix: "Open it as a WebSocket (`new WebSocket(url)`, or a GET with `Upgrade: websocket`), as docs/live.md describes.",
  },
  "invalid-frame": {
    status: 400,
    title: "Invalid Frame",
    cause: "A live session's message is not a frame of the protocol (its framing, its kind, or its header's fields; a text message other than `ping`), or a chunk came out of order.",
    fix: "Send binary frames as docs/live.md lays them out; a chunked push starts again at chunk 0.",
  },
  "live-backlog": {
    status: 429,
    title: "Live Session Backlog",
    cause: "A socket has as many frames in flight as its session allows (`max_in_flight` in the welcome), the shard assembles as many chunked pushes as its memory allows, or as many sockets are open as it keeps.",
    fix: "Wait for answers before sending more frames; resend the refused push (same key) once one has come.",
  },
  // The server
  internal: {
    status: 500,
    title: "Internal Server Error",
    cause: "The server failed to handle the request.",
    fix: "Retry later; if it persists, report it with the request.",
  },
  /** An HTTPException of Hono's own middleware: the edge answers its status and message; these are the fallbacks. */
  "http-error": {
    status: 500,
    title: "Error",
    cause: "An error of the HTTP framework that no refusal above describes (its status and message are answered).",
    fix: "Read `detail`; correct the request.",
  },
} as const satisfies Record<string, ProblemSpec>;

export type ProblemCode = keyof typeof PROBLEMS;

/** The problem of a code: its status, its title and its type (`/problems/<type>`). */
export function problemSpec(code: ProblemCode): Pick<Required<ProblemSpec>, "status" | "title" | "type"> {
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
