/**
 * The learner page (/): loads the digits, takes the token and shard name (settings.ts), runs one
 * Learner against this origin's API through the SDK and draws its state. The state is also
 * `window.shardstepLearner`, for the console and the browser test.
 */
import { createShardstep } from "../sdk/client";
import { accuracyChart, lossChart } from "./charts";
import { decodeDigits } from "./digits-format";
import { Learner, type LearnerState } from "./learner";
import { storeToken, takeSettings } from "./settings";

declare global {
  interface Window {
    shardstepLearner?: LearnerState;
  }
}

const DIGITS_URL = "/mnist-digits.bin";
const BATCH_SIZE = 64;
const EVALUATE_EVERY = 10;
/** The charts are redrawn at most this often. */
const CHART_INTERVAL_MS = 300;

function byId<T extends HTMLElement>(id: string, type: new () => T): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`the page has no ${type.name} #${id}`);
  return found;
}

const ui = {
  form: byId("settings", HTMLFormElement),
  token: byId("token", HTMLInputElement),
  shard: byId("shard", HTMLInputElement),
  start: byId("start", HTMLButtonElement),
  pause: byId("pause", HTMLButtonElement),
  status: byId("status", HTMLElement),
  pushes: byId("pushes", HTMLElement),
  version: byId("version", HTMLElement),
  loss: byId("loss", HTMLElement),
  accuracy: byId("accuracy", HTMLElement),
  staleness: byId("staleness", HTMLElement),
  lossChart: byId("loss-chart", HTMLElement),
  accuracyChart: byId("accuracy-chart", HTMLElement),
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

function showNumbers(state: LearnerState): void {
  const busy = state.phase === "training" || state.phase === "pausing";
  ui.token.disabled = ui.shard.disabled = ui.start.disabled = busy;
  ui.pause.disabled = state.phase !== "training";
  showStatus(STATUS[state.phase](state), state.phase === "failed");
  ui.pushes.textContent = String(state.pushes);
  ui.version.textContent = String(state.version);
  ui.loss.textContent = state.losses.at(-1)?.loss.toFixed(4) ?? "–";
  const heldOut = state.heldOut.at(-1);
  ui.accuracy.textContent = heldOut ? `${(100 * heldOut.accuracy).toFixed(1)}%` : "–";
  ui.staleness.textContent = state.pushes > 0 ? String(state.staleness) : "–";
}

let chartsDrawnAt = -Infinity;
let chartsPending = false;

function drawCharts(state: LearnerState): void {
  chartsDrawnAt = performance.now();
  chartsPending = false;
  ui.lossChart.innerHTML = lossChart(state) ?? "";
  ui.accuracyChart.innerHTML = accuracyChart(state) ?? "";
}

function render(state: LearnerState): void {
  showNumbers(state);
  if (chartsPending) return;
  chartsPending = true;
  const wait = Math.max(0, chartsDrawnAt + CHART_INTERVAL_MS - performance.now());
  setTimeout(() => requestAnimationFrame(() => drawCharts(state)), wait);
}

const randomWord = (): number => crypto.getRandomValues(new Uint32Array(1))[0]!;

async function loadDigits() {
  const response = await fetch(DIGITS_URL);
  if (!response.ok) throw new Error(`${DIGITS_URL} answered HTTP ${response.status}`);
  return decodeDigits(await response.arrayBuffer());
}

async function main(): Promise<void> {
  const settings = takeSettings(location, history, sessionStorage);
  ui.shard.value = settings.shard;
  ui.token.value = settings.token ?? "";
  showStatus("Loading the digits…");
  const data = await loadDigits();
  const clientId = `tab-${randomWord().toString(16).padStart(8, "0")}`;
  let learner: Learner | undefined;
  let learnerToken = "";

  function begin(): void {
    const token = ui.token.value.trim();
    const shard = ui.shard.value.trim();
    if (!token) return showStatus("Paste a token (npm run -s token) to train.", true);
    storeToken(sessionStorage, token);
    if (learner && learner.state.phase === "paused" && learner.state.shard === shard && learnerToken === token) return learner.start();
    const api = createShardstep({ baseUrl: location.origin, token });
    learner = new Learner({ api, shard, data, clientId, batchSize: BATCH_SIZE, seed: randomWord(), evaluateEvery: EVALUATE_EVERY }, render);
    learnerToken = token;
    window.shardstepLearner = learner.state;
    learner.start();
  }

  ui.form.addEventListener("submit", (event) => {
    event.preventDefault();
    begin();
  });
  ui.pause.addEventListener("click", () => learner?.pause());
  if (settings.token) begin();
  else showStatus(`${data.train.size} training digits loaded. Paste a token to train.`);
}

main().catch((error: unknown) => showStatus(`The page failed: ${error instanceof Error ? error.message : String(error)}`, true));
