/** Index of the first NaN or ±Infinity in `vector`, or -1 when every element is finite. */
export function firstNonFinite(vector: Float32Array): number {
  for (let i = 0; i < vector.length; i++) {
    const x = vector[i]!;
    // x - x is 0 for every finite x and NaN for NaN and ±Infinity.
    if (x - x !== 0) return i;
  }
  return -1;
}

/** Replaces every NaN and ±Infinity with 0 in place; returns how many were replaced. */
export function zeroNonFinite(vector: Float32Array): number {
  let replaced = 0;
  for (let i = 0; i < vector.length; i++) {
    const x = vector[i]!;
    if (x - x !== 0) {
      vector[i] = 0;
      replaced++;
    }
  }
  return replaced;
}
