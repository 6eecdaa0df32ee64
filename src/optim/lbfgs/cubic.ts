import { add, div, ge, le, mul, py, pyMax, pyMin, sqrt, sub, type TorchScalar } from "./scalar";

/**
 * torch's `_cubic_interpolate` (from minFunc's polyinterp): the minimiser of the cubic through
 * (x1, f1) and (x2, f2) with slopes g1 and g2, clamped to `bounds` (default: [x1, x2] sorted); the
 * bounds' midpoint when the cubic has no real minimiser. The losses are Python floats, the slopes
 * float32 tensors, the abscissae either (see scalar.ts).
 */
export function cubicInterpolate(
  x1: TorchScalar,
  f1: number,
  g1: TorchScalar,
  x2: TorchScalar,
  f2: number,
  g2: TorchScalar,
  bounds?: readonly [TorchScalar, TorchScalar],
): TorchScalar {
  const [lo, hi] = bounds ?? (le(x1, x2) ? [x1, x2] : [x2, x1]);
  const d1 = sub(add(g1, g2), div(mul(py(3), py(f1 - f2)), sub(x1, x2)));
  const d2Square = sub(mul(d1, d1), mul(g1, g2));
  if (!ge(d2Square, py(0))) return div(add(lo, hi), py(2));
  const d2 = sqrt(d2Square);
  const [near, far, gNear, gFar] = le(x1, x2) ? [x1, x2, g1, g2] : [x2, x1, g2, g1];
  const ratio = div(sub(add(gFar, d2), d1), add(sub(gFar, gNear), mul(py(2), d2)));
  const minPos = sub(far, mul(sub(far, near), ratio));
  return pyMin(pyMax(minPos, lo), hi);
}
