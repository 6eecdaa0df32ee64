import { createApp } from "./edge/app";

export { CatalogObject } from "./catalog/object";
export { ShardObject } from "./shard/object";
export { SweepObject } from "./master/object";

export default createApp();
