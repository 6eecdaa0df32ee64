/**
 * Group commit: updates applied in memory one after another, written to storage together. A
 * shard's object runs one request at a time, so when pushes queue up behind each other each would
 * pay a whole SQLite commit and rewrite the same pages. Instead every push joins the open group
 * and waits; the group is written once the object has no more queued work (a macrotask later), in
 * one transaction, and only then does any push of it get its answer. A failed write fails every
 * push of the group: none was acknowledged, so none is lost.
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
    const group = this.open ?? this.start();
    group.entries.push(entry);
    return group.durable;
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

  private start(): Group<Entry> {
    let settle!: (error?: unknown) => void;
    const durable = new Promise<void>((resolve, reject) => (settle = (error) => (error === undefined ? resolve() : reject(error))));
    // Nobody may be waiting yet when it fails: the joiners see the rejection through `durable`.
    durable.catch(() => undefined);
    const group: Group<Entry> = { entries: [], durable };
    this.open = group;
    this.later(() => {
      this.open = undefined;
      try {
        this.write(group.entries);
        settle();
      } catch (e) {
        settle(e ?? new Error("group commit failed"));
      }
    });
    return group;
  }
}

interface Group<Entry> {
  entries: Entry[];
  durable: Promise<void>;
}
