import { refuse } from "../problems";

/** How many float32 values `bytes` hold; refuses a body that is not whole values. */
export function floatCount(bytes: { byteLength: number }, what: string): number {
  if (bytes.byteLength % 4 !== 0) refuse("wrong-length", `${what} is ${bytes.byteLength} bytes, not a whole number of float32 values`);
  return bytes.byteLength / 4;
}
