/**
 * Every limit of the service, each with its reason (docs/limits.md states them; a test holds the
 * doc to this module). Most are production's platform limits asserted in our own code, because
 * local workerd does not enforce them: SQLite rows of at most 2 MB, 100 bound parameters per
 * statement, isolates of 128 MB shared by the objects in them, RPC arguments and returns of at most
 * 32 MiB, 10 GB of storage per Durable Object. No imports but the safetensors format's own limit.
 */
import { MAX_HEADER_BYTES } from "./formats/safetensors";

// ---- The platform (production's numbers) ----

/** SQLite row size in production: 2 MB. */
export const SQLITE_MAX_ROW_BYTES = 2_000_000;
/** Bound parameters one SQL statement may take in production. */
export const MAX_SQL_PARAMETERS = 100;
/** Worker ↔ Durable Object RPC: per argument and per return value. */
export const RPC_MAX_BYTES = 32 * 1024 * 1024;
/** Memory of one isolate, shared by the objects and requests in it. */
export const ISOLATE_MEMORY_BYTES = 128 * 1024 * 1024;
/** Production storage of one Durable Object (SQLite-backed). */
export const OBJECT_STORAGE_BYTES = 10_000_000_000;
/**
 * A WebSocket message a Durable Object receives in production: 32 MiB (received messages only;
 * https://developers.cloudflare.com/durable-objects/platform/limits/). Larger ones close the socket
 * with 1009. Local workerd enforces the same number.
 */
export const WEBSOCKET_RECEIVED_MESSAGE_BYTES = 32 * 1024 * 1024;
/** A WebSocket's attachment (`serializeAttachment`), serialized: 2,048 bytes (https://developers.cloudflare.com/durable-objects/api/websockets/). */
export const WEBSOCKET_ATTACHMENT_BYTES = 2_048;

// ---- Storage of a shard ----

/** Largest page: 1 MiB of float32, well under the 2 MB SQLite row limit. */
export const MAX_PAGE_FLOATS = 262_144;
/** Page rows per INSERT: each takes 3 bound parameters (slot, page, data), within the 100 of a statement. */
export const PAGE_ROWS_PER_STATEMENT = Math.floor(MAX_SQL_PARAMETERS / 3);
/** WebAssembly memory one shard may keep resident (weights, gradient, slots, averages): half an isolate, leaving room for a request's buffers. */
export const RESIDENT_BUDGET_BYTES = 64 * 1024 * 1024;
/**
 * WebAssembly memory all the shards resident in one isolate may keep together: the largest shard
 * and room beside it; the rest of the isolate's 128 MB is for the JavaScript heap and a request's
 * buffers (a 16 MiB body, its copy across RPC, the answer). Beyond it, the least recently used idle
 * shards are evicted to storage.
 */
export const ISOLATE_RESIDENT_BUDGET_BYTES = 80 * 1024 * 1024;
/** Longest shard whatever its rule: 16 MiB per vector, so that one vector travels in one RPC. */
export const MAX_SHARD_LENGTH = 4_194_304;
/** Named running averages per shard: each is one more resident vector. */
export const MAX_AVERAGES = 4;
/** Idempotency records kept per shard, at least: a commit's records are one row, dropped once all of them are older than the newest this many. */
export const LEDGER_CAPACITY = 10_000;
// ---- The gradient log (docs/gradient-log.md) ----

/**
 * The most steps a shard's gradient log may be configured to hold before its state pages are
 * written (materialized): a cold start replays at most this many steps through the kernels.
 */
export const MAX_LOG_STEPS = 1024;
/** The most gradient bytes the log may be configured to hold: a cold start reads at most this much, and the disk holds it beside the state. */
export const MAX_LOG_BYTES = 256 * 1024 * 1024;
/**
 * Shards shorter than this write their state pages at every step rather than logging gradients:
 * below it, the log's own row and the materializations cost as much as the pages they save
 * (bench/gradient-log.ts measured it; docs/gradient-log.md has the figures).
 */
export const LOG_MIN_LENGTH = 16_384;
/** How long after its first logged step a log waits for the object's alarm to materialize it. */
export const LOG_MATERIALIZE_AFTER_MS = 10_000;
/**
 * A shard with no change for this long frees the ring its logs are written to (docs/gradient-log.md):
 * at rest it keeps only its state, while a busy shard rewrites the same rows (one row written a
 * page, where a new row and its deletion are three).
 */
export const LOG_RING_IDLE_MS = 10_000;

/** Clients whose rate buckets a shard keeps in memory; beyond, the idlest is forgotten. */
export const MAX_RATE_CLIENTS = 10_000;

// ---- Rounds ----

/** Clients in one round of a rounds-mode shard (its quorum). */
export const MAX_ROUND_CLIENTS = 256;
/** Memory a round's close may hold: one page of every push at once (median and trimmed mean need all), a quarter of an isolate. */
export const ROUND_CLOSE_BUDGET_BYTES = 32 * 1024 * 1024;
/** Round deadlines: at least 100 ms (an alarm's granularity), at most 7 days after the round's first push. */
export const MIN_DEADLINE_MS = 100;
export const MAX_DEADLINE_MS = 7 * 24 * 3600 * 1000;
/** Longest a push may wait for its round to close (Prefer: wait), and a read for a new revision: a request must not hold its connection for long. */
export const MAX_WAIT_SECONDS = 30;

// ---- Checkpoints: 64 of at most the resident budget stay within 4 GiB of an object's 10 GB ----

/** Checkpoints kept per shard; an ensemble averages at most this many. */
export const MAX_CHECKPOINTS = 64;
/** Characters in a checkpoint's label (shard and model checkpoints): a label, not a document. */
export const MAX_CHECKPOINT_LABEL = 128;

// ---- Bodies (src/edge/body.ts reads every body within its kind's limit) ----

/** Largest binary body (a gradient or weights): one vector of the longest shard, under the 32 MiB RPC limit. */
export const MAX_BODY_BYTES = MAX_SHARD_LENGTH * 4;
/** An optimizer state file (docs/state.md): everything in it is resident in the shard, so the resident budget bounds it, with a header of at most 1 MiB. Streamed: it may exceed the 32 MiB RPC limit. */
export const MAX_STATE_BODY_BYTES = RESIDENT_BUDGET_BYTES + 1024 * 1024;
/** Largest JSON body (configuration, metrics, small gradients). */
export const MAX_JSON_BODY_BYTES = 2 * 1024 * 1024;
/** JSON number arrays, in requests and answers: JSON costs 30-60x the update itself. */
export const MAX_JSON_FLOATS = 65_536;
/** Nesting of a JSON body (arrays and objects), checked on its text before it is parsed: validators recurse per level, and the deepest valid body (a model's schedule nested MAX_SCHEDULE_DEPTH levels) needs about 20. */
export const MAX_JSON_DEPTH = 64;
/** Levels of a schedule (a `sequence` of sequences ...; the schedule itself is level 1): the resolver recurses per level, and PyTorch's SequentialLR is rarely nested at all. */
export const MAX_SCHEDULE_DEPTH = 8;

// ---- Models ----

/** Parameters of a model in all: 12 Mi floats, 48 MiB of float32, so that a push's per-shard buffers fit an isolate. */
export const MAX_MODEL_PARAMETERS = 12 * 1024 * 1024;
/** Tensors of a model: each is a row of the manifest and of every safetensors header. */
export const MAX_MODEL_TENSORS = 4096;
/** Shards of a model: a push fans out to every one of them in parallel. */
export const MAX_MODEL_SHARDS = 1024;
/** A model's safetensors body: its float32 data and a header of at most 1 MiB. */
export const MAX_MODEL_BODY_BYTES = MAX_MODEL_PARAMETERS * 4 + 1024 * 1024;
/** Floats per shard of a model unless its manifest says otherwise: one 1 MiB page per vector. */
export const DEFAULT_MODEL_SHARD_SIZE = 262_144;
/** A safetensors header in any file we parse (the format's own limit, as in the reference implementation). */
export const MAX_SAFETENSORS_HEADER_BYTES = MAX_HEADER_BYTES;
/** Overrides of a manifest: every tensor is matched against each until one fits, so the work is tensors × overrides × name length (at most 32 Mi characters read: about a quarter of a second). */
export const MAX_MODEL_OVERRIDES = 32;
/** Characters in an override's glob: its matcher keeps one bit per character (two 32-bit words), so a match costs a few operations per character of the name. */
export const MAX_GLOB_LENGTH = 64;
/** Wildcards (`*`, `?`) in one glob: more than any naming scheme needs (a backtracking matcher would cost name length to this power). */
export const MAX_GLOB_WILDCARDS = 16;

// ---- Names and headers ----

/** Characters in a shard's name (it names a Durable Object): also the longest listing prefix. */
export const MAX_SHARD_NAME_LENGTH = 128;
/** Characters in a model's name: its shards are `<model>:<index>`, which must stay shard names (index < 1024: 5 more). */
export const MAX_MODEL_NAME_LENGTH = 112;
/** Characters in a tensor's name (PyTorch state-dict keys). */
export const MAX_TENSOR_NAME_LENGTH = 256;
/** Characters in an average's name (a key of the shard's configuration). */
export const MAX_AVERAGE_NAME_LENGTH = 32;
/**
 * Characters in an Idempotency-Key, on every route that takes one. The keys a model derives for its
 * shards (`<key>#<index>`, up to 5 more) cross RPC, not HTTP: the shards' ledgers hold any length.
 */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;
/** Characters in a client id (X-Client-Id, a metric's client_id): it keys rate buckets and round pushes. */
export const MAX_CLIENT_ID_LENGTH = 128;

// ---- Live sessions (docs/live.md) ----

/** Floats in one chunk of a chunked push: 4 MiB, an eighth of production's received message. */
export const LIVE_CHUNK_FLOATS = 1_048_576;
/** Largest frame a session takes: one chunk, its header and the prefix (`src/formats/live-frames.ts`). */
export const LIVE_MAX_FRAME_BYTES = LIVE_CHUNK_FLOATS * 4 + 65_536;
/** Frames of one socket being handled at once (a push waits for its group's write); the excess is refused, never queued. */
export const LIVE_MAX_IN_FLIGHT = 64;
/** Bytes sent to a socket since its client last showed it reads (a frame, or a ping): beyond, the socket is closed (4008). Two vectors of the longest shard. */
export const LIVE_MAX_UNSENT_BYTES = 2 * MAX_SHARD_LENGTH * 4;
/** Memory a shard may hold in chunked pushes being assembled, all its sockets together: two vectors of the longest shard. */
export const LIVE_ASSEMBLY_BUDGET_BYTES = 2 * MAX_SHARD_LENGTH * 4;
/** Open sockets per shard: each is an attachment the object reads when the version moves. */
export const LIVE_MAX_SOCKETS = 4_096;
/** How long a ticket (`POST /v1/shards/{shard}/live/tickets`) may be redeemed after it was issued. */
export const LIVE_TICKET_MS = 60_000;
/** Redeemed tickets a shard remembers (each until it expires) to refuse a second use; beyond, new tickets wait. */
export const LIVE_TICKETS_KEPT = 10_000;

// ---- Authentication ----

/** Longest bearer token: refused before any work is done. */
export const MAX_TOKEN_LENGTH = 4096;
/** Shortest AUTH_SECRET: the secret is all that stands between a client and a forged token. */
export const MIN_SECRET_LENGTH = 32;
/** HMAC keys kept imported per isolate (one per secret: a rotation needs two). */
export const MAX_CACHED_KEYS = 8;

// Sweeps (docs/sweeps.md)
/** Parameters of a sweep's search space: each is sampled per trial, and TPE's cost grows with them. */
export const MAX_SWEEP_PARAMS = 32;
/** Values of one choice parameter. */
export const MAX_SWEEP_CHOICES = 64;
/** Trials of one sweep: TPE reads every finished trial per suggestion, and the master holds the table in memory. */
export const MAX_SWEEP_TRIALS = 2_000;
/** Trials leased at once. */
export const MAX_SWEEP_PARALLEL = 256;
/** Intermediate reports of one trial: the learning curve the pruners and plots read. */
export const MAX_SWEEP_REPORTS = 1_000;
/** Named metrics in one report or completion. */
export const MAX_SWEEP_METRICS = 32;
/** Coarse-to-fine stages. */
export const MAX_SWEEP_STAGES = 8;
/** A lease's length bounds, in seconds: a worker that stops reporting for longer loses its trial to the next worker. */
export const MIN_LEASE_SECONDS = 5;
export const MAX_LEASE_SECONDS = 86_400;
export const DEFAULT_LEASE_SECONDS = 600;
/** Members of one sweep ensemble answer (each a whole trial's weights). */
export const MAX_ENSEMBLE_MEMBERS = 16;
/** Replicates asked for at once. */
export const MAX_SWEEP_REPLICATES = 32;
