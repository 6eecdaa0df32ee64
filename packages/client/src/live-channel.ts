/**
 * An async iterator fed by callbacks: what a live session's subscription and rounds hand out.
 * Values wait in order until read; `end` finishes the iteration after them, `fail` throws after
 * them. A reader's `return` (a `break` out of `for await`) calls `onReturn` once.
 */
export class Channel<T> implements AsyncIterableIterator<T> {
  private readonly queued: T[] = [];
  private readonly waiting: { resolve(result: IteratorResult<T>): void; reject(error: unknown): void }[] = [];
  private ended = false;
  private failure: { error: unknown } | undefined;

  constructor(private readonly onReturn: () => void = () => {}) {}

  get done(): boolean {
    return this.ended;
  }

  put(value: T): void {
    if (this.ended) return;
    const reader = this.waiting.shift();
    if (reader) reader.resolve({ value, done: false });
    else this.queued.push(value);
  }

  end(): void {
    this.finish(undefined);
  }

  fail(error: unknown): void {
    this.finish({ error });
  }

  next(): Promise<IteratorResult<T>> {
    if (this.queued.length > 0) return Promise.resolve({ value: this.queued.shift()!, done: false });
    if (this.failure) {
      const { error } = this.failure;
      this.failure = undefined;
      return Promise.reject(error);
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  return(): Promise<IteratorResult<T>> {
    if (!this.ended) {
      this.finish(undefined);
      this.onReturn();
    }
    this.queued.length = 0;
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private finish(failure: { error: unknown } | undefined): void {
    if (this.ended) return;
    this.ended = true;
    const readers = this.waiting.splice(0);
    for (const reader of readers) {
      if (failure) reader.reject(failure.error);
      else reader.resolve({ value: undefined, done: true });
    }
    // With no reader waiting, the next read sees the failure (after the queued values).
    if (failure && readers.length === 0) this.failure = failure;
  }
}
