import { describe, expect, it } from "vitest";
import { GroupCommit } from "../../src/shard/pushes/group-commit";

/** A GroupCommit whose "later" is run by hand, recording what each write got. */
function manual(fail = (_: readonly number[]) => false) {
  const queued: (() => void)[] = [];
  const writes: number[][] = [];
  const group = new GroupCommit<number>(
    (entries) => {
      if (fail(entries)) throw new Error(`write of ${entries.join(",")} failed`);
      writes.push([...entries]);
    },
    (run) => queued.push(run),
  );
  const flush = async () => {
    queued.shift()!();
    await Promise.resolve();
  };
  return { group, writes, flush, queued };
}

describe("GroupCommit", () => {
  it("writes what joined before the flush as one group, and what joins after as the next", async () => {
    const { group, writes, flush, queued } = manual();
    const first = [group.join(1), group.join(2), group.join(3)];
    expect(queued).toHaveLength(1);
    await flush();
    await Promise.all(first);
    const second = group.join(4);
    await flush();
    await second;
    expect(writes).toEqual([[1, 2, 3], [4]]);
  });

  it("resolves a joiner only once its group is written", async () => {
    const { group, flush } = manual();
    let done = false;
    void group.join(1).then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false);
    await flush();
    await Promise.resolve();
    expect(done).toBe(true);
  });

  it("fails every joiner of a group whose write fails, and opens a fresh group after it", async () => {
    const { group, writes, flush } = manual((entries) => entries.includes(2));
    const joined = [group.join(1), group.join(2)].map((p) => p.then(() => "ok", (e: Error) => e.message));
    await flush();
    expect(await Promise.all(joined)).toEqual(["write of 1,2 failed", "write of 1,2 failed"]);
    const next = group.join(3);
    await flush();
    await next;
    expect(writes).toEqual([[3]]);
  });

  it("finds entries of the open group, none once written", async () => {
    const { group, flush } = manual();
    void group.join(7);
    expect(group.pending((e) => e === 7)?.entry).toBe(7);
    expect(group.pending((e) => e === 8)).toBeUndefined();
    await flush();
    expect(group.pending((e) => e === 7)).toBeUndefined();
  });

  it("settles when no group is open, whether the last was written or failed", async () => {
    const { group, flush } = manual(() => true);
    await group.drained();
    void group.join(1).catch(() => undefined);
    let settled = false;
    const waiting = group.drained().then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    await flush();
    await waiting;
    expect(settled).toBe(true);
  });
});
