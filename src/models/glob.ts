import { MAX_GLOB_LENGTH, MAX_GLOB_WILDCARDS } from "../limits";

/**
 * Tensor-name patterns of per-tensor configurations: `*` matches any run of characters, `?` one
 * character, everything else itself ("*.bias", "encoder.*.weight").
 *
 * No regular expression: a backtracking engine takes name length to the power of the stars
 * (`******b` against 200 `a`s stalled the Worker). This is the DP over one row of the classic
 * wildcard match, the row kept as bits: bit k-1 says "the first k tokens of the pattern match what
 * was read so far". Each character of the name costs a few operations on two 32-bit words, so a
 * match takes time linear in the name, whatever the pattern (at most MAX_GLOB_LENGTH tokens).
 */

/** Why a pattern is refused, or undefined if it is a pattern the matcher takes. */
export function globProblem(pattern: string): string | undefined {
  if (pattern.length === 0) return "is empty";
  if (pattern.length > MAX_GLOB_LENGTH) return `has ${pattern.length} characters; at most ${MAX_GLOB_LENGTH}`;
  let wildcards = 0;
  for (let i = 0; i < pattern.length; i++) if (pattern[i] === "*" || pattern[i] === "?") wildcards++;
  if (wildcards > MAX_GLOB_WILDCARDS) return `has ${wildcards} wildcards; at most ${MAX_GLOB_WILDCARDS}`;
  return undefined;
}

/** A 64-bit row as two 32-bit words: bit k-1 of the pair is token k. */
type Row = [lo: number, hi: number];

/** The tokens each character matches (a literal of itself, or `?`), and the `*` tokens. */
interface Masks {
  /** Two words per ASCII character. */
  ascii: number[];
  other: Map<number, Row>;
  any: Row;
  star: Row;
}

/** Sets token k+1's bit (k from 0) in a row. */
function setBit(row: Row, k: number): void {
  if (k < 32) row[0] |= 1 << k;
  else row[1] |= 1 << (k - 32);
}

function masksOf(tokens: string): Masks {
  const any: Row = [0, 0];
  const star: Row = [0, 0];
  for (let k = 0; k < tokens.length; k++) {
    const row = tokens[k] === "*" ? star : tokens[k] === "?" ? any : undefined;
    if (row) setBit(row, k);
  }
  const ascii = Array.from({ length: 256 }, (_, i) => any[i & 1]!);
  const other = new Map<number, Row>();
  for (let k = 0; k < tokens.length; k++) {
    const ch = tokens.charCodeAt(k);
    if (tokens[k] === "*" || tokens[k] === "?") continue;
    if (ch < 128) ascii[2 * ch + (k >>> 5)]! |= 1 << (k & 31);
    else {
      const row: Row = other.get(ch) ?? [any[0], any[1]];
      setBit(row, k);
      other.set(ch, row);
    }
  }
  return { ascii, other, any, star };
}

/**
 * A matcher of `pattern` (at most MAX_GLOB_LENGTH characters: check it with globProblem first).
 * Time per name: linear in its length.
 */
export function globMatcher(pattern: string): (name: string) => boolean {
  let tokens = "";
  for (let i = 0; i < pattern.length; i++) if (pattern[i] !== "*" || pattern[i - 1] !== "*") tokens += pattern[i];
  const m = tokens.length;
  if (m > 64) throw new RangeError(`a glob of ${m} tokens; the matcher takes at most 64`);
  if (m === 0) return (name) => name === "";
  const { ascii, other, any, star } = masksOf(tokens);
  const [starLo, starHi] = star;
  const acceptWord = (m - 1) >>> 5;
  const acceptBit = 1 << ((m - 1) & 31);
  return (name) => {
    // Before anything is read only the empty prefix matches (bit "-1"), and a leading `*` with it.
    let lo = starLo & 1;
    let hi = 0;
    let empty = 1;
    for (let i = 0; i < name.length; i++) {
      const ch = name.charCodeAt(i);
      let maskLo = any[0];
      let maskHi = any[1];
      if (ch < 128) {
        maskLo = ascii[2 * ch]!;
        maskHi = ascii[2 * ch + 1]!;
      } else {
        [maskLo, maskHi] = other.get(ch) ?? any;
      }
      // A matched prefix takes one more token if it matches the character; a `*` takes any.
      let nextLo = (((lo << 1) | empty) & maskLo) | (lo & starLo);
      let nextHi = (((hi << 1) | (lo >>> 31)) & maskHi) | (hi & starHi);
      // A `*` right after a matched prefix matches the empty run (stars never follow stars).
      nextLo |= (nextLo << 1) & starLo;
      nextHi |= ((nextHi << 1) | (nextLo >>> 31)) & starHi;
      lo = nextLo;
      hi = nextHi;
      empty = 0;
      if ((lo | hi) === 0) return false;
    }
    return ((acceptWord === 0 ? lo : hi) & acceptBit) !== 0;
  };
}
