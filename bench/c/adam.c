/*
 * Adam in C, the comparison of bench/kernels.ts (npm run bench:kernels compiles it with gcc -O3).
 * The same f32 operations in the same order as the fast engine's kernel
 * (src/optim/fast/kernels/adam.ts: PyTorch 1.13's single-tensor Adam, maximize and weight decay off):
 *   u = sgn * g; m = b1 * m + c1 * u; v = b2 * v + (c2 * u) * u;
 *   d = sqrt(v) * scale + eps; p = keep * p + (step * m) / d
 * Usage: adam <n> <milliseconds per repetition> <repetitions>. For n parameters it times, as the fastest
 * of the repetitions (each a batch of calls; on a shared machine the least disturbed one), seconds per call:
 *   kernel       the update reading its gradient in place, from the input buffer;
 *   copy_kernel  memcpy of the input buffer into a gradient buffer of its own, then the update over it
 *                (what the engine does: the gradient copied into its memory, then the kernel);
 *   copy         the memcpy alone.
 * Prints one line of JSON. Every buffer is 64-byte aligned, as the engine's regions are.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void adam(size_t n, float *restrict p, const float *restrict g, float *restrict m, float *restrict v,
                 float sgn, float b1, float c1, float b2, float c2, float scale, float eps, float step, float keep) {
  for (size_t i = 0; i < n; i++) {
    float u = g[i] * sgn;
    float mi = b1 * m[i] + c1 * u;
    float vi = b2 * v[i] + (c2 * u) * u;
    m[i] = mi;
    v[i] = vi;
    float d = sqrtf(vi) * scale + eps;
    p[i] = p[i] * keep + (step * mi) / d;
  }
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static float *floats(size_t n, unsigned seed) {
  float *x = aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64);
  if (!x) exit(2);
  for (size_t i = 0; i < n; i++) {
    seed = seed * 1103515245u + 12345u;
    x[i] = ((float)seed / 4294967296.0f - 0.5f) * 2.0f;
  }
  return x;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static size_t n;
static float *p, *g_in, *g, *m, *v;
static int t = 0;

/* One Adam step at update t (lr 1e-3, betas 0.9 / 0.999, eps 1e-8), the scalars computed in double as the engine does. */
static void step(const float *grad) {
  t += 1;
  double bc1 = 1 - pow(0.9, t), bc2 = 1 - pow(0.999, t);
  adam(n, p, grad, m, v, 1.0f, 0.9f, 0.1f, 0.999f, 0.001f, (float)(1 / sqrt(bc2)), 1e-8f, (float)(-(1e-3 / bc1)), 1.0f);
}

static void kernel(void) { step(g_in); }
static void copy_kernel(void) { memcpy(g, g_in, n * sizeof(float)); step(g); }
static void copy(void) { memcpy(g, g_in, n * sizeof(float)); }

/* Fewest seconds per call over `reps` batches of calls of about `ms` each, after a warm-up. */
static double measure(void (*f)(void), double ms, int reps) {
  int calls = 0;
  double t0 = now();
  while (calls < 2 || now() - t0 < 2 * ms * 1e-3) { f(); calls++; }
  int batch = (int)(ms * 1e-3 / ((now() - t0) / calls)) + 1;
  double times[64];
  if (reps > 64) reps = 64;
  for (int r = 0; r < reps; r++) {
    double s = now();
    for (int i = 0; i < batch; i++) f();
    times[r] = (now() - s) / batch;
  }
  qsort(times, reps, sizeof(double), cmp);
  return times[0];
}

int main(int argc, char **argv) {
  if (argc != 4) { fprintf(stderr, "usage: adam <n> <ms per repetition> <repetitions>\n"); return 1; }
  n = strtoul(argv[1], 0, 10);
  double ms = atof(argv[2]);
  int reps = atoi(argv[3]);
  p = floats(n, 1); g_in = floats(n, 2); g = floats(n, 3); m = floats(n, 4); v = floats(n, 5);
  for (size_t i = 0; i < n; i++) { m[i] = 0; v[i] = 0; }
  double k = measure(kernel, ms, reps), ck = measure(copy_kernel, ms, reps), c = measure(copy, ms, reps);
  double check = 0;
  for (size_t i = 0; i < n; i += 4096) check += p[i];
  printf("{\"n\":%zu,\"kernel\":%.6e,\"copy_kernel\":%.6e,\"copy\":%.6e,\"check\":%.6e}\n", n, k, ck, c, check);
  return 0;
}
