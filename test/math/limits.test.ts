import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { getRule, type RuleName } from "../../src/optim";
import { maxLength, maxRoundClients, residentBytes } from "../../src/config";
import { assertPageSize, pagesOf } from "../../src/shard/store/page-layout";
import * as limits from "../../src/limits";
import {
  ISOLATE_MEMORY_BYTES,
  MAX_AVERAGES,
  MAX_BODY_BYTES,
  MAX_CHECKPOINT_LABEL,
  MAX_CHECKPOINTS,
  MAX_PAGE_FLOATS,
  MAX_SQL_PARAMETERS,
  OBJECT_STORAGE_BYTES,
  PAGE_ROWS_PER_STATEMENT,
  RESIDENT_BUDGET_BYTES,
  ROUND_CLOSE_BUDGET_BYTES,
  RPC_MAX_BYTES,
  SQLITE_MAX_ROW_BYTES,
  LIVE_CHUNK_FLOATS,
  LIVE_MAX_FRAME_BYTES,
  WEBSOCKET_RECEIVED_MESSAGE_BYTES,
} from "../../src/limits";
import { FRAME_PREFIX_BYTES, MAX_FRAME_HEADER_BYTES } from "../../src/formats/live-frames";

const doc = readFileSync(new URL("../../docs/limits.md", import.meta.url), "utf8");
const averages = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`a${i}`, { kind: "ema" as const, decay: 0.9, decay_schedule: null }]));

describe("docs/limits.md", () => {
  it.each([
    ["sgd", "sgd", {}],
    ["sgd (momentum)", "sgd", { momentum: 0.9 }],
    ["rmsprop (centered, momentum)", "rmsprop", { centered: true, momentum: 0.9 }],
    ["adadelta", "adadelta", {}],
    ["adam, adamw, adamax, nadam, radam, yogi", "adam", {}],
    ["adam (amsgrad)", "adam", { amsgrad: true }],
  ] as const)("states the longest %s shard the budget holds", (label, rule, hyper) => {
    const resolved = getRule(rule as RuleName).resolve(hyper);
    const lengths = [0, 1, 2].map((a) => maxLength({ rule: rule as RuleName, hyper: resolved, averages: averages(a) }));
    const row = doc.split("\n").find((l) => l.startsWith(`| ${label} |`));
    expect(row, label).toBeDefined();
    expect(row!.split("|").slice(3, 6).map((c) => Number(c.trim().replaceAll(",", "")))).toEqual(lengths);
    for (const [a, n] of lengths.entries()) {
      expect(residentBytes({ rule: rule as RuleName, hyper: resolved, length: n, averages: averages(a) })).toBeLessThanOrEqual(RESIDENT_BUDGET_BYTES);
    }
  });

  it.each([
    ["up to 32,768", 32_768, MAX_PAGE_FLOATS],
    ["65,536", 65_536, MAX_PAGE_FLOATS],
    ["262,144 or more", 4_194_304, MAX_PAGE_FLOATS],
    ["262,144 or more, `page_floats` 65,536", 4_194_304, 65_536],
  ] as const)("states the most clients per round for shards of %s", (label, length, pageFloats) => {
    const row = doc.split("\n").find((l) => l.startsWith(`| ${label} |`));
    expect(row, label).toBeDefined();
    const most = maxRoundClients(length, pageFloats);
    expect(Number(row!.split("|")[2]!.trim())).toBe(most);
    expect(most * Math.min(length, pageFloats) * 4).toBeLessThanOrEqual(ROUND_CLOSE_BUDGET_BYTES);
  });

  it("states the checkpoint limits, whose storage stays within an object's", () => {
    const cell = (label: string) => doc.split("\n").find((l) => l.startsWith(`| ${label} |`))?.split("|")[2]?.trim();
    expect(cell("checkpoints per shard")).toMatch(new RegExp(`^${MAX_CHECKPOINTS}, `));
    expect(cell("checkpoint label")).toBe(`${MAX_CHECKPOINT_LABEL} characters`);
    expect(cell("checkpoints in an ensemble")).toMatch(new RegExp(`^${MAX_CHECKPOINTS} `));
    // A checkpoint stores every resident vector but the gradient scratch: less than the budget.
    const hyper = getRule("adam").resolve({ amsgrad: true });
    const length = maxLength({ rule: "adam", hyper, averages: averages(MAX_AVERAGES) });
    const stored = 4 * length * (1 + getRule("adam").transform(hyper).slots.length + MAX_AVERAGES);
    expect(stored).toBeLessThan(residentBytes({ rule: "adam", hyper, length, averages: averages(MAX_AVERAGES) }));
    expect(MAX_CHECKPOINTS * RESIDENT_BUDGET_BYTES).toBeLessThanOrEqual(4 * 1024 ** 3);
    expect(4 * 1024 ** 3).toBeLessThan(OBJECT_STORAGE_BYTES);
  });

  it("keeps production limits: pages under the row limit, bodies under the RPC limit, the budget inside an isolate", () => {
    expect(MAX_PAGE_FLOATS * 4).toBeLessThanOrEqual(SQLITE_MAX_ROW_BYTES);
    expect(PAGE_ROWS_PER_STATEMENT * 3).toBeLessThanOrEqual(MAX_SQL_PARAMETERS);
    expect(MAX_BODY_BYTES).toBeLessThan(RPC_MAX_BYTES);
    expect(RESIDENT_BUDGET_BYTES + 2 * MAX_BODY_BYTES).toBeLessThan(ISOLATE_MEMORY_BYTES);
    // A live frame: a whole chunk with the longest header, under the WebSocket message production receives.
    expect(FRAME_PREFIX_BYTES + MAX_FRAME_HEADER_BYTES + LIVE_CHUNK_FLOATS * 4).toBeLessThanOrEqual(LIVE_MAX_FRAME_BYTES);
    expect(LIVE_MAX_FRAME_BYTES).toBeLessThan(WEBSOCKET_RECEIVED_MESSAGE_BYTES);
  });

  it("names every constant of src/limits.ts with its value, and no other", () => {
    const section = doc.slice(doc.indexOf("## Every limit, by name"));
    const rows = section.split("\n").flatMap((l) => {
      const m = /^\| `(\w+)` \| ([\d,]+) \|/.exec(l);
      return m ? [[m[1]!, Number(m[2]!.replaceAll(",", ""))] as const] : [];
    });
    expect(new Map(rows)).toEqual(new Map(Object.entries(limits)));
    expect(rows.length, "a constant named twice").toBe(Object.keys(limits).length);
  });
});

describe("pages", () => {
  it("refuses a page the production SQLite would refuse", () => {
    expect(() => assertPageSize(MAX_PAGE_FLOATS)).not.toThrow();
    expect(() => assertPageSize(MAX_PAGE_FLOATS + 1)).toThrow(/2000000-byte SQLite row limit/);
    expect(() => assertPageSize(0)).toThrow(RangeError);
  });

  it("names the pages a range touches", () => {
    expect(pagesOf(0, 10, 4)).toEqual([0, 2]);
    expect(pagesOf(3, 2, 4)).toEqual([0, 1]);
    expect(pagesOf(4, 4, 4)).toEqual([1, 1]);
  });
});
