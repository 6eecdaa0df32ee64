/** The checks of a program: each printed, every failure counted; the exit code is 1 when one failed. */
export class Checks {
  private passed = 0;
  private failed = 0;

  constructor(private readonly program: string) {}

  that(description: string, ok: boolean, detail = ""): void {
    if (ok) {
      this.passed += 1;
      console.log(`ok - ${description}`);
    } else {
      this.failed += 1;
      console.error(`not ok - ${description}${detail ? `: ${detail}` : ""}`);
    }
  }

  equal<T>(description: string, actual: T, expected: T): void {
    this.that(description, Object.is(actual, expected), `got ${String(actual)}, expected ${String(expected)}`);
  }

  /** Equal bit for bit (float32 values compared by value, NaN and -0 included). */
  same(description: string, actual: ArrayLike<number>, expected: ArrayLike<number>): void {
    const mismatch = firstMismatch(actual, expected, (a, e) => Object.is(Math.fround(a), Math.fround(e)));
    this.that(description, mismatch === undefined, mismatch ?? "");
  }

  /** Within a relative tolerance of the float64 reference; prints the largest relative error. */
  close(description: string, actual: ArrayLike<number>, expected: ArrayLike<number>, relative = 1e-5): void {
    let largest = 0;
    const error = (a: number, e: number) => Math.abs(a - e) / Math.max(Math.abs(e), 1e-6);
    const mismatch = firstMismatch(actual, expected, (a, e) => {
      largest = Math.max(largest, error(a, e));
      return error(a, e) <= relative;
    });
    this.that(`${description} (max relative error ${largest.toExponential(2)}, tolerance ${relative})`, mismatch === undefined, mismatch ?? "");
  }

  /** Prints the summary and sets the exit code. */
  finish(): void {
    console.log(`${this.program}: ${this.passed} checks passed, ${this.failed} failed`);
    if (this.failed > 0) process.exitCode = 1;
  }

  /** A failure that ends the flow (a refused request, an answer without a field the rest needs). */
  abort(error: unknown): void {
    this.that("the flow ran to its end", false, error instanceof Error ? (error.stack ?? error.message) : JSON.stringify(error));
    this.finish();
  }
}

function firstMismatch(actual: ArrayLike<number>, expected: ArrayLike<number>, agree: (a: number, e: number) => boolean): string | undefined {
  if (actual.length !== expected.length) return `${actual.length} values, expected ${expected.length}`;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] ?? NaN;
    const e = expected[i] ?? NaN;
    if (!agree(a, e)) return `[${i}] is ${a}, expected ${e}`;
  }
  return undefined;
}
