/**
 * What a shard's object asks of SQLite, as the platform bills it: the rows every statement read
 * and wrote (`cursor.rowsRead` / `cursor.rowsWritten`, the counts Durable Objects bill as rows read
 * and rows written) and the database's size (`sql.databaseSize`, the stored bytes billed). The
 * bench Worker's shard object (./worker.ts) wraps its `ctx.storage.sql.exec` with `meterSql` before
 * any statement of its own runs, so every statement of the production code is counted, whatever
 * path a step takes (pages, a log, a materialization). Only the bench Worker does this.
 */
export interface SqlMeter {
  /** Rows read, rows written and statements since the object started. */
  totals(): { rowsRead: number; rowsWritten: number; statements: number };
  /** The statement, not counted (the bench's own questions). */
  unmetered: SqlStorage["exec"];
}

export function meterSql(sql: SqlStorage): SqlMeter {
  const exec = sql.exec.bind(sql);
  // The cursors of the running task: counted once it yields, since its code consumes them before any
  // await (the platform's rule), so that the meter holds a task's cursors, not every one since the
  // object started (which would leave the runtime more to collect with every statement the bench makes).
  let open: SqlStorageCursor<Record<string, SqlStorageValue>>[] = [];
  const done = { rowsRead: 0, rowsWritten: 0, statements: 0 };
  const fold = () => {
    for (const cursor of open) {
      done.rowsRead += cursor.rowsRead;
      done.rowsWritten += cursor.rowsWritten;
    }
    open = [];
  };
  // `sql` is one object per object (a lazy property of ctx.storage): the code that holds it calls this.
  sql.exec = ((query: string, ...bindings: unknown[]) => {
    const cursor = exec(query, ...bindings);
    if (open.push(cursor) === 1) queueMicrotask(fold);
    done.statements += 1;
    return cursor;
  }) as SqlStorage["exec"];
  return {
    unmetered: exec,
    totals() {
      fold();
      return { ...done };
    },
  };
}

/** A statement the runtime may refuse: answers its result or the error it gave. */
export function attempt(sql: SqlStorage, query: string): string {
  try {
    return `ok: ${JSON.stringify(sql.exec(query).toArray())}`;
  } catch (e) {
    return `refused: ${(e as Error).message}`;
  }
}
