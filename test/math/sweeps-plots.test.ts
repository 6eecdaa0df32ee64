import { describe, expect, it } from "vitest";
import { DEFAULT_MAX_TRIALS, downsample, learningCurves, MAX_CURVE_POINTS, NO_COMPLETE_TRIALS, objectivePlot } from "../../src/sweeps/plots";
import { linearScale, logScale, niceTicks } from "../../src/sweeps/plots/scale";
import { escapeXml, num } from "../../src/sweeps/plots/svg";
import type { Param, Report, TrialRecord, TrialState } from "../../src/sweeps/space";

// ---- A tiny XML reader: well-formedness (balanced tags, quoted attributes, known references, no stray < or &) and a tree to query.

interface XmlElement {
  readonly name: string;
  readonly attrs: Record<string, string>;
  readonly children: (XmlElement | string)[];
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
const isNameChar = (c: string) => (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c === "-" || c === "_" || c === ":" || c === ".";
const isSpace = (c: string) => c === " " || c === "\t" || c === "\n" || c === "\r";

function decode(raw: string, where: number): string {
  let out = "";
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === "<") throw new Error(`raw < at ${where + i}`);
    if (c !== "&") {
      out += c;
      continue;
    }
    const end = raw.indexOf(";", i);
    if (end < 0) throw new Error(`unterminated reference at ${where + i}`);
    const name = raw.slice(i + 1, end);
    if (name.startsWith("#x")) out += String.fromCodePoint(parseInt(name.slice(2), 16));
    else if (name.startsWith("#")) out += String.fromCodePoint(parseInt(name.slice(1), 10));
    else if (name in ENTITIES) out += ENTITIES[name]!;
    else throw new Error(`unknown entity &${name}; at ${where + i}`);
    i = end;
  }
  return out;
}

function parseXml(xml: string): XmlElement {
  let i = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  const readName = () => {
    const start = i;
    while (i < xml.length && isNameChar(xml[i]!)) i++;
    if (i === start) throw new Error(`name expected at ${i}`);
    return xml.slice(start, i);
  };
  const skipSpace = () => {
    while (i < xml.length && isSpace(xml[i]!)) i++;
  };
  while (i < xml.length) {
    if (xml[i] !== "<") {
      const end = xml.indexOf("<", i);
      const raw = xml.slice(i, end < 0 ? xml.length : end);
      const content = decode(raw, i);
      if (stack.length === 0) {
        if ([...content].some((c) => !isSpace(c))) throw new Error(`text outside the root at ${i}`);
      } else stack[stack.length - 1]!.children.push(content);
      i += raw.length;
      continue;
    }
    if (xml.startsWith("</", i)) {
      i += 2;
      const name = readName();
      skipSpace();
      if (xml[i] !== ">") throw new Error(`> expected at ${i}`);
      i++;
      const open = stack.pop();
      if (!open || open.name !== name) throw new Error(`</${name}> closes ${open?.name ?? "nothing"}`);
      continue;
    }
    i++;
    const element: XmlElement = { name: readName(), attrs: {}, children: [] };
    if (root !== null && stack.length === 0) throw new Error("a second root element");
    for (;;) {
      const before = i;
      skipSpace();
      if (xml[i] === "/" && xml[i + 1] === ">") {
        i += 2;
        if (stack.length === 0) root = element;
        else stack[stack.length - 1]!.children.push(element);
        break;
      }
      if (xml[i] === ">") {
        i++;
        if (stack.length === 0) root = element;
        else stack[stack.length - 1]!.children.push(element);
        stack.push(element);
        break;
      }
      if (i === before) throw new Error(`space expected before an attribute at ${i}`);
      const name = readName();
      if (xml[i] !== "=" || xml[i + 1] !== '"') throw new Error(`="..." expected at ${i}`);
      const end = xml.indexOf('"', i + 2);
      if (end < 0) throw new Error("unterminated attribute");
      if (name in element.attrs) throw new Error(`duplicate attribute ${name}`);
      element.attrs[name] = decode(xml.slice(i + 2, end), i + 2);
      i = end + 1;
    }
  }
  if (stack.length > 0) throw new Error(`<${stack[stack.length - 1]!.name}> never closed`);
  if (root === null) throw new Error("no root element");
  return root;
}

function* walk(e: XmlElement): Generator<XmlElement> {
  yield e;
  for (const c of e.children) if (typeof c !== "string") yield* walk(c);
}
const all = (root: XmlElement, name: string) => [...walk(root)].filter((e) => e.name === name);
const textOf = (e: XmlElement): string => e.children.map((c) => (typeof c === "string" ? c : c.name === "title" ? "" : textOf(c))).join("");
const byClass = (root: XmlElement, cls: string) => [...walk(root)].filter((e) => e.attrs.class === cls);
/** The labels of an axis's tick texts (not its title). */
const tickLabels = (root: XmlElement, axis: "x-axis" | "y-axis") =>
  byClass(root, axis)[0]!.children.filter((c): c is XmlElement => typeof c !== "string" && c.name === "text" && c.attrs.class !== "axis-title").map(textOf);
const allText = (root: XmlElement) => all(root, "text").map(textOf);
/** The trials whose curves (polylines, or dots for a single report) a learning-curves plot draws. */
const drawnTrials = (root: XmlElement) =>
  new Set([...walk(root)].filter((e) => (e.name === "polyline" || e.name === "circle") && e.attrs["data-trial"] !== undefined).map((e) => Number(e.attrs["data-trial"])));

// ---- Trials.

/** A deterministic uniform stream (no Math.random in tests either: the outputs are compared as strings). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function trial(number: number, state: TrialState, params: TrialRecord["params"], value: number | null, reports: Report[] = []): TrialRecord {
  return { number, params, state, value, reports, stage: 0 };
}

const LR: Param = { name: "lr", spec: { kind: "log_uniform", low: 1e-6, high: 1e-1 } };
const OPT: Param = { name: "optimizer", spec: { kind: "choice", values: ["adam", "sgd", "adamw"] } };

/** `n` trials over lr with `steps` reports each: a loss curve whose floor depends on lr. */
function sweep(n: number, steps: number, seed = 1): TrialRecord[] {
  const u = lcg(seed);
  const out: TrialRecord[] = [];
  for (let k = 0; k < n; k++) {
    const lr = 10 ** (-6 + 5 * u());
    const floor = 0.05 + Math.abs(Math.log10(lr) + 3) * 0.1;
    const reports: Report[] = [];
    for (let s = 1; s <= steps; s++) reports.push({ step: s * 10, value: floor + 2 / Math.sqrt(s) + 0.02 * u() });
    const r = u();
    const state: TrialState = r < 0.6 ? "complete" : r < 0.85 ? "pruned" : r < 0.95 ? "running" : "failed";
    const kept = state === "complete" ? reports : reports.slice(0, Math.max(1, Math.floor(steps * u())));
    const opt = ["adam", "sgd", "adamw"][k % 3]!;
    out.push(trial(k, state, { lr, optimizer: opt }, state === "complete" ? kept[kept.length - 1]!.value : null, kept));
  }
  return out;
}

// ---- Tests.

describe("svg writer", () => {
  it("escapes the five XML specials and removes characters XML forbids", () => {
    expect(escapeXml(`<script>&"'`)).toBe("&lt;script&gt;&amp;&quot;&apos;");
    expect(escapeXml("a\u0001b\u0000c\ufffe")).toBe("a\ufffdb\ufffdc\ufffd");
    expect(escapeXml("tab\tnew\nline")).toBe("tab\tnew\nline");
    expect(escapeXml("😀\ud800x")).toBe("😀\ufffdx");
  });

  it("rounds numbers to 2 decimals without -0", () => {
    expect(num(1.23456)).toBe("1.23");
    expect(num(-0.001)).toBe("0");
    expect(num(100)).toBe("100");
    expect(num(2.5)).toBe("2.5");
  });
});

describe("scales", () => {
  it("nice linear ticks use 1-2-5 steps and cover the data", () => {
    expect(niceTicks(0, 1).values).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0.13, 0.87).values).toEqual([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);
    expect(niceTicks(3, 97).values).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(-1.2, 3.4).values).toEqual([-2, -1, 0, 1, 2, 3, 4]);
    const s = linearScale([0.1, 0.3], [0, 100]);
    expect(s.ticks.map((t) => t.label)).toEqual(["0.10", "0.15", "0.20", "0.25", "0.30"]); // one number of decimals per axis
    expect(s.map(0.1)).toBe(0);
    expect(s.map(0.3)).toBeCloseTo(100, 9);
  });

  it("log scales are widened to decades with a tick at each", () => {
    const s = logScale([3e-6, 0.02], [0, 500]);
    expect(s.domain).toEqual([1e-6, 0.1]);
    expect(s.ticks.filter((t) => !t.minor).map((t) => t.label)).toEqual(["1e-6", "1e-5", "1e-4", "1e-3", "1e-2", "1e-1"]);
    expect(s.map(1e-6)).toBe(0);
    expect(s.map(1e-1)).toBeCloseTo(500, 9);
    expect(s.map(1e-3)).toBeCloseTo(300, 9);
    // Within 0.01–1000 the labels are plain, and a narrow span gets minor ticks.
    const narrow = logScale([0.2, 5], [0, 100]);
    expect(narrow.ticks.filter((t) => !t.minor).map((t) => t.label)).toEqual(["0.1", "1", "10"]);
    expect(narrow.ticks.filter((t) => t.minor)).toHaveLength(16);
    // Many decades are thinned to at most 8 labels, still at decades.
    const wide = logScale([1e-20, 1e5], [0, 100]).ticks.map((t) => t.value);
    expect(wide.length).toBeLessThanOrEqual(8);
    for (const v of wide) expect(Number.isInteger(Math.log10(v))).toBe(true);
  });
});

describe("objectivePlot", () => {
  const options = { direction: "minimize" as const, objective: "val_loss" };

  it("is well-formed XML with a log x axis ticked at decades for a log parameter", () => {
    const trials = sweep(60, 20);
    const svg = objectivePlot(LR, trials, options);
    const root = parseXml(svg);
    expect(root.name).toBe("svg");
    expect(root.attrs.xmlns).toBe("http://www.w3.org/2000/svg");
    expect(tickLabels(root, "x-axis")).toEqual(["1e-6", "1e-5", "1e-4", "1e-3", "1e-2", "1e-1"]);
    expect(allText(root)).toContain("lr (log scale)");
    expect(allText(root)).toContain("val_loss");
    // The x ticks are evenly spaced (log scale).
    const xs = all(byClass(root, "x-axis")[0]!, "text").filter((t) => t.attrs.class !== "axis-title").map((t) => Number(t.attrs.x));
    const gaps = xs.slice(1).map((x, i) => x - xs[i]!);
    for (const g of gaps) expect(Math.abs(g - gaps[0]!)).toBeLessThanOrEqual(0.02);
    // Complete trials are circles, pruned ones triangles, and the legend says what the triangles mean.
    const complete = trials.filter((t) => t.state === "complete").length;
    const pruned = trials.filter((t) => t.state === "pruned").length;
    expect(all(byClass(root, "complete")[0]!, "circle")).toHaveLength(complete);
    expect(all(byClass(root, "pruned")[0]!, "path")).toHaveLength(pruned);
    expect(allText(root)).toContain(`pruned, at last reported value (${pruned})`);
  });

  it("uses nice linear ticks for a uniform parameter and a log y axis for values spanning decades", () => {
    const p: Param = { name: "dropout", spec: { kind: "uniform", low: 0, high: 0.5 } };
    const trials = [0.05, 0.1, 0.2, 0.3, 0.45].map((d, k) => trial(k, "complete", { dropout: d }, 10 ** (-k))); // 1 ... 1e-4
    const root = parseXml(objectivePlot(p, trials, options));
    expect(tickLabels(root, "x-axis")).toEqual(["0", "0.1", "0.2", "0.3", "0.4", "0.5"]);
    expect(allText(root)).toContain("val_loss (log scale)");
    expect(tickLabels(root, "y-axis")).toEqual(["1e-4", "1e-3", "1e-2", "1e-1", "1"]);
    // Within two decades the y axis stays linear.
    const flat = [0.5, 0.6, 0.7].map((v, k) => trial(k, "complete", { dropout: 0.1 * k }, v));
    expect(allText(parseXml(objectivePlot(p, flat, options)))).not.toContain("val_loss (log scale)");
  });

  it("highlights the best trial for either direction", () => {
    const trials = [
      trial(0, "complete", { lr: 1e-3 }, 0.5),
      trial(1, "complete", { lr: 1e-2 }, 0.2),
      trial(2, "complete", { lr: 1e-4 }, 0.9),
      trial(3, "pruned", { lr: 1e-5 }, null, [{ step: 1, value: 0.01 }]), // better, but pruned: not the best
    ];
    for (const [direction, bestNumber] of [["minimize", 1], ["maximize", 2]] as const) {
      const root = parseXml(objectivePlot(LR, trials, { direction, objective: "acc" }));
      const best = byClass(root, "best");
      expect(best).toHaveLength(1);
      expect(best[0]!.attrs["data-trial"]).toBe(String(bestNumber));
      expect(textOf(best[0]!)).toBe(`best #${bestNumber}`);
      // The ring sits on the best trial's own marker.
      const ring = all(best[0]!, "circle")[0]!;
      const marker = all(byClass(root, "complete")[0]!, "circle").find((c) => c.attrs["data-trial"] === String(bestNumber))!;
      expect([ring.attrs.cx, ring.attrs.cy]).toEqual([marker.attrs.cx, marker.attrs.cy]);
    }
  });

  it("puts choice values in columns, stacking equal values side by side without jitter", () => {
    const trials = [0, 1, 2, 3, 4, 5].map((k) => trial(k, "complete", { optimizer: k < 4 ? "adam" : "sgd" }, 0.3));
    const root = parseXml(objectivePlot(OPT, trials, options));
    expect(tickLabels(root, "x-axis")).toEqual(["adam", "sgd", "adamw"]);
    const circles = all(byClass(root, "complete")[0]!, "circle");
    const adam = circles.filter((c) => Number(c.attrs["data-trial"]) < 4).map((c) => Number(c.attrs.cx));
    expect(new Set(adam).size).toBe(4); // dodged, not drawn on top of one another
    expect(objectivePlot(OPT, trials, options)).toBe(objectivePlot(OPT, [...trials].reverse(), options));
  });

  it("escapes hostile parameter names, choice values and objective names", () => {
    const hostile = `<script>&"'`;
    const p: Param = { name: hostile, spec: { kind: "choice", values: [`</text><script>alert(1)</script>`, "a&b", true, 3] } };
    const trials = [
      trial(0, "complete", { [hostile]: `</text><script>alert(1)</script>` }, 1),
      trial(1, "complete", { [hostile]: "a&b" }, 2),
      trial(2, "pruned", { [hostile]: true }, null, [{ step: 1, value: 3 }]),
      trial(3, "complete", { [hostile]: "unlisted \u0001 value" }, 0.5),
    ];
    const svg = objectivePlot(p, trials, { direction: "minimize", objective: hostile });
    expect(svg).not.toContain("<script");
    expect(svg).not.toContain("\u0001");
    const root = parseXml(svg);
    const texts = allText(root);
    expect(texts).toContain(hostile); // the x title (the y title is the objective: also hostile)
    expect(all(root, "title").map(textOf)[0]).toBe(`${hostile} by ${hostile} (minimize)`);
    expect(root.attrs["aria-label"]).toBe(`${hostile} by ${hostile} (minimize)`);
    const labels = byClass(root, "x-axis")[0]!.children.filter((c): c is XmlElement => typeof c !== "string" && c.name === "text" && c.attrs.class !== "axis-title");
    // Long labels are cut, with the full value as their tooltip.
    expect(labels.map((l) => all(l, "title")[0] ? textOf(all(l, "title")[0]!) : textOf(l))).toEqual([
      `</text><script>alert(1)</script>`,
      "a&b",
      "true",
      "3",
      "unlisted \ufffd value",
    ]);
    const learn = learningCurves(trials, { direction: "minimize", objective: hostile });
    expect(learn).not.toContain("<script");
    expect(allText(parseXml(learn))).toContain(hostile);
  });

  it("draws a valid empty plot without complete trials, and skips non-finite values", () => {
    for (const trials of [[], [trial(0, "running", { lr: 1e-3 }, null, [{ step: 1, value: 1 }]), trial(1, "pruned", { lr: 1e-4 }, null, [{ step: 1, value: 2 }])]]) {
      const root = parseXml(objectivePlot(LR, trials, options));
      expect(textOf(byClass(root, "empty")[0]!)).toBe(NO_COMPLETE_TRIALS);
    }
    const trials = [
      trial(0, "complete", { lr: 1e-3 }, 0.4),
      trial(1, "complete", { lr: 1e-3 }, Number.NaN),
      trial(2, "complete", { lr: Number.POSITIVE_INFINITY }, 0.3),
      trial(3, "pruned", { lr: 1e-4 }, null, [{ step: 1, value: 0.6 }, { step: 2, value: Number.NaN }]),
      trial(4, "complete", { lr: -1 }, 0.2), // not on a log axis
    ];
    // The best trial with a place on the axis is the one highlighted.
    const svg = objectivePlot(LR, trials, options);
    expect(svg).not.toMatch(/NaN|Infinity/);
    const root = parseXml(svg);
    expect(all(byClass(root, "complete")[0]!, "circle")).toHaveLength(1);
    expect(all(byClass(root, "pruned")[0]!, "title").map(textOf)).toEqual(["#3 · lr=0.0001 · val_loss=0.6 (pruned, last report)"]);
    expect(byClass(root, "best")[0]!.attrs["data-trial"]).toBe("0");
    expect(allText(root)).toContain("3 finished trials without a usable value left out");
  });
});

describe("learningCurves", () => {
  const options = { direction: "minimize" as const, objective: "loss" };

  it("bounds each curve's points and keeps every bucket's extremes", () => {
    const u = lcg(7);
    const reports: Report[] = Array.from({ length: 1000 }, (_, i) => ({ step: i, value: u() }));
    reports[537] = { step: 537, value: -5 }; // a spike
    const down = downsample(reports);
    expect(down.length).toBeLessThanOrEqual(MAX_CURVE_POINTS);
    expect(down[0]).toBe(reports[0]);
    expect(down[down.length - 1]).toBe(reports[999]);
    expect(down).toContain(reports[537]);
    expect(down.map((r) => r.step)).toEqual([...down.map((r) => r.step)].sort((a, b) => a - b));
    expect(Math.min(...down.map((r) => r.value))).toBe(-5);
    expect(Math.max(...down.map((r) => r.value))).toBe(Math.max(...reports.map((r) => r.value)));
    expect(downsample(reports.slice(0, 150))).toHaveLength(150);
  });

  it("draws at most maxTrials curves of at most 200 points and says how many were left out", () => {
    const trials = sweep(500, 1000, 3);
    const started = performance.now();
    const svg = learningCurves(trials, options);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeLessThan(2000);
    const root = parseXml(svg);
    const lines = all(root, "polyline");
    expect(lines.length).toBeLessThanOrEqual(DEFAULT_MAX_TRIALS); // curves of one report are dots
    for (const l of lines) expect(l.attrs.points!.split(" ").length).toBeLessThanOrEqual(MAX_CURVE_POINTS);
    const withReports = trials.filter((t) => t.reports.length > 0).length;
    expect(allText(root).some((t) => t.startsWith(`${withReports - DEFAULT_MAX_TRIALS} of ${withReports} curves left out`))).toBe(true);
    // Running trials take up to half the curves, the best by last value first.
    const drawn = drawnTrials(root);
    expect(drawn.size).toBe(DEFAULT_MAX_TRIALS);
    const lastValue = (t: TrialRecord) => t.reports[t.reports.length - 1]!.value;
    const running = trials.filter((t) => t.state === "running").sort((a, b) => lastValue(a) - lastValue(b));
    expect(running.length).toBeGreaterThan(DEFAULT_MAX_TRIALS / 2);
    for (const t of running.slice(0, DEFAULT_MAX_TRIALS / 2)) expect(drawn.has(t.number)).toBe(true);
    // The best complete trial is drawn, and every finished curve drawn beats every one left out.
    const score = (t: TrialRecord) => (t.state === "complete" ? t.value! : lastValue(t));
    const finished = trials.filter((t) => t.state !== "running" && t.reports.length > 0);
    const worstIn = Math.max(...finished.filter((t) => drawn.has(t.number)).map(score));
    const bestOut = Math.min(...finished.filter((t) => !drawn.has(t.number)).map(score));
    expect(worstIn).toBeLessThanOrEqual(bestOut);
    const small = sweep(100, 10, 3);
    const smallRunning = small.filter((t) => t.state === "running");
    expect(smallRunning.length).toBeLessThanOrEqual(20);
    const smallDrawn = drawnTrials(parseXml(learningCurves(small, { ...options, maxTrials: 40 })));
    for (const t of smallRunning) expect(smallDrawn.has(t.number)).toBe(true); // fewer than half: all of them
    expect(svg.length).toBeLessThan(400_000);
    const few = parseXml(learningCurves(trials, { ...options, maxTrials: 10 }));
    expect(drawnTrials(few).size).toBe(10);
  });

  it("draws the best trial last and thicker, in a legend with every state drawn", () => {
    const trials = sweep(40, 50, 5);
    const root = parseXml(learningCurves(trials, options));
    const best = [...trials].filter((t) => t.state === "complete").sort((a, b) => a.value! - b.value!)[0]!;
    const groups = root.children.filter((c): c is XmlElement => typeof c !== "string" && c.name === "g" && all(c, "polyline").length > 0);
    const last = groups[groups.length - 1]!;
    expect(last.attrs.class).toBe("best");
    expect(last.attrs["data-trial"]).toBe(String(best.number));
    expect(Number(last.attrs["stroke-width"])).toBeGreaterThan(Math.max(...groups.slice(0, -1).map((g) => Number(g.attrs["stroke-width"]))));
    const legend = byClass(root, "legend")[0]!;
    const labels = all(legend, "text").map(textOf);
    for (const state of new Set(trials.map((t) => t.state))) expect(labels.some((l) => l.startsWith(`${state} (`))).toBe(true);
    expect(labels.some((l) => l.startsWith(`best #${best.number}:`))).toBe(true);
    expect(allText(root)).toContain("step");
    expect(allText(root)).toContain("loss");
  });

  it("is deterministic and independent of the trials' order", () => {
    const trials = sweep(100, 100, 11);
    const a = learningCurves(trials, options);
    expect(a.length).toBeLessThan(150_000); // 100 trials × 100 reports: about 115 kB (2-decimal coordinates)
    expect(learningCurves(sweep(100, 100, 11), options)).toBe(a);
    expect(learningCurves([...trials].reverse(), options)).toBe(a);
    const b = objectivePlot(LR, trials, options);
    expect(objectivePlot(LR, [...trials].reverse(), options)).toBe(b);
  });

  it("handles empty cases, runs without complete trials and non-finite reports", () => {
    const none = parseXml(learningCurves([], options));
    expect(textOf(byClass(none, "empty")[0]!)).toBe(NO_COMPLETE_TRIALS);
    const silent = parseXml(learningCurves([trial(0, "running", {}, null)], options));
    expect(textOf(byClass(silent, "empty")[0]!)).toBe(NO_COMPLETE_TRIALS);
    // Running curves are drawn even before a trial completes, with the note.
    const running = [trial(0, "running", {}, null, [{ step: 1, value: 2 }, { step: 2, value: Number.NaN }, { step: Number.POSITIVE_INFINITY, value: 1 }, { step: 3, value: 1.5 }])];
    const svg = learningCurves(running, options);
    expect(svg).not.toMatch(/NaN|Infinity/);
    const root = parseXml(svg);
    expect(all(root, "polyline")[0]!.attrs.points!.split(" ")).toHaveLength(2);
    expect(allText(root)).toContain(NO_COMPLETE_TRIALS);
    expect(byClass(root, "best")).toHaveLength(0);
    // A single report is a dot.
    const dot = parseXml(learningCurves([trial(0, "complete", {}, 1, [{ step: 5, value: 1 }])], options));
    expect(all(byClass(dot, "best")[0]!, "circle")).toHaveLength(1);
  });
});
