import { expect } from "vitest";
import { createShard, push } from "./api";
import { storedVector } from "./snapshot";

/**
 * A crash test's yardstick: `vectors` reads a shard's stored pages (weights, `slot:<name>`,
 * `avg:<name>`) as plain arrays; `replay` makes a shard of `config` that got the gradients of
 * `order` with no crash at all, each acknowledged.
 */
export function replayFixture(config: Record<string, unknown>, stored: readonly string[], gradient: (k: number) => number[]) {
  const vectors = (name: string): Promise<number[][]> => Promise.all(stored.map(async (s) => Array.from(await storedVector(name, s))));
  const replay = async (order: readonly number[]): Promise<string> => {
    const name = await createShard(config);
    for (const k of order) expect((await push(name, gradient(k))).status).toBe(200);
    return name;
  };
  return { vectors, replay };
}
