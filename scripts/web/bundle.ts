/**
 * The pages' scripts, bundled for browsers by esbuild (one ES module and its source map each):
 * web/main.ts → learner.js (the learner page, /), web/sweep-page.ts → sweep.js (the sweep page,
 * /sweep). The learner reuses examples/mnist, whose data.ts also holds a Node-only loader: Node
 * modules are declared side-effect free, so the unused loader and its imports drop out, and the
 * build fails if any Node module is still imported by a bundle.
 */
import { build, type Plugin } from "esbuild";
import { basename, join } from "node:path";
import { writeAtomically } from "./files";

const nodeModulesAreUnused: Plugin = {
  name: "node-modules-are-unused",
  setup(build) {
    build.onResolve({ filter: /^node:/ }, (args) => ({ path: args.path, external: true, sideEffects: false }));
  },
};

/** The pages' entry points, by the name of their bundle. */
export const PAGE_ENTRIES = { learner: "web/main.ts", sweep: "web/sweep-page.ts" } as const;

/** Writes `learner.js`, `sweep.js` and their maps into `outDir`; answers the files' names and sizes. */
export async function bundlePage(root: string, outDir: string): Promise<{ file: string; bytes: number }[]> {
  const result = await build({
    entryPoints: Object.entries(PAGE_ENTRIES).map(([out, entry]) => ({ in: join(root, entry), out })),
    outdir: outDir,
    tsconfig: join(root, "web/tsconfig.json"),
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    sourcemap: "linked",
    metafile: true,
    write: false,
    logLevel: "warning",
    plugins: [nodeModulesAreUnused],
  });
  const leftovers = Object.values(result.metafile.outputs).flatMap((output) => output.imports.map((i) => i.path));
  if (leftovers.length > 0) {
    throw new Error(`the page's bundle still imports ${[...new Set(leftovers)].join(", ")}: code that runs in the browser must not use Node modules`);
  }
  return result.outputFiles.map((file) => {
    writeAtomically(file.path, file.contents);
    return { file: basename(file.path), bytes: file.contents.length };
  });
}
