/**
 * Colours of the plots: the Okabe–Ito palette (Okabe & Ito 2008), distinguishable with the common
 * colour-vision deficiencies. States differ by marker and line weight too, never by colour alone.
 */
import type { TrialState } from "../space";

export const OKABE_ITO = {
  black: "#000000",
  orange: "#E69F00",
  skyBlue: "#56B4E9",
  bluishGreen: "#009E73",
  yellow: "#F0E442",
  blue: "#0072B2",
  vermillion: "#D55E00",
  reddishPurple: "#CC79A7",
} as const;

/** The colour of each trial state. */
export const STATE_COLOUR: Readonly<Record<TrialState, string>> = {
  complete: OKABE_ITO.blue,
  pruned: OKABE_ITO.vermillion,
  running: OKABE_ITO.bluishGreen,
  failed: OKABE_ITO.reddishPurple,
};

/** The best trial's highlight. */
export const BEST_COLOUR = OKABE_ITO.black;

/** Axes, ticks and text. */
export const INK = "#222222";
/** Grid lines. */
export const GRID = "#e6e6e6";
/** Captions and notes. */
export const MUTED = "#666666";
