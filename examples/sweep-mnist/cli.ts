/** The example's command line: its options, checked, and the token it uses by default. */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, parseEnv } from "node:util";
import { LOCAL_DEV_SECRET } from "../../src/edge/auth/dev";
import { signToken } from "../../src/edge/auth/token";
import { DEFAULT_SEARCH, type Stage } from "./sweep";
import { DEFAULT_TRAIN } from "./train";

const stagesText = (stages: readonly Stage[]) => stages.map((s) => `${s.trials}x${s.steps}`).join(",");

export const USAGE = `usage: npm run example:sweep-mnist -- [options]

  --url <url>           the server                                   default: http://127.0.0.1:8787
  --token <token>       a bearer token with admin on the sweep       default: minted from AUTH_SECRET
                        (the environment, else .dev.vars, else the local development secret)
  --name <name>         the sweep (deleted first if it exists)       default: mnist.sweep (mnist.sweep-narrow)
  --narrow              search lr in [1e-6, 1e-4], too narrow: the sweep warns that the best lr lies at its edge
  --stages <list>       trials x steps of each stage                 default: ${stagesText(DEFAULT_SEARCH.stages)}
  --workers <n>         worker processes (the sweep's parallel budget) default: ${DEFAULT_SEARCH.parallel}
  --batch <n>           images per minibatch                         default: ${DEFAULT_TRAIN.batchSize}
  --report-every <n>    steps between reports of the validation loss default: ${DEFAULT_TRAIN.reportEvery}
  --top <n>             members of the top-k ensemble                default: 5
  --replicates <n>      initialisation replicates of the best trial  default: 5 (0: none)
  --seed <n>            the sweep's seed                             default: ${DEFAULT_SEARCH.seed}
  --out <dir>           write the sweep's plots (SVG) into <dir>; without it nothing is written`;

export const root = fileURLToPath(new URL("../../", import.meta.url));

export interface Options {
  url: string;
  token: string | undefined;
  name: string;
  narrow: boolean;
  stages: Stage[];
  workers: number;
  batch: number;
  reportEvery: number;
  top: number;
  replicates: number;
  seed: number;
  out: string | undefined;
}

export function fail(message: string): never {
  console.error(`example:sweep-mnist: ${message}\n\n${USAGE}`);
  process.exit(2);
}

function integer(name: string, text: string, min = 1): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min) fail(`--${name} must be an integer ≥ ${min}, got '${text}'`);
  return n;
}

function stagesOf(text: string): Stage[] {
  return text.split(",").map((part) => {
    const m = /^\s*(\d+)\s*x\s*(\d+)\s*$/.exec(part);
    if (!m) fail(`--stages is a list of <trials>x<steps>, e.g. 16x60,8x200; got '${text}'`);
    return { trials: integer("stages", m[1]!), steps: integer("stages", m[2]!) };
  });
}

/** The options of this process's command line; --help prints the usage and exits. */
export function options(): Options {
  let args;
  try {
    args = parseArgs({
      options: {
        url: { type: "string", default: "http://127.0.0.1:8787" },
        token: { type: "string" },
        name: { type: "string" },
        narrow: { type: "boolean", default: false },
        stages: { type: "string", default: stagesText(DEFAULT_SEARCH.stages) },
        workers: { type: "string", default: String(DEFAULT_SEARCH.parallel) },
        batch: { type: "string", default: String(DEFAULT_TRAIN.batchSize) },
        "report-every": { type: "string", default: String(DEFAULT_TRAIN.reportEvery) },
        top: { type: "string", default: "5" },
        replicates: { type: "string", default: "5" },
        seed: { type: "string", default: String(DEFAULT_SEARCH.seed) },
        out: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    fail((error as Error).message);
  }
  if (args.help) {
    console.log(USAGE);
    process.exit(0);
  }
  return {
    url: args.url,
    token: args.token,
    name: args.name ?? (args.narrow ? "mnist.sweep-narrow" : "mnist.sweep"),
    narrow: args.narrow,
    stages: stagesOf(args.stages),
    workers: integer("workers", args.workers),
    batch: integer("batch", args.batch),
    reportEvery: integer("report-every", args["report-every"]),
    top: integer("top", args.top),
    replicates: integer("replicates", args.replicates, 0),
    seed: integer("seed", args.seed, 0),
    out: args.out,
  };
}

/** An admin token signed with the secret the local server uses (docs/auth.md). */
export async function defaultToken(): Promise<string> {
  const devVars = join(root, ".dev.vars");
  const fromFile = existsSync(devVars) ? parseEnv(readFileSync(devVars, "utf8")).AUTH_SECRET : undefined;
  const secret = process.env.AUTH_SECRET || fromFile || LOCAL_DEV_SECRET;
  return signToken(secret, { sub: "example-sweep-mnist", scopes: ["admin"], prefix: "", iat: Math.floor(Date.now() / 1000) });
}
