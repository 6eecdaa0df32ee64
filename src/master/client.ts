import { outcomeClient, type OutcomeClient } from "../durable/outcome";
import type { SweepObject } from "./object";

/** Every RPC method of SweepObject: each answers its value or throws the refusal of its outcome. */
export type SweepClient = OutcomeClient<SweepObject>;

/** The master of the sweep `name` (its Durable Object is named after it). */
export function sweepClient(env: Pick<Env, "SWEEPS">, name: string): SweepClient {
  return outcomeClient<SweepObject>(env.SWEEPS as never, name);
}
