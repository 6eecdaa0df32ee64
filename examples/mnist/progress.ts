/**
 * Progress of a run on the console: every few seconds one line with each running task's count and
 * its latest loss, so a long run never goes quiet (a round waiting for its quorum included).
 */
interface Task {
  done: number;
  total: number;
  unit: string;
  loss: number;
}

/** Reports a task's units done so far and the loss of the latest one. */
export type ProgressReport = (done: number, loss: number) => void;

export class Progress {
  private readonly tasks = new Map<string, Task>();
  private readonly started = performance.now();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly everyMs = 3_000,
    private readonly print: (line: string) => void = console.log,
  ) {}

  /** A running task of `total` units: answers its report function; `end` removes it. */
  task(name: string, total: number, unit: string): ProgressReport {
    this.tasks.set(name, { done: 0, total, unit, loss: NaN });
    this.timer ??= setInterval(() => this.line(), this.everyMs);
    return (done, loss) => Object.assign(this.tasks.get(name) ?? {}, { done, loss });
  }

  end(name: string): void {
    this.tasks.delete(name);
    if (this.tasks.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** The current line: seconds since the start, then each task. */
  line(): void {
    const seconds = ((performance.now() - this.started) / 1000).toFixed(0).padStart(4);
    const parts = [...this.tasks].map(([name, t]) => `${name} ${t.done}/${t.total} ${t.unit}${Number.isNaN(t.loss) ? "" : ` (loss ${t.loss.toFixed(3)})`}`);
    this.print(`  ${seconds} s  ${parts.join(", ")}`);
  }
}
