export * from "./hyper";
export * from "./machine";
export { MAX_LS } from "./line-search";
export * from "./slots";
export * from "./state";
