import { createApp } from "./edge/app";

export default createApp();
