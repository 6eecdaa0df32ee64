import type { PushRequest } from "../types";

/** The push's gradient as bytes, without a copy (a socket's push is a view into its message; an HTTP push, a buffer of its own). */
export const gradientBytes = (req: PushRequest): Uint8Array<ArrayBuffer> => (ArrayBuffer.isView(req.gradient) ? req.gradient : new Uint8Array(req.gradient));
