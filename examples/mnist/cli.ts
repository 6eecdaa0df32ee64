/** The example's command line: its options, checked, and the token it uses by default. */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, parseEnv } from "node:util";
import { LOCAL_DEV_SECRET } from "../../src/edge/auth/dev";
import { signToken } from "../../src/edge/auth/token";
import type { SplitKind } from "./data";

export const USAGE = `usage: npm run example:mnist -- [options]

  --url <url>           the server                                  default: http://127.0.0.1:8787
  --token <token>       a bearer token with admin on the shards     default: minted from AUTH_SECRET
                        (the environment, else .dev.vars, else the local development secret)
  --mode <mode>         async | compare | bias | rounds | all       default: all
  --steps <n>           async: pushes in all                        default: 1000
  --rule-steps <n>      compare: steps of each rule                 default: 500
  --bias-steps <n>      bias: steps of each of the 30 Adam settings default: 200
  --rounds <n>          rounds: federated rounds                    default: 100
  --clients <n>         simulated clients                           default: 4 (async), 10 (rounds)
  --split <kind>        iid | non-iid                               default: non-iid
  --prefix <text>       shard names start with it                   default: mnist.
  --seed <n>            data order and splits                       default: 1
  --write               save the results (examples/mnist/results/*.json) and the charts
                        (docs/mnist-rules.svg, docs/mnist-bias-correction.svg, examples/mnist/results/rounds.svg);
                        without it nothing is written`;

export const root = fileURLToPath(new URL("../../", import.meta.url));

export const MODES = ["async", "compare", "bias", "rounds", "all"] as const;
export type Mode = (typeof MODES)[number];

export interface Options {
  url: string;
  token: string | undefined;
  mode: Mode;
  steps: number;
  ruleSteps: number;
  biasSteps: number;
  rounds: number;
  clients: number | undefined;
  split: SplitKind;
  prefix: string;
  seed: number;
  write: boolean;
}

export function fail(message: string): never {
  console.error(`example:mnist: ${message}\n\n${USAGE}`);
  process.exit(2);
}

function positive(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) fail(`--${name} must be a positive integer, got '${text}'`);
  return n;
}

function parse() {
  try {
    return parseArgs({
      options: {
        url: { type: "string", default: "http://127.0.0.1:8787" },
        token: { type: "string" },
        mode: { type: "string", default: "all" },
        steps: { type: "string", default: "1000" },
        "rule-steps": { type: "string", default: "500" },
        "bias-steps": { type: "string", default: "200" },
        rounds: { type: "string", default: "100" },
        clients: { type: "string" },
        split: { type: "string", default: "non-iid" },
        prefix: { type: "string", default: "mnist." },
        seed: { type: "string", default: "1" },
        write: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    return fail((error as Error).message);
  }
}

/** The options of this process's command line; --help prints the usage and exits. */
export function options(): Options {
  const args = parse();
  if (args.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const mode = args.mode as Mode;
  if (!MODES.includes(mode)) fail(`--mode must be one of ${MODES.join(", ")}; got '${mode}'`);
  const split = args.split as SplitKind;
  if (split !== "iid" && split !== "non-iid") fail(`--split must be iid or non-iid; got '${args.split}'`);
  return {
    url: args.url,
    token: args.token,
    mode,
    steps: positive("steps", args.steps)!,
    ruleSteps: positive("rule-steps", args["rule-steps"])!,
    biasSteps: positive("bias-steps", args["bias-steps"])!,
    rounds: positive("rounds", args.rounds)!,
    clients: positive("clients", args.clients),
    split,
    prefix: args.prefix,
    seed: positive("seed", args.seed)!,
    write: args.write,
  };
}

/** An admin token signed with the secret the local server uses (docs/auth.md). */
export async function defaultToken(): Promise<string> {
  const devVars = join(root, ".dev.vars");
  const fromFile = existsSync(devVars) ? parseEnv(readFileSync(devVars, "utf8")).AUTH_SECRET : undefined;
  const secret = process.env.AUTH_SECRET || fromFile || LOCAL_DEV_SECRET;
  return signToken(secret, { sub: "example-mnist", scopes: ["admin"], prefix: "", iat: Math.floor(Date.now() / 1000) });
}
