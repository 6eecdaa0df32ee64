import { z } from "./zod";

/**
 * What the initial draws of src/optim/init.ts can reach, so that a configuration whose weights
 * would not be finite float32 is refused before any shard is created (a weight of 1e39 is +Inf in
 * float32, and reads back as null in JSON).
 */

/** The largest finite float32: (2 − 2⁻²³) × 2¹²⁷. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * The largest |z| of a normal draw, rounded up. Box–Muller over seededUniform: u ∈ [0, 1 − 2⁻³²]
 * (a 32-bit integer over 2³²), so 1 − u ≥ 2⁻³² and the radius √(−2 ln(1 − u)) is at most
 * √(64 ln 2) = 6.66043…; z is the radius times a cosine or a sine.
 */
export const NORMAL_DRAW_BOUND = 6.6605;

/** The largest |mean + std × z| a normal init can draw (in float64, before it is stored as float32). */
export const normalReach = (mean: number, std: number): number => Math.abs(mean) + NORMAL_DRAW_BOUND * std;

/**
 * A bound of a uniform init. Its draws are low + (high − low) × u with u ∈ [0, 1): between the
 * bounds, so both bounds finite in float32 keep every draw finite (and high − low finite in float64).
 */
export const finiteFloat32 = () =>
  z
    .number()
    .min(-FLOAT32_MAX, { message: `must be a finite float32, at least -${FLOAT32_MAX}` })
    .max(FLOAT32_MAX, { message: `must be a finite float32, at most ${FLOAT32_MAX}` });
