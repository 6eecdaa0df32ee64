/**
 * Bodies of the HTTP fuzz (fuzz.test.ts): valid ones per operation, mutated; JSON nested deep and
 * spread wide; wrong types, huge numbers and NaN strings; float32 bodies of wrong lengths and
 * non-finite values; safetensors files, valid and broken.
 */
import fc from "fast-check";
import { encodeSafetensors } from "../../../src/formats/safetensors";

/** `arbitrary` once in `n` draws, else undefined. */
export const rarely = <T>(arbitrary: fc.Arbitrary<T>, n: number): fc.Arbitrary<T | undefined> =>
  fc.oneof({ weight: n - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary });

/** A body as sent: its text or bytes, and the Content-Type (none when undefined). */
export interface Body {
  type: string | undefined;
  data: string | Uint8Array;
}

/** Values that break schemas: wrong types, numbers JSON allows and float32 does not, strings that look like numbers. */
const weird = fc.constantFrom<unknown>(
  null, true, "x", "", "NaN", "Infinity", "-Infinity", "1e999", 1e308, -1e308, 1e39, -1e39, 3.4028235e38, 5e-324, -0, 0, -1, 1.5, 2 ** 53 + 2,
  [], {}, [1, "a", null], { a: { b: { c: [] } } }, "a".repeat(2000), 4_194_305, "sgd", "sequence",
);

/** Schedules and inits an attacker sent (issue 12), and a few valid ones. */
const nestedSchedule = (levels: number) => {
  let s: unknown = { type: "constant" };
  for (let i = 1; i < levels; i++) s = { type: "sequence", schedules: [s], milestones: [] };
  return s;
};
const schedule = fc.oneof(
  fc.constantFrom<unknown>({ type: "step", step_size: 2 }, { type: "plateau" }, { type: "cosine", T_max: 10 }, { type: "nope" }),
  fc.constantFrom(2, 7, 8, 9, 850).map(nestedSchedule),
);
const init = fc.constantFrom<unknown>(
  { kind: "normal", mean: 1e39 }, { kind: "normal", std: 1e300 }, { kind: "uniform", low: -1e39, high: 1e39 }, { kind: "uniform", low: 1, high: 0 },
  { kind: "normal", seed: 3 }, { kind: "uniform", low: -3.4e38, high: 3.4e38 }, { kind: "zeros" },
);
const glob = fc.constantFrom("******b", "*.b", "w", "?*?*?*?*?*?*?*?*?*", "*".repeat(65), "", "[", "*a*a*a*a*a*a*b");

/** Valid bodies of each JSON operation, which the fuzz then mutates: they reach the deep paths. */
const templates: Record<string, fc.Arbitrary<Record<string, unknown>>> = {
  putShard: fc.record({
    length: fc.constantFrom(1, 8, 3),
    rule: fc.constantFrom("sgd", "adam", "rmsprop", "adagrad", "nope"),
    hyper: fc.constantFrom<unknown>({ lr: 0.01 }, { lr: -1 }, { momentum: 0.9 }, {}),
    schedule,
    init,
    rate_limit: fc.constantFrom<unknown>(null, { per_second: 1, burst: 1 }),
  }),
  patchShard: fc.oneof(
    fc.record({ hyper: fc.constantFrom<unknown>({ lr: 0.05 }, { lr: "fast" }, { nope: 1 }) }),
    fc.record({ schedule }),
    fc.record({ schedules: fc.dictionary(fc.constantFrom("momentum", "betas.0", "betas", "lr", "nesterov", "nope"), fc.oneof(schedule, fc.constant(null), weird), { maxKeys: 3 }) }),
  ),
  reportMetric: fc.record({ value: fc.constantFrom<unknown>(0.5, 1, Number.MAX_VALUE), client_id: fc.constantFrom("c1", "test") }, { requiredKeys: ["value"] }),
  createCheckpoint: fc.record({ label: fc.constantFrom("x", "a".repeat(200)) }, { requiredKeys: [] }),
  createModelCheckpoint: fc.record({ label: fc.constantFrom("m", "a".repeat(200)) }, { requiredKeys: [] }),
  putModel: fc.record({
    tensors: fc.constantFrom<unknown>([{ name: "w", shape: [2, 2] }, { name: "x.b", shape: [2] }], [{ name: "a".repeat(200), shape: [2] }], [{ name: "w", shape: [0] }]),
    shard_size: fc.constantFrom(4, 3, 0),
    config: fc.record({ rule: fc.constantFrom("sgd", "adam"), init, schedule }, { requiredKeys: ["rule"] }),
    overrides: fc.array(fc.record({ match: glob, config: fc.constant({ rule: "adam" }) }), { maxLength: 3 }),
  }),
  floats: fc.record({ values: fc.array(fc.constantFrom<unknown>(0.5, -1, 1e39, "NaN", null, 1e308), { maxLength: 12 }) }),
};

/** A value with one field (at any depth) replaced by a weird one. */
function mutate(value: Record<string, unknown>, path: number[], replacement: unknown): unknown {
  const keys = Object.keys(value);
  if (keys.length === 0 || path.length === 0) return replacement;
  const key = keys[path[0]! % keys.length]!;
  const inner = value[key];
  const next = inner && typeof inner === "object" && !Array.isArray(inner) && path.length > 1 ? mutate(inner as Record<string, unknown>, path.slice(1), replacement) : replacement;
  return { ...value, [key]: next };
}

/** JSON text nested `depth` levels of arrays or objects: within, at and past the edge's bound, and far past it. */
const deepJson = fc
  .tuple(fc.constantFrom(10, 63, 64, 65, 1000, 100_000), fc.boolean())
  .map(([depth, objects]) => (objects ? '{"a":'.repeat(depth) + "1" + "}".repeat(depth) : "[".repeat(depth) + "]".repeat(depth)));

/** Wide JSON: many elements or keys, within the 2 MiB body limit. */
const wideJson = fc.constantFrom(20_000, 65_537, 150_000).map((n) => (n === 150_000 ? JSON.stringify(Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, i]))) : JSON.stringify({ values: Array(n).fill(0.5) })));

const brokenJson = fc.constantFrom("{", "nul", "[1,]", "", "\u0000", '{"a":1}{"b":2}', '"\\ud800"', "NaN", "{'a':1}", '{"values":[1,2');

/** A JSON body: a template (maybe mutated), random JSON, deep, wide or broken text. */
export function jsonText(op: string): fc.Arbitrary<string> {
  const template = templates[op] ?? templates.floats!;
  const mutated = fc.tuple(template, fc.array(fc.nat(8), { maxLength: 3 }), weird).map(([v, path, w]) => JSON.stringify(mutate(v, path, w)));
  return fc.oneof(
    { weight: 4, arbitrary: template.map((v) => JSON.stringify(v)) },
    { weight: 4, arbitrary: mutated },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)) },
    { weight: 2, arbitrary: deepJson },
    { weight: 1, arbitrary: wideJson },
    { weight: 1, arbitrary: brokenJson },
  );
}

/** Float32 bodies: lengths around the fixtures' (8), NaN and infinities, byte counts that are no float count. */
const floats = (length: fc.Arbitrary<number>) =>
  fc
    .tuple(length, fc.constantFrom(0.5, -1, 1e-3), rarely(fc.tuple(fc.nat(15), fc.constantFrom(NaN, Infinity, -Infinity, 3.4e38, 1e38)), 3))
    .map(([n, fill, odd]) => {
      const values = new Float32Array(n).fill(fill);
      if (odd && odd[0] < n) values[odd[0]] = odd[1];
      return new Uint8Array(values.buffer);
    });

export const floatBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 4, arbitrary: floats(fc.constantFrom(8, 4, 1)) },
  { weight: 2, arbitrary: floats(fc.nat(16)) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 11 }).filter((b) => b.byteLength % 4 !== 0) },
);

/** Safetensors bodies for the fixture model (w: [2, 2], x.b: [2]): valid, NaN, wrong shapes or names, truncated, lying headers. */
export const safetensorsBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.tuple(fc.constantFrom(0.5, NaN, Infinity), fc.constantFrom([2, 2], [4], [3])).map(([v, shape]) =>
    encodeSafetensors({ w: { shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(v) }, "x.b": { shape: [2], data: Float32Array.from([v, 1]) } }),
  ),
  fc.constant(encodeSafetensors({ w: { shape: [2, 2], data: new Float32Array(4) } })),
  fc.constant(encodeSafetensors({ w: { shape: [2, 2], data: new Float32Array(4) }, "x.b": { shape: [2], data: new Float32Array(2) }, extra: { shape: [1], data: new Float32Array(1) } })),
  fc.nat(40).map((cut) => encodeSafetensors({ w: { shape: [2, 2], data: new Float32Array(4) }, "x.b": { shape: [2], data: new Float32Array(2) } }).slice(0, cut)),
  fc.constantFrom(2 ** 40, 10, 100_000_001).map((n) => {
    const head = new Uint8Array(16);
    new DataView(head.buffer).setBigUint64(0, BigInt(n), true);
    head.set(new TextEncoder().encode("[[[[[[[["), 8);
    return head;
  }),
  fc.constantFrom(10, 100_000).map((depth) => {
    const header = new TextEncoder().encode(`{"__metadata__":{"a":${"[".repeat(depth)}${"]".repeat(depth)}},"w":${"[".repeat(depth)}${"]".repeat(depth)}}`);
    const file = new Uint8Array(8 + header.byteLength);
    new DataView(file.buffer).setBigUint64(0, BigInt(header.byteLength), true);
    file.set(header, 8);
    return file;
  }),
  fc.uint8Array({ maxLength: 64 }),
);

const otherContentType = fc.constantFrom<string | undefined>(undefined, "text/plain", "application/json; charset=utf-8", "application/vnd.x+json", "application/octet-stream", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "APPLICATION/JSON", "");

/** Content-Types: the right one, but once in `n` another, one with a parameter, a look-alike or none. */
export const contentType = (right: string, n: number): fc.Arbitrary<string | undefined> => fc.oneof({ weight: n - 1, arbitrary: fc.constant(right) }, { weight: 1, arbitrary: otherContentType });
