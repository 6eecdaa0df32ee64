/**
 * Group commit: updates applied in memory one after another, written to storage together. A
 * shard's object runs one request at a time, so when pushes queue up behind each other each would
 * pay a whole SQLite commit and rewrite the same pages. Instead every push joins the open group
 * and waits; the group is written once the object has no more queued work, in one transaction, and
 * only then does any push of it get its answer. A failed write fails every push of the group: none
 * was acknowledged, so none is lost.
 *
 * "No more queued work": the write waits a macrotask (a hop), and as long as pushes joined during
 * the last hop, one hop more (at most MAX_HOPS), since more are then usually queued behind them. A
 * lone push is written after one hop, as before; a busy object writes fewer, larger groups (32 live
 * sessions: 14–16 pushes a write against 10–12 after a single hop; docs/benchmarks.md).
 *
 * Anything that reads state must first wait for `drained()`, so that nobody sees an update before
 * it is durable.
 */
export class GroupCommit<Entry> {
  private open: Group<Entry> | undefined;

  constructor(
    private readonly write: (entries: readonly Entry[]) => void,
    private readonly later: (run: () => void) => void = (run) => void setTimeout(run, 0),
  ) {}

  /** Adds `entry` to the open group (opening one); resolves once the group is durable. */
  join(entry: Entry): Promise<void> {
    if (!this.open) return this.start(entry).durable;
    this.open.entries.push(entry);
    return this.open.durable;
  }

  /** An entry of the open group (not yet written) that satisfies `test`. */
  pending(test: (entry: Entry) => boolean): { entry: Entry; durable: Promise<void> } | undefined {
    const entry = this.open?.entries.find(test);
    return entry === undefined ? undefined : { entry, durable: this.open!.durable };
  }

  /** Resolves when no group is open (whether the last one was written or failed). */
  async drained(): Promise<void> {
    while (this.open) await this.open.durable.catch(() => undefined);
  }

  private start(first: Entry): Group<Entry> {
    let settle!: (error?: unknown) => void;
    const durable = new Promise<void>((resolve, reject) => (settle = (error) => (error === undefined ? resolve() : reject(error))));
    // Nobody may be waiting yet when it fails: the joiners see the rejection through `durable`.
    durable.catch(() => undefined);
    const group: Group<Entry> = { entries: [first], durable };
    this.open = group;
    let hops = 0;
    let seen = 1;
    const flush = () => {
      if (group.entries.length > seen && ++hops < MAX_HOPS) {
        seen = group.entries.length;
        return this.later(flush);
      }
      this.open = undefined;
      try {
        this.write(group.entries);
        settle();
      } catch (e) {
        settle(e ?? new Error("group commit failed"));
      }
    };
    this.later(flush);
    return group;
  }
}

/** The most hops a group waits for more pushes before it is written, however many keep joining. */
export const MAX_HOPS = 8;

interface Group<Entry> {
  entries: Entry[];
  durable: Promise<void>;
}
