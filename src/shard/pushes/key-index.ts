import { KeyFilter } from "./key-filter";

/**
 * Where the idempotency ledger's newest keys are: Bloom filters answer a key never added (nearly
 * every push) without a statement, and a ring of the newest `capacity` keys' 32-bit hashes, each with
 * the `seq` of the ledger row holding it, says which rows to read for a key the filters may hold. A
 * hash only says where to look (the ledger compares the keys themselves in those rows), and the
 * index takes 12 bytes a key plus the filters' 2.4, whatever the keys' length.
 *
 * Two filters of `capacity` keys take turns (the newer fills; when full, it becomes the older and
 * the oldest is dropped), so that together they always hold at least the newest `capacity` keys
 * and the index never has to be made again from storage while its object is awake.
 */
export class KeyIndex {
  private newer: KeyFilter;
  private older: KeyFilter | undefined;
  private readonly hashes: Int32Array;
  private readonly seqs: Float64Array;
  /** Keys added since the index was made. */
  added = 0;

  constructor(readonly capacity: number) {
    this.newer = new KeyFilter(capacity);
    this.hashes = new Int32Array(capacity);
    this.seqs = new Float64Array(capacity);
  }

  add(key: string, seq: number): void {
    const at = this.added % this.capacity;
    this.hashes[at] = hashOf(key);
    this.seqs[at] = seq;
    if (this.newer.added === this.capacity) {
      this.older = this.newer;
      this.newer = new KeyFilter(this.capacity);
    }
    this.newer.add(key);
    this.added += 1;
  }

  /** The rows that may hold `key`, newest first: none when it was never added, or not among the newest `capacity` keys added. */
  rowsOf(key: string): readonly number[] {
    if (!this.newer.mightHold(key) && !this.older?.mightHold(key)) return NONE;
    const hash = hashOf(key);
    const rows: number[] = [];
    for (let n = this.added - 1; n >= Math.max(0, this.added - this.capacity); n--) {
      const at = n % this.capacity;
      if (this.hashes[at] === hash && rows[rows.length - 1] !== this.seqs[at]) rows.push(this.seqs[at]!);
    }
    return rows;
  }
}

const NONE: readonly number[] = [];

/** FNV-1a over the key's UTF-16 code units. */
function hashOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h;
}
