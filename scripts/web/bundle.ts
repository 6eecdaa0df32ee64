/**
 * The learner page's script: web/main.ts bundled for browsers by esbuild (one ES module and its
 * source map). The page reuses examples/mnist, whose data.ts also holds a Node-only loader: Node
 * modules are declared side-effect free, so the unused loader and its imports drop out, and the
 * build fails if any Node module is still imported by the bundle.
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

/** Writes `learner.js` and `learner.js.map` into `outDir`; answers the files' names and sizes. */
export async function bundlePage(root: string, outDir: string): Promise<{ file: string; bytes: number }[]> {
  const result = await build({
    entryPoints: [join(root, "web/main.ts")],
    outfile: join(outDir, "learner.js"),
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
