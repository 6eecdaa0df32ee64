/** SVG plots of a sweep, as strings (served as image/svg+xml). */
export { learningCurves, downsample, MAX_CURVE_POINTS, DEFAULT_MAX_TRIALS, type CurveOptions } from "./curves";
export { objectivePlot, NO_COMPLETE_TRIALS, type PlotOptions } from "./objective";
export { escapeXml } from "./svg";
