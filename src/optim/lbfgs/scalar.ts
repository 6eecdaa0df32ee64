/**
 * A scalar as torch.optim.LBFGS holds it: a Python float (float64) or a 0-d float32 tensor. Which one
 * a value is decides its arithmetic, so the line search carries the kind with the value:
 * - both Python floats: float64 arithmetic;
 * - any tensor: float32 (the Python operand is rounded to float32 first, the result once more);
 * - `python / tensor` is `tensor.reciprocal() * python` (Tensor.__rtruediv__), two roundings;
 * - comparisons with a tensor compare in float32 (the Python operand rounded first).
 * Python's `min(a, b)` returns `a` unless `b < a`; `max(a, b)` returns `a` unless `b > a`: which
 * operand survives keeps its kind.
 */
export interface TorchScalar {
  readonly value: number;
  readonly tensor: boolean;
}

const fr = Math.fround;

export const py = (value: number): TorchScalar => ({ value, tensor: false });
export const f32 = (value: number): TorchScalar => ({ value: fr(value), tensor: true });

function binary(a: TorchScalar, b: TorchScalar, op: (x: number, y: number) => number): TorchScalar {
  return a.tensor || b.tensor ? f32(op(fr(a.value), fr(b.value))) : py(op(a.value, b.value));
}

export const add = (a: TorchScalar, b: TorchScalar) => binary(a, b, (x, y) => x + y);
export const sub = (a: TorchScalar, b: TorchScalar) => binary(a, b, (x, y) => x - y);
export const mul = (a: TorchScalar, b: TorchScalar) => binary(a, b, (x, y) => x * y);

export function div(a: TorchScalar, b: TorchScalar): TorchScalar {
  if (!a.tensor && b.tensor) return f32(fr(1 / b.value) * fr(a.value));
  return binary(a, b, (x, y) => x / y);
}

export const abs = (a: TorchScalar): TorchScalar => ({ value: Math.abs(a.value), tensor: a.tensor });
export const sqrt = (a: TorchScalar): TorchScalar => (a.tensor ? f32(Math.sqrt(a.value)) : py(Math.sqrt(a.value)));

function compare(a: TorchScalar, b: TorchScalar): [number, number] {
  return a.tensor || b.tensor ? [fr(a.value), fr(b.value)] : [a.value, b.value];
}

export const lt = (a: TorchScalar, b: TorchScalar) => { const [x, y] = compare(a, b); return x < y; };
export const le = (a: TorchScalar, b: TorchScalar) => { const [x, y] = compare(a, b); return x <= y; };
export const gt = (a: TorchScalar, b: TorchScalar) => lt(b, a);
export const ge = (a: TorchScalar, b: TorchScalar) => le(b, a);

export const pyMin = (a: TorchScalar, b: TorchScalar): TorchScalar => (lt(b, a) ? b : a);
export const pyMax = (a: TorchScalar, b: TorchScalar): TorchScalar => (gt(b, a) ? b : a);
