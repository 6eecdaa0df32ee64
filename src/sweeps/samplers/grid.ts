import { PURPOSE, stream } from "../random";
import { fromInternal, toInternal, type Assignment, type ParamSpec, type ParamValue, type Space } from "../space";
import type { Sampler } from "./sampler";

/**
 * A parameter's grid values: every choice, or `points` values evenly spaced on the internal scale
 * from low to high inclusive (one point: the centre), an int's rounded and deduplicated.
 */
export function gridValues(spec: ParamSpec, points: number): ParamValue[] {
  if (spec.kind === "choice") return [...spec.values];
  const low = toInternal(spec, spec.low);
  const high = toInternal(spec, spec.high);
  if (points === 1) return [fromInternal(spec, (low + high) / 2)];
  const values: number[] = [];
  for (let i = 0; i < points; i++) {
    // The ends exactly as declared (exp(log(x)) may be an ulp off).
    const value = i === 0 ? spec.low : i === points - 1 ? spec.high : fromInternal(spec, low + ((high - low) * i) / (points - 1));
    if (values.length === 0 || values[values.length - 1] !== value) values.push(value);
  }
  return values;
}

/** The number of combinations of the grid (may exceed what a sweep accepts: see plan.ts's MAX_GRID_SIZE). */
export function gridSize(space: Space, points: number): number {
  return space.reduce((size, { spec }) => size * gridValues(spec, points).length, 1);
}

/** The murmur3 finalizer: a well-mixed 32-bit hash. */
function hash(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

const ROUNDS = 4;

/**
 * A seeded permutation of 0..size-1 evaluated one index at a time, so no grid is materialised: a
 * balanced Feistel network is a bijection on [0, 4^h) for any round function, and cycle-walking
 * (re-encrypting until the result falls below size) restricts it to a bijection on [0, size).
 * 4^h < 4·size, so a walk takes fewer than four rounds on average. Sizes up to 2^32.
 */
export function permutation(size: number, seed: number): (index: number) => number {
  const uniform = stream(seed, PURPOSE.grid);
  const keys = Array.from({ length: ROUNDS }, () => Math.floor(uniform() * 2 ** 32));
  const half = Math.max(1, Math.ceil(Math.log2(Math.max(2, size)) / 2));
  const base = 2 ** half;
  const encrypt = (x: number): number => {
    let left = Math.floor(x / base);
    let right = x % base;
    for (const key of keys) [left, right] = [right, left ^ (hash(right ^ key) & (base - 1))];
    return left * base + right;
  };
  return (index) => {
    if (!Number.isInteger(index) || index < 0 || index >= size) throw new RangeError(`index ${index} is outside the grid of ${size}`);
    let x = index;
    do x = encrypt(x);
    while (x >= size);
    return x;
  };
}

/** The combination at `index` of the grid, the last parameter varying fastest. */
function combination(values: readonly ParamValue[][], space: Space, index: number): Assignment {
  const params: Assignment = {};
  for (let i = space.length - 1; i >= 0; i--) {
    const options = values[i]!;
    params[space[i]!.name] = options[index % options.length]!;
    index = Math.floor(index / options.length);
  }
  // In the space's declared order.
  return Object.fromEntries(space.map(({ name }) => [name, params[name]!]));
}

/**
 * Grid search: trial n gets combination permute(n) of the full product, so every combination is
 * tried once and any prefix of the trials is spread over the grid. Trials beyond the grid's size
 * are an error: the plan stops at the grid size.
 */
export function grid(points: number): Sampler {
  return ({ space, seed, number }) => {
    const values = space.map(({ spec }) => gridValues(spec, points));
    const size = values.reduce((n, v) => n * v.length, 1);
    return combination(values, space, permutation(size, seed)(number));
  };
}
