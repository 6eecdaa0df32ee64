import type { LbfgsHyper } from "./hyper";
import { dot } from "./reduce";
import { lbfgsVector, type LbfgsState } from "./state";

const fr = Math.fround;

/** `out = x + alpha · v` as `x.add_(v, alpha=alpha)`: alpha rounded to float32, two roundings. */
export function addScaled(out: Float32Array, x: Float32Array, alpha: number, v: Float32Array): void {
  const a = fr(alpha);
  for (let i = 0; i < out.length; i++) out[i] = fr(x[i]! + fr(a * v[i]!));
}

/**
 * One iteration's direction into `d`, as torch.optim.LBFGS computes it from the gradient `g`: on
 * the first iteration ever `d = -g`; later the pair `y = g - prev_flat_grad`, `s = d · t` joins the
 * history when `y·s > 1e-10` (the oldest pair leaves a full history; `ro = 1 / y·s`,
 * `H_diag = y·s / y·y`), then the two-loop recursion `d = -H g`.
 */
export function updateDirection(hyper: LbfgsHyper, state: LbfgsState, g: Float32Array): void {
  const s = state.scalars;
  const d = lbfgsVector(state, "d");
  const n = d.length;
  if (s.n_iter === 1) {
    for (let i = 0; i < n; i++) d[i] = -g[i]!;
    s.history_start = 0;
    s.history_count = 0;
    s.H_diag = 1;
    return;
  }
  const prev = lbfgsVector(state, "prev_flat_grad");
  const dirs = lbfgsVector(state, "old_dirs");
  const stps = lbfgsVector(state, "old_stps");
  const ro = lbfgsVector(state, "ro");
  const size = hyper.history_size;
  const t = fr(s.t);
  let ys = 0;
  let yy = 0;
  for (let i = 0; i < n; i++) {
    const y = fr(g[i]! - prev[i]!);
    ys = fr(ys + fr(y * fr(d[i]! * t)));
    yy = fr(yy + fr(y * y));
  }
  if (ys > fr(1e-10)) {
    if (s.history_count === size) {
      s.history_start = (s.history_start + 1) % size;
      s.history_count -= 1;
    }
    const k = (s.history_start + s.history_count) % size;
    for (let i = 0; i < n; i++) {
      dirs[k * n + i] = fr(g[i]! - prev[i]!);
      stps[k * n + i] = fr(d[i]! * t);
    }
    ro[k] = fr(1 / ys);
    state.written?.add(k);
    s.history_count += 1;
    s.H_diag = fr(ys / yy);
  }
  const count = s.history_count;
  const entry = (i: number) => (s.history_start + i) % size;
  const row = (v: Float32Array, k: number) => v.subarray(k * n, (k + 1) * n);
  const al = new Float64Array(count);
  for (let i = 0; i < n; i++) d[i] = -g[i]!;
  for (let i = count - 1; i >= 0; i--) {
    const k = entry(i);
    al[i] = fr(dot(row(stps, k), d) * ro[k]!);
    addScaled(d, d, -al[i]!, row(dirs, k));
  }
  const hDiag = fr(s.H_diag);
  for (let i = 0; i < n; i++) d[i] = fr(d[i]! * hDiag);
  for (let i = 0; i < count; i++) {
    const k = entry(i);
    const be = fr(dot(row(dirs, k), d) * ro[k]!);
    addScaled(d, d, fr(al[i]! - be), row(stps, k));
  }
}
