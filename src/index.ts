import { createApp } from "./edge/app";

export { ShardObject } from "./shard/object";

export default createApp();
