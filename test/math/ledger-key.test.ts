import { describe, expect, it } from "vitest";
import { formerFingerprint, ledgerEntriesOf } from "../../src/shard/pushes/ledger-key";
import { murmur3x86_128 } from "../../src/murmur3";
import type { PushRequest } from "../../src/shard/types";

const gradient = Float32Array.of(1, 2).buffer;
const req = (extra: Partial<PushRequest>): PushRequest => ({ gradient, respond: "summary", idempotencyKey: "k", ...extra });

describe("ledgerEntriesOf", () => {
  it("is empty without an Idempotency-Key", async () => {
    expect(await ledgerEntriesOf(req({ idempotencyKey: undefined }))).toEqual([]);
  });

  it("scopes the key to the subject, and looks up the unscoped record of the previous release second", async () => {
    const [scoped, legacy] = await ledgerEntriesOf(req({ subject: "alice", clientId: "alice", clientKey: "alice/alice", sampleCount: 3, baseVersion: 7, offset: 0 }));
    expect(scoped!.key).toBe("alice\nk");
    expect(scoped!.fingerprint).toMatch(/^[0-9a-f]{32}:0:7:3:alice\/alice$/);
    expect(legacy).toMatchObject({ key: "k", fingerprint: scoped!.fingerprint.replace(/:3:alice\/alice$/, "") });
    expect(formerFingerprint(legacy!)).toBe(formerFingerprint(scoped!)!.replace(/:3:alice\/alice$/, ""));
  });

  it("fingerprints the gradient's bytes by their MurmurHash3, and gives the SHA-256 form records stored before hold", async () => {
    const [entry] = await ledgerEntriesOf(req({}));
    expect(entry!.fingerprint).toBe(`${murmur3x86_128(new Uint8Array(gradient))}:-:-`);
    // python3 -c "import hashlib,struct; print(hashlib.sha256(struct.pack('<2f', 1, 2)).hexdigest())"
    expect(formerFingerprint(entry!)).toBe("b9c80b5adeca450753a16950c3cc655d271f7bef7a485bc83f112b72fef21d37:-:-");
  });

  it("fingerprints a view into a larger message as its own bytes", async () => {
    const message = new Uint8Array(16);
    message.set(new Uint8Array(gradient), 8);
    const [view] = await ledgerEntriesOf(req({ gradient: message.subarray(8) }));
    const [own] = await ledgerEntriesOf(req({}));
    expect(view!.fingerprint).toBe(own!.fingerprint);
    expect(formerFingerprint(view!)).toBe(formerFingerprint(own!));
  });

  it("keeps the previous format for a push from an edge that sends no subject", async () => {
    expect(await ledgerEntriesOf(req({ clientKey: "a/b" }))).toEqual([{ key: "k", fingerprint: expect.stringMatching(/^[0-9a-f]{32}:-:-$/), hashed: expect.anything() }]);
  });

  it("never gives two subjects, or a subject and an unscoped key, the same stored key (a header value holds no newline)", async () => {
    const pushes = [req({ subject: "a\nb", idempotencyKey: "c" }), req({ subject: "a", idempotencyKey: "b c" }), req({ subject: "a\n", idempotencyKey: "b" }), req({ subject: "a" }), req({ subject: "b" }), req({}), req({ idempotencyKey: "a k" })];
    const keys = await Promise.all(pushes.map(async (r) => (await ledgerEntriesOf(r))[0]!.key));
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("changes the fingerprint with any of gradient, offset, base version, sample count and client", async () => {
    const base = { subject: "s", clientKey: "s/c" };
    const variants = [req(base), req({ ...base, gradient: Float32Array.of(2, 1).buffer }), req({ ...base, offset: 0 }), req({ ...base, baseVersion: 0 }), req({ ...base, sampleCount: 1 }), req({ ...base, clientKey: "s/d" })];
    const prints = await Promise.all(variants.map(async (r) => (await ledgerEntriesOf(r))[0]!.fingerprint));
    expect(new Set(prints).size).toBe(prints.length);
  });
});
