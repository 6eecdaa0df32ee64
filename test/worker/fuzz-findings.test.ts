/**
 * What the HTTP fuzz (fuzz.test.ts) found, each pinned by a test of its own: refusals that came
 * after a change of state.
 */
import { describe, expect, it } from "vitest";
import { MAX_JSON_FLOATS } from "../../src/limits";
import { createShard, push } from "./support/api";
import { storedState } from "./support/snapshot";

describe("a push whose answer the client cannot take is refused before it is applied", () => {
  it.each([
    ["Accept: text/plain", 8, { accept: "text/plain" }, "/problems/not-acceptable"],
    ["Accept: application/json;q=0", 8, { accept: "application/json;q=0" }, "/problems/not-acceptable"],
    [`JSON weights of more than ${MAX_JSON_FLOATS} floats`, MAX_JSON_FLOATS + 1, { accept: "application/json" }, "/problems/json-too-long"],
  ])("%s: 406, and the shard is unchanged", async (_what, length, headers, type) => {
    const name = await createShard({ length, rule: "adam", hyper: { lr: 0.01 }, rate_limit: null });
    const before = await storedState(name);
    const res = await push(name, new Float32Array(length).fill(0.5), headers);
    expect(res.status).toBe(406);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(((await res.json()) as { type: string }).type).toBe(type);
    expect(await storedState(name)).toBe(before);
  });

  it("Prefer: return=minimal answers a summary, whatever Accept says", async () => {
    const name = await createShard({ length: 4, rule: "sgd", hyper: { lr: 0.1 }, rate_limit: null });
    const res = await push(name, [1, 1, 1, 1], { accept: "text/plain", prefer: "return=minimal" });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { version: number }).version).toBe(1);
  });
});
