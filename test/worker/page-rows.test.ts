import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { writePageRows } from "../../src/shard/store/pages";
import { createShard } from "./support/api";
import { storedVector } from "./support/snapshot";

// Rows written are what the platform bills for storage writes (docs/cost.md): a new page is two (the
// row and its primary key's index entry); a page rewritten in place is one, where INSERT OR REPLACE
// made it two (measured by bench/cost.ts).
const page = (values: number[]) => new Uint8Array(Float32Array.from(values).buffer);

describe("state pages", () => {
  it("are rewritten as one row each and hold the last bytes written", async () => {
    const name = await createShard({ length: 8, rule: "sgd", hyper: { lr: 0.1 }, page_floats: 4 });
    const stub = env.SHARDS.get(env.SHARDS.idFromName(name));
    const written = await runInDurableObject(stub, (_instance: unknown, state: DurableObjectState) => {
      const rows = (v: number) => [0, 1, 2].map((p) => ({ slot: "test:rows", page: p, data: page([v, v, v, v]) }));
      return [writePageRows(state.storage.sql, rows(1)), writePageRows(state.storage.sql, rows(2))];
    });
    expect(written).toEqual([6, 3]);
    expect(Array.from(await storedVector(name, "test:rows"))).toEqual(Array(12).fill(2));
  });
});
