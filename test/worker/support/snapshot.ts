import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";

/**
 * Every stored byte of a shard (pages, metadata row, ledger, history, metrics, checkpoints) as one string, read
 * inside its Durable Object: two equal snapshots mean nothing changed.
 */
export async function storedState(name: string): Promise<string> {
  const stub = env.SHARDS.get(env.SHARDS.idFromName(name));
  return runInDurableObject(stub, (_instance: unknown, state: DurableObjectState) => {
    const sql = state.storage.sql;
    const rows: string[] = [];
    for (const table of ["shard", "ledger", "config_history", "metrics", "round_pushes", "checkpoints"]) {
      for (const row of sql.exec(`SELECT * FROM ${table} ORDER BY 1`)) rows.push(`${table}:${JSON.stringify(row)}`);
    }
    for (const row of sql.exec<{ slot: string; page: number; data: ArrayBuffer }>("SELECT slot, page, data FROM pages ORDER BY slot, page")) {
      rows.push(`page:${row.slot}:${row.page}:${Array.from(new Uint8Array(row.data)).join(",")}`);
    }
    return rows.join("\n");
  });
}

/** The stored float32 vector of `slot` ("weights", "slot:exp_avg", "avg:ema"), read from its pages. */
export async function storedVector(name: string, slot: string): Promise<Float32Array> {
  const stub = env.SHARDS.get(env.SHARDS.idFromName(name));
  return runInDurableObject(stub, (_instance: unknown, state: DurableObjectState) => {
    const parts = state.storage.sql
      .exec<{ data: ArrayBuffer }>("SELECT data FROM pages WHERE slot = ? ORDER BY page", slot)
      .toArray()
      .map((r) => new Float32Array(r.data));
    const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  });
}

/** Every row of every table of a Durable Object's SQLite (blobs as their bytes), as one string: two equal dumps mean nothing was stored. */
export async function storedObject<T extends Rpc.DurableObjectBranded | undefined>(namespace: DurableObjectNamespace<T>, name: string): Promise<string> {
  return runInDurableObject(namespace.get(namespace.idFromName(name)), (_instance: unknown, state: DurableObjectState) => {
    const sql = state.storage.sql;
    const tables = sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' ORDER BY name").toArray();
    const cell = (_key: string, value: unknown) => (value instanceof ArrayBuffer ? Array.from(new Uint8Array(value)).join(",") : value);
    const rows = tables.flatMap(({ name: table }) => sql.exec(`SELECT * FROM "${table}"`).toArray().map((row) => `${table}:${JSON.stringify(row, cell)}`));
    return rows.sort().join("\n");
  });
}
