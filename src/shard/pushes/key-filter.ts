/**
 * A Bloom filter of strings: `mightHold` is false only for a key never added. The idempotency
 * ledger's key index (key-index.ts) asks it before looking a key up in SQLite, since nearly every
 * push carries a new key and a statement costs far more than hashing.
 */
export class KeyFilter {
  private readonly bits: Uint32Array;
  private readonly size: number;
  private readonly hashes: number;
  /** Keys added since the filter was made. */
  added = 0;

  /** A filter that keeps a false-positive rate of about `rate` up to `capacity` keys. */
  constructor(readonly capacity: number, rate = 0.01) {
    this.size = Math.max(64, Math.ceil((-capacity * Math.log(rate)) / Math.LN2 ** 2));
    this.hashes = Math.max(1, Math.round((this.size / capacity) * Math.LN2));
    this.bits = new Uint32Array(Math.ceil(this.size / 32));
  }

  add(key: string): void {
    this.probe(key, (word, mask) => {
      this.bits[word]! |= mask;
      return true;
    });
    this.added += 1;
  }

  mightHold(key: string): boolean {
    return this.probe(key, (word, mask) => (this.bits[word]! & mask) !== 0);
  }

  /** Visits the key's bits (double hashing over two FNV-1a variants) while `visit` says go on. */
  private probe(key: string, visit: (word: number, mask: number) => boolean): boolean {
    let h1 = 0x811c9dc5;
    let h2 = 0x01000193;
    for (let i = 0; i < key.length; i++) {
      const c = key.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995) ^ (h2 >>> 15);
    }
    h2 |= 1;
    for (let i = 0; i < this.hashes; i++) {
      const bit = ((h1 + Math.imul(i, h2)) >>> 0) % this.size;
      if (!visit(bit >>> 5, 1 << (bit & 31))) return false;
    }
    return true;
  }
}
