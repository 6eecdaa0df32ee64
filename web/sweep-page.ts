/**
 * The sweep page (/sweep): one sweep of this server, live. Every few seconds it reads the sweep
 * (counts, the best trial, boundary warnings, stages) and its trials, and, when the trials changed,
 * the sweep's SVG plots (the objective against each parameter, the learning curves). Everything is
 * built as DOM nodes and text; the plots are fetched with the token and shown as
 * `<img src="blob:…">`, which runs no script and loads nothing whatever the SVG holds (the page's
 * Content-Security-Policy allows images from this origin and blob: only). Polling stops once the
 * sweep is done and its final plots are shown. The state is `window.shardstepSweepView`, for the
 * console and the browser test.
 */
import { createShardstep, ShardstepProblem, type SweepCalls, type SweepInfo, type SweepTrial } from "../sdk/client";
import { describe } from "./describe";
import { storeToken, takeSettings } from "./settings";
import { formatValue, row, type Cell } from "./table";
import { byId } from "./dom";

/** How often the page asks the server while the sweep runs. */
export const POLL_MS = 3000;

export interface PlotState {
  /** `objective:<param>` or `curves`. */
  name: string;
  /** The image shows the plot of the trials as of the last refresh. */
  loaded: boolean;
}

export interface SweepViewState {
  sweep: string;
  /** idle: nothing watched; watching: polling; done: the sweep is done and shown; failed: stopped by `error`. */
  phase: "idle" | "watching" | "done" | "failed";
  /** Refreshes that succeeded. */
  refreshes: number;
  /** The sweep's own state, once read. */
  state: SweepInfo["state"] | undefined;
  trials: number;
  plots: PlotState[];
  /** The last refresh's failure (the page keeps polling after a network failure or a 5xx). */
  lastError?: string;
  error?: string;
}

declare global {
  interface Window {
    shardstepSweepView?: SweepViewState;
  }
}

const ui = {
  form: byId("settings", HTMLFormElement),
  token: byId("token", HTMLInputElement),
  sweep: byId("sweep", HTMLInputElement),
  watch: byId("watch", HTMLButtonElement),
  joinLink: byId("join-link", HTMLAnchorElement),
  status: byId("status", HTMLElement),
  summary: byId("summary", HTMLElement),
  state: byId("sweep-state", HTMLElement),
  trials: byId("count-trials", HTMLElement),
  best: byId("best", HTMLElement),
  warnings: byId("warnings", HTMLUListElement),
  stages: byId("stages", HTMLTableElement),
  plots: byId("plots", HTMLElement),
  trialsTable: byId("trials", HTMLTableElement),
};
const TRIAL_STATES = ["queued", "running", "complete", "pruned", "failed"] as const;
const counts = Object.fromEntries(TRIAL_STATES.map((s) => [s, byId(`count-${s}`, HTMLElement)])) as Record<(typeof TRIAL_STATES)[number], HTMLElement>;

function showStatus(text: string, failed = false): void {
  ui.status.textContent = text;
  ui.status.classList.toggle("failed", failed);
}

const describeParams = (params: SweepTrial["params"]): string => Object.entries(params).map(([name, value]) => `${name} ${formatValue(value)}`).join(", ");

function renderSweep(sweep: SweepInfo, trials: readonly SweepTrial[]): void {
  const { config } = sweep;
  const direction = config.objective.direction ?? "minimize";
  const algorithm = config.algorithm?.kind ?? "random";
  const unit = config.budget?.unit ?? "steps";
  // Coarse-to-fine stages have budgets of their own (the stages table).
  const budget = algorithm === "coarse_to_fine" ? `budgets per stage in ${unit}` : `budget ${formatValue(config.budget?.resource ?? 1)} ${unit} per trial`;
  ui.summary.textContent =
    `${direction} ${config.objective.metric}; algorithm ${algorithm}, pruner ${config.pruner?.kind ?? "none"}, ` +
    `${config.budget?.parallel ?? 4} trials at once, ${budget}; seed ${config.seed ?? 0}`;
  ui.state.textContent = sweep.state;
  ui.trials.textContent = `${trials.length} of ${sweep.trials}`;
  for (const state of TRIAL_STATES) counts[state].textContent = String(sweep.counts[state] ?? 0);

  const best = sweep.best;
  ui.best.textContent = best
    ? `Trial ${best.id}: ${config.objective.metric} ${formatValue(best.value)} (${describeParams(best.params)}), stage ${best.stage}, ${best.reports} reports`
    : "None yet: no trial is complete.";

  ui.warnings.replaceChildren(
    ...(sweep.warnings.length === 0 ? [Object.assign(document.createElement("li"), { className: "none", textContent: "None: no best value lies at the edge of its range." })] : []),
    ...sweep.warnings.map((w) => Object.assign(document.createElement("li"), { textContent: w.message })),
  );

  ui.stages.tBodies[0]!.replaceChildren(
    ...sweep.stages.map((stage) => {
      const ranges = Object.entries(stage.ranges)
        .map(([name, range]) => ("values" in range ? `${name} ∈ {${range.values.map(formatValue).join(", ")}}` : `${name} ∈ [${formatValue(range.low)}, ${formatValue(range.high)}]`))
        .join("; ");
      return row([stage.stage, stage.trials, stage.budget, stage.started ? "yes" : "not yet", ranges]);
    }),
  );

  const params = Object.keys(config.space);
  const header = row(["trial", "stage", "state", ...params, "budget", "reports", "last report", config.objective.metric, "worker", "leases", "why"], "th");
  ui.trialsTable.tHead!.replaceChildren(header);
  ui.trialsTable.tBodies[0]!.replaceChildren(
    ...[...trials]
      .sort((a, b) => a.id - b.id)
      .map((t) => {
        const cells: Cell[] = [
          t.replicate_of === null ? t.id : `${t.id} (replicate of ${t.replicate_of})`,
          t.stage,
          t.state,
          ...params.map((p) => t.params[p] ?? "–"),
          t.budget,
          t.reports,
          t.last_report ? `${formatValue(t.last_report.value)} at ${formatValue(t.last_report.step)}` : "–",
          t.value,
          t.worker ?? "–",
          t.leases,
          t.reason ?? "",
        ];
        const tr = row(cells);
        tr.dataset.trial = String(t.id);
        tr.cells[2]!.classList.add(`state-${t.state}`);
        if (best && t.id === best.id) tr.classList.add("best");
        return tr;
      }),
  );
}

/** One plot on the page: its figure, its image and the blob URL it shows. */
interface PlotSlot {
  state: PlotState;
  figure: HTMLElement;
  img: HTMLImageElement;
  url: string | undefined;
}

class Plots {
  private readonly slots = new Map<string, PlotSlot>();

  constructor(private readonly container: HTMLElement) {}

  /** The plots of `sweep`: one per parameter and the curves; slots for parameters it no longer has go. */
  arrange(sweep: SweepInfo): PlotSlot[] {
    const wanted = [...Object.keys(sweep.config.space).map((p) => ({ name: `objective:${p}`, caption: `${sweep.config.objective.metric} against ${p}` })), { name: "curves", caption: "learning curves" }];
    for (const [name, slot] of this.slots) {
      if (wanted.some((w) => w.name === name)) continue;
      if (slot.url) URL.revokeObjectURL(slot.url);
      slot.figure.remove();
      this.slots.delete(name);
    }
    return wanted.map(({ name, caption }) => {
      let slot = this.slots.get(name);
      if (!slot) {
        const figure = document.createElement("figure");
        const img = document.createElement("img");
        img.alt = caption;
        img.dataset.plot = name;
        const text = document.createElement("figcaption");
        text.textContent = caption;
        figure.append(img, text);
        this.container.append(figure);
        slot = { state: { name, loaded: false }, figure, img, url: undefined };
        this.slots.set(name, slot);
      }
      return slot;
    });
  }

  /** Fetches every plot of `sweep` and shows it once decoded; the old image stays until then. */
  async load(sweeps: SweepCalls, sweep: SweepInfo): Promise<void> {
    await Promise.all(
      this.arrange(sweep).map(async (slot) => {
        const name = slot.state.name;
        const svg = name === "curves" ? await sweeps.curvesPlot(sweep.name) : await sweeps.objectivePlot(sweep.name, name.slice("objective:".length));
        // Never parsed into this page: an image of its own, from a blob: URL (an image runs no script).
        const url = URL.createObjectURL(new Blob([svg], { type: "image/svg+xml" }));
        const old = slot.url;
        slot.url = url;
        slot.img.src = url;
        try {
          await slot.img.decode();
        } catch {
          throw new Error(`the plot ${slot.state.name} did not decode as an image`);
        } finally {
          if (old) URL.revokeObjectURL(old);
        }
        slot.state.loaded = true;
      }),
    );
  }

  get states(): PlotState[] {
    return [...this.slots.values()].map((s) => s.state);
  }
}

/** Whether a failure means watching cannot go on (bad token, no such sweep), rather than a hiccup worth another try. */
const isFinal = (error: unknown): boolean => error instanceof ShardstepProblem && error.status >= 400 && error.status < 500 && error.status !== 429;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Watches one sweep until it is done, or until `stopped()` (another sweep is watched). */
async function watch(sweeps: SweepCalls, name: string, plots: Plots, view: SweepViewState, stopped: () => boolean): Promise<void> {
  let plotted: string | undefined;
  while (!stopped()) {
    try {
      const [sweep, trials] = await Promise.all([sweeps.get(name), sweeps.trials(name)]);
      if (stopped()) return;
      renderSweep(sweep, trials);
      // The plots change only with the trials: their states, reports and updates.
      const signature = trials.map((t) => `${t.id}:${t.state}:${t.reports}:${t.updated_at}`).join(",");
      if (signature !== plotted) {
        await plots.load(sweeps, sweep);
        plotted = signature;
      }
      Object.assign(view, { refreshes: view.refreshes + 1, state: sweep.state, trials: trials.length, plots: plots.states, lastError: undefined });
      if (sweep.state === "done") {
        view.phase = "done";
        return showStatus(`Sweep ${name} is done: ${sweep.counts.complete ?? 0} complete, ${sweep.counts.pruned ?? 0} pruned, ${sweep.counts.failed ?? 0} failed.`);
      }
      showStatus(`Watching sweep ${name}: ${new Date().toLocaleTimeString()}, again in ${POLL_MS / 1000} s.`);
    } catch (error) {
      if (stopped()) return;
      if (isFinal(error)) {
        Object.assign(view, { phase: "failed", error: describe(error) });
        return showStatus(`Stopped: ${describe(error)}`, true);
      }
      view.lastError = describe(error);
      showStatus(`Sweep ${name}: the last refresh failed (${view.lastError}); trying again in ${POLL_MS / 1000} s.`, true);
    }
    await sleep(POLL_MS);
  }
}

function main(): void {
  const settings = takeSettings(location, history, sessionStorage);
  ui.token.value = settings.token ?? "";
  ui.sweep.value = settings.sweep;
  const plots = new Plots(ui.plots);
  let generation = 0;

  function begin(): void {
    const token = ui.token.value.trim();
    const name = ui.sweep.value.trim();
    if (!token) return showStatus("Paste a token (npm run -s token) to watch a sweep.", true);
    if (!name) return showStatus("Name the sweep to watch.", true);
    storeToken(sessionStorage, token);
    const mine = ++generation;
    history.replaceState(history.state, "", `${location.pathname}#${new URLSearchParams({ sweep: name })}`);
    ui.joinLink.href = `/#${new URLSearchParams({ sweep: name })}`;
    const view: SweepViewState = { sweep: name, phase: "watching", refreshes: 0, state: undefined, trials: 0, plots: [] };
    window.shardstepSweepView = view;
    showStatus(`Reading sweep ${name}…`);
    const { sweeps } = createShardstep({ baseUrl: location.origin, token });
    void watch(sweeps, name, plots, view, () => mine !== generation);
  }

  ui.form.addEventListener("submit", (event) => {
    event.preventDefault();
    begin();
  });
  if (settings.token && settings.sweep) begin();
  else showStatus(settings.token ? "Name the sweep to watch." : "Paste a token and name the sweep to watch.");
}

main();
