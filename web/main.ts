/**
 * The learner page (/): loads the digits, takes the token, shard and sweep names (settings.ts), and
 * runs either one Learner on the shard or, with a sweep named, one SweepWorker that trains the
 * sweep's trials, against this origin's API through the SDK, and draws its state. The state is also
 * `window.shardstepLearner` (the shard being trained: the learner's, or the current trial's) and,
 * for a sweep, `window.shardstepSweepWorker`, for the console and the browser tests.
 */
import { createShardstep } from "../sdk/client";
import { accuracyChart, lossChart } from "./charts";
import { decodeDigits } from "./digits-format";
import { Learner, type LearnerState } from "./learner";
import { storeToken, takeSettings } from "./settings";
import { SweepWorker, type SweepWorkerState } from "./sweep-worker";
import { formatValue, row } from "./table";
import { byId } from "./dom";

declare global {
  interface Window {
    shardstepLearner?: LearnerState;
    shardstepSweepWorker?: SweepWorkerState;
  }
}

const DIGITS_URL = "/mnist-digits.bin";
const BATCH_SIZE = 64;
const EVALUATE_EVERY = 10;
/** The charts are redrawn at most this often. */
const CHART_INTERVAL_MS = 300;
/** Rows of the reports table. */
const DECISIONS_SHOWN = 12;

const ui = {
  form: byId("settings", HTMLFormElement),
  token: byId("token", HTMLInputElement),
  shard: byId("shard", HTMLInputElement),
  sweep: byId("sweep", HTMLInputElement),
  start: byId("start", HTMLButtonElement),
  pause: byId("pause", HTMLButtonElement),
  status: byId("status", HTMLElement),
  pushes: byId("pushes", HTMLElement),
  version: byId("version", HTMLElement),
  liveVersion: byId("live-version", HTMLElement),
  loss: byId("loss", HTMLElement),
  accuracy: byId("accuracy", HTMLElement),
  staleness: byId("staleness", HTMLElement),
  lossChart: byId("loss-chart", HTMLElement),
  accuracyChart: byId("accuracy-chart", HTMLElement),
  sweepSection: byId("sweep-worker", HTMLElement),
  sweepName: byId("sweep-name", HTMLElement),
  sweepLink: byId("sweep-link", HTMLAnchorElement),
  trial: byId("trial", HTMLElement),
  trialParams: byId("trial-params", HTMLElement),
  trialStep: byId("trial-step", HTMLElement),
  decision: byId("decision", HTMLElement),
  trialsTaken: byId("trials-taken", HTMLElement),
  decisions: byId("decisions", HTMLTableElement),
  outcomes: byId("outcomes", HTMLTableElement),
};

function showStatus(text: string, failed = false): void {
  ui.status.textContent = text;
  ui.status.classList.toggle("failed", failed);
}

const STATUS: Record<LearnerState["phase"], (s: LearnerState) => string> = {
  idle: () => "Ready.",
  training: (s) => `Training shard ${s.shard} as ${s.clientId}.`,
  pausing: () => "Pausing after the push in flight…",
  paused: () => "Paused.",
  failed: (s) => `Stopped: ${s.error ?? "unknown error"}`,
};

const WORKER_STATUS: Record<SweepWorkerState["phase"], (s: SweepWorkerState) => string> = {
  idle: () => "Ready.",
  working: (s) => `Sweep ${s.sweep}, worker ${s.worker}: ${s.activity}.`,
  pausing: () => "Pausing after the call in flight…",
  paused: (s) => `Paused (${s.activity}).`,
  done: (s) => `The sweep ${s.sweep} is done: this tab finished ${s.outcomes.length} trial${s.outcomes.length === 1 ? "" : "s"}.`,
  failed: (s) => `Stopped: ${s.error ?? "unknown error"}`,
};

function showControls(busy: boolean, canPause: boolean): void {
  ui.token.disabled = ui.shard.disabled = ui.sweep.disabled = ui.start.disabled = busy;
  ui.pause.disabled = !canPause;
}

function showNumbers(state: LearnerState | undefined): void {
  ui.pushes.textContent = String(state?.pushes ?? 0);
  ui.version.textContent = state ? String(state.version) : "–";
  ui.liveVersion.textContent = state?.liveVersion === undefined ? "–" : String(state.liveVersion);
  ui.liveVersion.title = state?.transport === undefined ? "" : state.transport === "socket" ? "over a live WebSocket" : "over HTTP (the socket could not open)";
  ui.loss.textContent = state?.losses.at(-1)?.loss.toFixed(4) ?? "–";
  const heldOut = state?.heldOut.at(-1);
  ui.accuracy.textContent = heldOut ? `${(100 * heldOut.accuracy).toFixed(1)}%` : "–";
  ui.staleness.textContent = state && state.pushes > 0 ? String(state.staleness) : "–";
}

let chartsDrawnAt = -Infinity;
let chartsPending = false;
let charted: LearnerState | undefined;

function drawCharts(): void {
  chartsDrawnAt = performance.now();
  chartsPending = false;
  ui.lossChart.innerHTML = (charted && lossChart(charted)) ?? "";
  ui.accuracyChart.innerHTML = (charted && accuracyChart(charted)) ?? "";
}

/** Redraws the charts of `state` soon (at most every CHART_INTERVAL_MS). */
function chart(state: LearnerState | undefined): void {
  charted = state;
  if (chartsPending) return;
  chartsPending = true;
  const wait = Math.max(0, chartsDrawnAt + CHART_INTERVAL_MS - performance.now());
  setTimeout(() => requestAnimationFrame(drawCharts), wait);
}

function render(state: LearnerState): void {
  const busy = state.phase === "training" || state.phase === "pausing";
  showControls(busy, state.phase === "training");
  showStatus(STATUS[state.phase](state), state.phase === "failed");
  showNumbers(state);
  chart(state);
}

const describeParams = (params: Record<string, string | number | boolean>): string =>
  Object.entries(params).map(([name, value]) => `${name} ${formatValue(value)}`).join(", ") || "–";

let workerShown = { decisions: -1, outcomes: -1 };

function renderWorker(state: SweepWorkerState): void {
  const busy = state.phase === "working" || state.phase === "pausing";
  showControls(busy, state.phase === "working");
  showStatus(WORKER_STATUS[state.phase](state), state.phase === "failed");
  window.shardstepLearner = state.training;
  showNumbers(state.training);
  chart(state.training);
  const trial = state.trial;
  if (trial) ui.shard.value = trial.shard;
  ui.trial.textContent = trial ? `#${trial.id} (stage ${trial.stage})${trial.resumedFrom === null ? "" : `, resumed at ${trial.resumedFrom}`}` : "–";
  ui.trialParams.textContent = trial ? describeParams(trial.params) + (trial.unapplied.length ? ` (not applied: ${trial.unapplied.join("; ")})` : "") : "–";
  ui.trialStep.textContent = trial ? `${formatValue(trial.step)} / ${formatValue(trial.budget)} ${trial.unit}` : "–";
  const last = state.decisions.at(-1);
  ui.decision.textContent = last ? `${last.decision}${last.reason ? `: ${last.reason}` : ""}` : "–";
  ui.trialsTaken.textContent = String(state.outcomes.length);
  // The tables change only with a new report or a new outcome.
  if (workerShown.decisions !== state.decisions.length) {
    ui.decisions.tBodies[0]!.replaceChildren(
      ...state.decisions.slice(-DECISIONS_SHOWN).reverse().map((d) => row([d.trial, d.step, d.loss, d.accuracy, d.reason ? `${d.decision}: ${d.reason}` : d.decision])),
    );
  }
  if (workerShown.outcomes !== state.outcomes.length) {
    ui.outcomes.tBodies[0]!.replaceChildren(
      ...state.outcomes.map((o) => {
        const tr = row([o.trial, o.state, o.value ?? "–", o.step, o.reason ?? ""]);
        tr.cells[1]!.className = `state-${o.state}`;
        return tr;
      }),
    );
  }
  workerShown = { decisions: state.decisions.length, outcomes: state.outcomes.length };
}

const randomWord = (): number => crypto.getRandomValues(new Uint32Array(1))[0]!;

async function loadDigits() {
  const response = await fetch(DIGITS_URL);
  if (!response.ok) throw new Error(`${DIGITS_URL} answered HTTP ${response.status}`);
  return decodeDigits(await response.arrayBuffer());
}

/** The fragment without the token: what a reload or a copied link should keep. */
function keepInFragment(names: { shard?: string; sweep?: string }): void {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(names)) if (value) params.set(key, value);
  const rest = params.toString();
  history.replaceState(history.state, "", `${location.pathname}${location.search}${rest ? `#${rest}` : ""}`);
}

async function main(): Promise<void> {
  const settings = takeSettings(location, history, sessionStorage);
  ui.shard.value = settings.shard;
  ui.sweep.value = settings.sweep;
  ui.token.value = settings.token ?? "";
  showStatus("Loading the digits…");
  const data = await loadDigits();
  const clientId = `tab-${randomWord().toString(16).padStart(8, "0")}`;
  let learner: Learner | undefined;
  let worker: SweepWorker | undefined;
  let runningWith = "";

  function begin(): void {
    const token = ui.token.value.trim();
    const shard = ui.shard.value.trim();
    const sweep = ui.sweep.value.trim();
    if (!token) return showStatus("Paste a token (npm run -s token) to train.", true);
    storeToken(sessionStorage, token);
    const api = createShardstep({ baseUrl: location.origin, token });
    if (sweep) {
      if (worker && worker.state.phase === "paused" && runningWith === `${token} ${sweep}`) return worker.start();
      learner?.close();
      learner = undefined;
      ui.sweepSection.hidden = false;
      ui.sweepName.textContent = sweep;
      ui.sweepLink.href = `/sweep#${new URLSearchParams({ sweep })}`;
      keepInFragment({ sweep });
      worker = new SweepWorker({ api, sweep, data, clientId }, (state) => worker?.state === state && renderWorker(state));
      runningWith = `${token} ${sweep}`;
      window.shardstepSweepWorker = worker.state;
      return worker.start();
    }
    if (learner && learner.state.phase === "paused" && learner.state.shard === shard && runningWith === token) return learner.start();
    worker?.pause();
    worker = undefined;
    learner?.close();
    ui.sweepSection.hidden = true;
    keepInFragment({ shard });
    learner = new Learner({ api, shard, data, clientId, batchSize: BATCH_SIZE, seed: randomWord(), evaluateEvery: EVALUATE_EVERY }, (state) => learner?.state === state && render(state));
    runningWith = token;
    window.shardstepLearner = learner.state;
    learner.start();
  }

  ui.form.addEventListener("submit", (event) => {
    event.preventDefault();
    begin();
  });
  ui.pause.addEventListener("click", () => {
    learner?.pause();
    worker?.pause();
  });
  if (settings.token) begin();
  else showStatus(`${data.train.size} training digits loaded. Paste a token to train.`);
}

main().catch((error: unknown) => showStatus(`The page failed: ${error instanceof Error ? error.message : String(error)}`, true));
