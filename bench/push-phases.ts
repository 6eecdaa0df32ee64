/** The phases of a push in a CPU profile of the Worker (bench/cpu-profile.ts), for bench/profile-live.ts. */
import type { CpuProfileSummary } from "./cpu-profile";

/**
 * The phases of a push, by the functions (name and source file, as cpu-profile.ts names them) whose
 * self time goes to each; the first pattern that matches wins. What no pattern names is "the rest".
 */
const PHASES: [string, RegExp][] = [
  ["decode (frame, header's schema, body read, gradient copy)", /decodeFrame|decoded |pushHeaderOf|parsed |zod\/|arrayBuffer|readBody|readFloats|body\.ts|slice \(native/],
  ["auth (token, HMAC)", /auth\/|verify \(native|importKey|decodeBase64url/],
  ["ledger (hash of the body, key, key index, outcome record)", /digest \(native|ledger|key-index|outcome\.ts/],
  ["kernel (the update rule in wasm)", /wasm|engine\.ts|optim\//],
  ["commit (SQL writes, transaction, group commit)", /exec \(native|transactionSync|writeUpdated|saveCounters|store\/|group-commit/],
  ["attachments (hibernation API's per-socket data)", /serializeAttachment|deserializeAttachment|attachment |heard /],
  ["send (encode the answer, ws.send, Response)", /encodeFrame|encode \(native|send |outbox|Response \(native|floats\.ts|json \(native/],
  ["notices", /notices/],
  ["the session's handler (Live.message and Live.push: checks, the gradient's copy, the answer's header)", /live\/live\.ts|summary\.ts|ownership\.ts/],
  ["routing and middleware (Hono, the Worker's fetch, RPC)", /hono|middleware|routes\/|edge\/|fetch |client\.ts/],
];

export function phasesOf(profile: CpuProfileSummary): [string, number][] {
  const totals = new Map<string, number>();
  for (const f of profile.functions) {
    const phase = PHASES.find(([, pattern]) => pattern.test(f.name))?.[0] ?? "the rest (other JavaScript, V8 builtins)";
    totals.set(phase, (totals.get(phase) ?? 0) + f.ms);
  }
  totals.set("garbage collection", profile.byKind.gc);
  totals.set('native "(program)": the runtime outside JavaScript', profile.byKind.program);
  return [...totals].sort((a, b) => b[1] - a[1]);
}
