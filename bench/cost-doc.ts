/**
 * docs/cost.md's generated sections, from docs/cost-measured.json (bench/cost.ts) and the prices
 * of ./cost-prices.ts. A 16M-parameter model is 4 shards of the longest Adam shard (4,194,224 floats
 * under today's resident budget, of at most 4,194,304): its step is 4 pushes.
 */
import { PRICES, priceOfMillionSteps, rowsPerStep, type Measured, type Measurements, type Run } from "./cost-prices";

export const COST_HEADING = "## A million steps, measured (npm run bench:cost)";
export const DISK_HEADING = "## Bytes on disk, measured (npm run bench:cost)";

const COLUMNS = [
  ["today", "today (state pages written every step)"],
  ["log", "with the gradient log"],
] as const;

/** The shards of the table: one shard, or a model of `shards` shards of the measured length. */
const LONGEST = 4_194_304;
const SHAPES = [
  { label: "1K (1,024)", parameters: 1024, shards: 1 },
  { label: "1M (2^20)", parameters: 2 ** 20, shards: 1 },
  { label: "16M (4 shards of ≈4M)", parameters: LONGEST, shards: 4 },
] as const;

const f = (x: number, digits = 2) => x.toFixed(digits);
const money = (x: number) => `$${x < 0.01 ? x.toFixed(4) : x.toFixed(2)}`;
const MiB = 1024 * 1024;

/** The measurement of a shape: of its length, or of the longest measured for the 16M model. */
function find(run: Run | undefined, parameters: number): Measured | undefined {
  const results = run?.results ?? [];
  return results.find((m) => m.parameters === parameters) ?? (parameters === LONGEST ? results.find((m) => m.parameters > 2 ** 20) : undefined);
}

function runLine(name: string, run: Run): string {
  return `${name}: run ${run.at} on commit ${run.commit}, ${run.cpu}, load average ${f(run.load)} before it; ${run.results[0]?.steps ?? 0} steps per shard.`;
}

export function renderCost(all: Measurements): string {
  const cell = (run: Run | undefined, shards: number, parameters: number, what: "rows" | "price") => {
    const m = find(run, parameters);
    if (!m) return "not measured yet";
    if (what === "price") return `**${money(shards * priceOfMillionSteps(m).total)}**`;
    const rows = rowsPerStep(m);
    return `${f(shards * rows.read, 1)} / ${f(shards * rows.written, 1)}`;
  };
  const lines = [
    COST_HEADING,
    "",
    ...COLUMNS.flatMap(([key, name]) => (all[key] ? [`- ${runLine(name, all[key]!)}`] : [`- ${name}: not measured yet (run \`npm run bench:cost\` on that build).`])),
    "",
    `Prices ${PRICES.read}: [Workers](${PRICES.workers}), [Durable Objects](${PRICES.durableObjects}), [rows as D1 counts them](${PRICES.d1Rows}). ` +
      "Marginal prices, without the monthly included amounts and the $5 minimum. A step of a model of several shards is one push per shard.",
    "",
    "| Adam | rows read / written per step, today | $ per million steps, today | rows read / written per step, with the gradient log | $ per million steps, with the gradient log |",
    "|---|---:|---:|---:|---:|",
    ...SHAPES.map((s) => `| ${s.label} | ${cell(all.today, s.shards, s.parameters, "rows")} | ${cell(all.today, s.shards, s.parameters, "price")} | ${cell(all.log, s.shards, s.parameters, "rows")} | ${cell(all.log, s.shards, s.parameters, "price")} |`),
    "",
  ];
  for (const [key, name] of COLUMNS) {
    const run = all[key];
    if (!run) continue;
    lines.push(
      `**${name[0]!.toUpperCase()}${name.slice(1)}**, line by line, $ per million steps (measured per step: rows per statement cursor, the object's alarm spread over the ${run.results[0]?.steps ?? 0} steps before it; ` +
        "latency of one push at a time as the object's active time; as the Worker's CPU, the runtime's CPU per request of the same edge path to an object that writes nothing and answers the bytes back — both upper bounds):",
      "",
      "| Adam | statements per step | rows read per step (alarm) | rows written per step (alarm) | Worker requests | Worker CPU | object requests | duration | rows read | rows written | total | stored (databaseSize), $ per month |",
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
      ...SHAPES.flatMap((s) => {
        const m = find(run, s.parameters);
        if (!m) return [];
        const p = priceOfMillionSteps(m);
        const k = s.shards;
        const stored = k * m.databaseSize;
        return [
          `| ${s.label} | ${f(k * m.statementsPerStep, 1)} | ${f(k * m.rowsReadPerStep, 1)} (${k * m.alarmRowsRead}) | ${f(k * m.rowsWrittenPerStep, 1)} (${k * m.alarmRowsWritten}) | ` +
            `${money(k * p.workerRequests)} | ${money(k * p.workerCpu)} (${f(m.cpuMsPerStep)} ms) | ${money(k * p.objectRequests)} | ${money(k * p.duration)} (${f(m.medianMs, 1)} ms) | ` +
            `${money(k * p.rowsRead)} | ${money(k * p.rowsWritten)} | **${money(k * p.total)}** | ${f(stored / MiB, 1)} MiB, ${money((stored / 1e9) * PRICES.gbMonth)} |`,
        ];
      }),
      "",
    );
  }
  return lines.join("\n");
}

/** Adam keeps 3 float32 vectors: weights, exp_avg, exp_avg_sq. */
const STATE_BYTES_PER_PARAMETER = 12;

export function renderDisk(all: Measurements): string {
  const lines = [
    DISK_HEADING,
    "",
    "The object's files under wrangler's --persist-to after 100 steps and the object's alarm (a materialization, once the gradient log exists), " +
      "and for a shard that logs its steps an alarm once it has been idle for LOG_RING_IDLE_MS (which frees its log's ring of rows), " +
      `against the state's own ${STATE_BYTES_PER_PARAMETER} bytes a parameter (weights and two moments).`,
    "",
    "| build | Adam | .sqlite | -wal | -shm | bytes a parameter | × the state | databaseSize (billed) | databaseSize while busy (the log's ring held) |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const [key, name] of COLUMNS) {
    for (const m of all[key]?.results ?? []) {
      const total = Object.values(m.files).reduce((a, b) => a + b, 0);
      const perParameter = total / m.parameters;
      lines.push(
        `| ${name} | ${m.parameters.toLocaleString("en-US")} | ${f((m.files[".sqlite"] ?? 0) / MiB, 2)} MiB | ${f((m.files["-wal"] ?? 0) / MiB, 2)} MiB | ${f((m.files["-shm"] ?? 0) / 1024, 0)} KiB | ` +
          `${f(perParameter, 1)} | ${f(perParameter / STATE_BYTES_PER_PARAMETER, 2)}× | ${f(m.databaseSize / MiB, 2)} MiB | ${m.databaseSizeBusy === undefined ? "–" : `${f(m.databaseSizeBusy / MiB, 2)} MiB`} |`,
      );
    }
  }
  const answers = all.log?.walAnswers ?? all.today?.walAnswers ?? {};
  lines.push("", "What the runtime answered, through `ctx.storage.sql.exec`, to the statements that would checkpoint or bound the write-ahead log, or shrink the database file (the newest run's answers):", "");
  for (const [statement, answer] of Object.entries(answers)) lines.push(`- \`${statement}\`: ${answer}`);
  lines.push("");
  return lines.join("\n");
}
