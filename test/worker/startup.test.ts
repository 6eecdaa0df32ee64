import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { Startup } from "../../src/durable/startup";

// The start of both object classes (their migrations): a failure is answered, then retried.
describe("Startup", () => {
  it("answers a failed start to the request waiting for it and tries again on the next", async () => {
    const stub = env.SHARDS.get(env.SHARDS.idFromName("startup-retry"));
    await runInDurableObject(stub, async (_instance, state) => {
      let attempts = 0;
      const startup = new Startup(state, async () => {
        attempts += 1;
        if (attempts === 1) throw new Error("migration failed");
      });
      await expect(startup.ready()).rejects.toThrow("migration failed");
      await startup.ready();
      await startup.ready();
      expect(attempts).toBe(2);
    });
  });

  it("runs the start once when it succeeds, however many wait for it", async () => {
    const stub = env.SHARDS.get(env.SHARDS.idFromName("startup-once"));
    await runInDurableObject(stub, async (_instance, state) => {
      let attempts = 0;
      const startup = new Startup(state, async () => {
        attempts += 1;
      });
      await Promise.all([startup.ready(), startup.ready(), startup.ready()]);
      expect(attempts).toBe(1);
    });
  });
});
