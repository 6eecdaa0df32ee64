/**
 * A hyperparameter sweep of softmax regression on MNIST, run by a shardstep server's sweep master
 * and four worker processes:
 *
 *   npm start                          # one terminal: the server on http://127.0.0.1:8787
 *   npm run example:sweep-mnist        # another (--help for the options; --narrow for a too-narrow range)
 *
 * Prints a line per finished trial, then the trials table, the boundary warnings and the test
 * accuracy of the best trial, of the top-5 ensemble and of the best configuration's replicates.
 * Writes nothing unless asked: --out <dir> saves the sweep's plots there.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createShardstep } from "../../sdk/client";
import { defaultToken, fail, options } from "./cli";
import { runSweepExample } from "./run";
import { DEFAULT_SEARCH } from "./sweep";
import { DEFAULT_TRAIN } from "./train";

const args = options();
const token = args.token ?? (await defaultToken());
const api = createShardstep({ baseUrl: args.url, token });
try {
  await api.health({ retry: false });
} catch (error) {
  fail(`no shardstep server answers at ${args.url} (${(error as Error).message}); start one with npm start`);
}

const result = await runSweepExample({
  url: args.url,
  token,
  sweep: args.name,
  search: { ...DEFAULT_SEARCH, stages: args.stages, narrow: args.narrow, parallel: args.workers, seed: args.seed },
  train: { ...DEFAULT_TRAIN, batchSize: args.batch, reportEvery: args.reportEvery },
  workers: args.workers,
  top: args.top,
  replicates: args.replicates,
  log: (line) => console.log(line),
});

if (args.out !== undefined) {
  const dir = resolve(args.out);
  mkdirSync(dir, { recursive: true });
  const plots: [string, Promise<string>][] = [
    ["curves.svg", api.sweeps.curvesPlot(args.name)],
    ...Object.keys(result.config.space).map((param): [string, Promise<string>] => [`objective-${param}.svg`, api.sweeps.objectivePlot(args.name, param)]),
  ];
  for (const [file, svg] of plots) writeFileSync(join(dir, file), await svg);
  console.log(`wrote ${plots.map(([file]) => join(args.out!, file)).join(", ")}`);
} else {
  console.log("nothing written (--out <dir> saves the plots)");
}
const s = result.seconds;
console.log(`done in ${s.total.toFixed(1)} s (search ${s.search.toFixed(1)} s, replicates ${s.replicates.toFixed(1)} s)`);
