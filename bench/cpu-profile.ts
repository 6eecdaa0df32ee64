/**
 * A CPU profile of the Worker's isolate in `wrangler dev` (the Worker and its Durable Objects run
 * in it), through wrangler's inspector (Chrome DevTools Protocol, `Profiler` domain) while `during`
 * runs: the self time of each function and of each source file, and how much of the sampled time
 * was JavaScript, garbage collection, or outside JavaScript (the runtime's own C++: SQLite, sockets,
 * the fsync of a commit), which V8 samples as "(program)" and "(idle)".
 */

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import { root } from "../test/support/wrangler";
import { fileURLToPath } from "node:url";
import { openInspector } from "./inspector";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface CpuProfileSummary {
  /** Wall-clock time profiled, ms. */
  wallMs: number;
  /** Sampled time by kind, ms: JavaScript, "(garbage collector)", "(program)" (native work of the runtime), "(idle)". */
  byKind: Record<"javascript" | "gc" | "program" | "idle", number>;
  /** Self time by function (name, file and line), ms, largest first. */
  functions: { name: string; ms: number }[];
  /** Self time by source file (found from esbuild's `// path` comments in wrangler's bundle), ms, largest first. */
  files: { name: string; ms: number }[];
}

/**
 * Profiles the isolate behind wrangler's inspector on `inspectorPort` while `during` runs.
 * `bundle` is the path of wrangler's bundle of the Worker (its `worker.js`), which the profile's
 * frames name by its file name only.
 */
export async function profileWorker(inspectorPort: number, bundle: string | undefined, during: () => Promise<void>, samplingIntervalUs = 200, saveTo?: string): Promise<CpuProfileSummary> {
  const inspector = await openInspector(inspectorPort);
  try {
    await inspector.call("Profiler.enable");
    await inspector.call("Profiler.setSamplingInterval", { interval: samplingIntervalUs });
    await inspector.call("Profiler.start");
    const t0 = performance.now();
    await during();
    const wallMs = performance.now() - t0;
    const { profile } = await inspector.call<{ profile: Profile }>("Profiler.stop");
    // The raw profile: Chrome DevTools opens it, and its nodes' positionTicks count samples per line of the bundle.
    if (saveTo) writeFileSync(saveTo, JSON.stringify(profile));
    return summarize(profile, wallMs, bundle);
  } finally {
    inspector.close();
  }
}

function summarize(profile: Profile, wallMs: number, bundle: string | undefined): CpuProfileSummary {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((node, i) => selfUs.set(node, (selfUs.get(node) ?? 0) + (profile.timeDeltas[i + 1] ?? 0)));
  const byKind = { javascript: 0, gc: 0, program: 0, idle: 0 };
  const functions = new Map<string, number>();
  const files = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, ms: number) => m.set(k, (m.get(k) ?? 0) + ms);
  for (const [node, us] of selfUs) {
    const frame = nodes.get(node)!;
    const ms = us / 1000;
    const special = { "(garbage collector)": "gc", "(program)": "program", "(idle)": "idle" }[frame.functionName] as keyof typeof byKind | undefined;
    if (special) {
      byKind[special] += ms;
      continue;
    }
    byKind.javascript += ms;
    const file = sourceOf(bundle && frame.url === basename(bundle) ? bundle : frame.url, frame.lineNumber);
    add(functions, `${frame.functionName || "(anonymous)"} ${file} (bundle line ${frame.lineNumber + 1})`, ms);
    add(files, file, ms);
  }
  const top = (m: Map<string, number>) => [...m].map(([name, ms]) => ({ name, ms })).sort((a, b) => b.ms - a.ms);
  return { wallMs, byKind, functions: top(functions), files: top(files) };
}

/** esbuild's comment names a module relative to wrangler's directory, by `../` up to `/` then down: the project's files as relative to its root. */
function projectPath(path: string): string {
  const absolute = path.replace(/^(\.\.\/)+/, "");
  const project = root.replace(/^\//, "");
  return absolute.startsWith(project) ? absolute.slice(project.length).replace(/^\//, "") : absolute;
}

const modules = new Map<string, { line: number; path: string }[]>();

/**
 * The source file of a line of wrangler's bundle: esbuild writes `// <path>` before each module it
 * bundles, so the last such comment above the line names it. A URL that is not a readable file
 * (a built-in) is answered as it is.
 */
function sourceOf(url: string, line: number): string {
  if (!url) return "(native)";
  let markers = modules.get(url);
  if (!markers) {
    markers = [];
    const path = url.startsWith("file:") ? fileURLToPath(url) : url;
    if (existsSync(path)) {
      readFileSync(path, "utf8")
        .split("\n")
        .forEach((text, i) => {
          const m = /^\/\/ ((?:\.\.\/)*(?:[\w@.-]+\/)*[\w@.-]+\.[cm]?[jt]s)$/.exec(text);
          if (m) markers!.push({ line: i, path: projectPath(m[1]!) });
        });
    }
    modules.set(url, markers);
  }
  let found = url.replace(/^.*\//, "");
  for (const m of markers) {
    if (m.line > line) break;
    found = m.path;
  }
  return found;
}
