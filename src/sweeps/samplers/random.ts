import { PURPOSE, stream } from "../random";
import { fromInternal, internalRange, type Assignment, type ParamSpec, type ParamValue, type Space } from "../space";
import type { Sampler } from "./sampler";

/** The value of a parameter at the uniform draw `u` in [0, 1): uniform on its internal scale, or one choice. */
export function valueAt(spec: ParamSpec, u: number): ParamValue {
  if (spec.kind === "choice") return spec.values[Math.min(spec.values.length - 1, Math.floor(u * spec.values.length))]!;
  const [low, high] = internalRange(spec);
  return fromInternal(spec, low + u * (high - low));
}

/** One draw per parameter, in the space's order, from the trial's own stream. */
export function sampleUniformly(space: Space, seed: number, number: number): Assignment {
  const uniform = stream(seed, number, PURPOSE.sample);
  const params: Assignment = {};
  for (const { name, spec } of space) params[name] = valueAt(spec, uniform());
  return params;
}

/** Random search: trial n's parameters depend only on the seed and n (not on any result). */
export const random: Sampler = ({ space, seed, number }) => sampleUniformly(space, seed, number);
