import { describe, expect, it } from "vitest";
import { murmur3x86_128 } from "../../src/murmur3";

const bytesOf = (hex: string) => Uint8Array.from(hex.match(/../g)!, (h) => parseInt(h, 16));

describe("murmur3x86_128", () => {
  it("passes SMHasher's verification test (0xB3ECE62A for MurmurHash3_x86_128)", () => {
    // SMHasher's VerificationTest: keys 0..i-1 hashed with seed 256 - i, the 256 digests hashed with seed 0, the first 4 bytes read little-endian.
    const key = Uint8Array.from({ length: 256 }, (_, i) => i);
    const digests = new Uint8Array(16 * 256);
    for (let i = 0; i < 256; i++) digests.set(bytesOf(murmur3x86_128(key.subarray(0, i), 256 - i)), i * 16);
    const final = bytesOf(murmur3x86_128(digests, 0));
    expect((final[0]! | (final[1]! << 8) | (final[2]! << 16) | (final[3]! << 24)) >>> 0).toBe(0xb3ece62a);
  });

  it("is the hash of the empty input with seed 0: zero", () => {
    expect(murmur3x86_128(new Uint8Array(0))).toBe("0".repeat(32));
  });

  it("reads bytes that are not 4-byte aligned as it reads aligned ones, at every tail length", () => {
    const buffer = Uint8Array.from({ length: 80 }, (_, i) => (i * 37 + 11) & 255);
    for (let n = 0; n <= 64; n++) expect(murmur3x86_128(buffer.subarray(1, 1 + n)), `${n} bytes`).toBe(murmur3x86_128(buffer.slice(1, 1 + n)));
  });
});
