export * from "./aggregation";
export * from "./sections";
export * from "./schedule";
export * from "./shard";
export { describeIssues } from "./fields";
export * from "./stored";
export { afterPatch, startingAt } from "./patch-schedules";
