/**
 * The validating proxy as a process of its own (`node --import tsx contract-proxy-main.ts <port>
 * <upstreamPort>`): tests block their own event loop while a synchronous child process (execFileSync
 * of an example, python, curl) talks to the server, so the proxy cannot live in the test's process.
 * Every result goes to the parent over IPC; "close" stops it once every result has been sent.
 */
import { ContractProxy } from "./contract-proxy";

const [port, upstreamPort] = process.argv.slice(2).map(Number);
const send = (message: unknown) => new Promise<void>((resolve) => process.send!(message, undefined, {}, () => resolve()));
let sending = Promise.resolve();

const proxy = await ContractProxy.start(port!, upstreamPort!, (result, answer) => {
  sending = sending.then(() => send({ result, answer }));
});
process.on("message", async (message) => {
  if (message !== "close") return;
  await proxy.close();
  await sending;
  process.disconnect();
});
process.on("disconnect", () => process.exit(0));
await send({ ready: true });
