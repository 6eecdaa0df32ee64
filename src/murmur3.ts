import { HEX } from "./formats/hex";

/**
 * MurmurHash3_x86_128 (Austin Appleby's SMHasher, public domain): 128 bits in four 32-bit lanes,
 * over the bytes as little-endian words. The digest is h1..h4, each as little-endian bytes, in hex,
 * as the reference implementation writes them to its output. Not a cryptographic hash: the ledger
 * uses it to tell a retry from another request under the same key (ledger-key.ts), where the only
 * one a forged collision could fool is the caller who forged it.
 */

const C1 = 0x239b961b;
const C2 = 0xab0e9789;
const C3 = 0x38b34ae5;
const C4 = 0xa1e38b93;

const rotl = (x: number, r: number): number => (x << r) | (x >>> (32 - r));

/** murmur3's 32-bit finalizer: every bit of the input moves every bit of the output. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

const mix1 = (k: number): number => Math.imul(rotl(Math.imul(k, C1), 15), C2);
const mix2 = (k: number): number => Math.imul(rotl(Math.imul(k, C2), 16), C3);
const mix3 = (k: number): number => Math.imul(rotl(Math.imul(k, C3), 17), C4);
const mix4 = (k: number): number => Math.imul(rotl(Math.imul(k, C4), 18), C1);

/** The little-endian 32-bit word at byte `at`, read byte by byte (a buffer not 4-byte aligned). */
const wordAt = (bytes: Uint8Array, at: number): number => bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24);

/** A lane's 4 bytes, little-endian, in hex. */
const hex8 = (h: number): string => HEX[h & 0xff]! + HEX[(h >>> 8) & 0xff]! + HEX[(h >>> 16) & 0xff]! + HEX[h >>> 24]!;

/** The 128-bit digest of `bytes` with `seed`, as 32 hexadecimal digits. */
export function murmur3x86_128(bytes: Uint8Array, seed = 0): string {
  const length = bytes.length;
  const blocks = length >>> 4;
  // Aligned bytes are read as words in place (the hosts are little-endian, like the hash's words).
  const words = bytes.byteOffset % 4 === 0 ? new Uint32Array(bytes.buffer, bytes.byteOffset, blocks * 4) : undefined;
  let h1 = seed | 0;
  let h2 = seed | 0;
  let h3 = seed | 0;
  let h4 = seed | 0;
  for (let b = 0; b < blocks; b++) {
    const i = b * 4;
    h1 ^= mix1(words ? words[i]! : wordAt(bytes, i * 4));
    h1 = (Math.imul(rotl(h1, 19) + h2, 5) + 0x561ccd1b) | 0;
    h2 ^= mix2(words ? words[i + 1]! : wordAt(bytes, i * 4 + 4));
    h2 = (Math.imul(rotl(h2, 17) + h3, 5) + 0x0bcaa747) | 0;
    h3 ^= mix3(words ? words[i + 2]! : wordAt(bytes, i * 4 + 8));
    h3 = (Math.imul(rotl(h3, 15) + h4, 5) + 0x96cd1c35) | 0;
    h4 ^= mix4(words ? words[i + 3]! : wordAt(bytes, i * 4 + 12));
    h4 = (Math.imul(rotl(h4, 13) + h1, 5) + 0x32ac3b17) | 0;
  }
  const tail = blocks * 16;
  const rest = length & 15;
  let k1 = 0;
  let k2 = 0;
  let k3 = 0;
  let k4 = 0;
  for (let j = rest - 1; j >= 0; j--) {
    const byte = bytes[tail + j]!;
    if (j >= 12) k4 |= byte << ((j - 12) * 8);
    else if (j >= 8) k3 |= byte << ((j - 8) * 8);
    else if (j >= 4) k2 |= byte << ((j - 4) * 8);
    else k1 |= byte << (j * 8);
  }
  if (rest > 12) h4 ^= mix4(k4);
  if (rest > 8) h3 ^= mix3(k3);
  if (rest > 4) h2 ^= mix2(k2);
  if (rest > 0) h1 ^= mix1(k1);
  h1 ^= length;
  h2 ^= length;
  h3 ^= length;
  h4 ^= length;
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  h1 = fmix32(h1);
  h2 = fmix32(h2);
  h3 = fmix32(h3);
  h4 = fmix32(h4);
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  return hex8(h1) + hex8(h2) + hex8(h3) + hex8(h4);
}
