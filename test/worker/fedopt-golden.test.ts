import { describe, expect, it } from "vitest";
import golden from "../golden/fedopt.json";
import { call, createShard, floatsOf, push } from "./support/api";

/**
 * The server optimizers of federated learning as rule choices of a rounds-mode shard fed model
 * deltas, against numbers computed in float64 from the papers' update equations by
 * scripts/golden/fedopt.py (which shares no code with shardstep).
 */
const TOLERANCE = 2e-6;

async function train(server: { rule: string; hyper: Record<string, unknown> }): Promise<number[][]> {
  const clients = golden.rounds[0]!.counts.length;
  const name = await createShard({
    length: golden.x0.length,
    ...server,
    rate_limit: null,
    aggregation: { mode: "rounds", quorum: clients, reducer: "weighted_mean", input: "delta" },
  });
  const upload = await call(`/v1/shards/${name}/weights`, { method: "PUT", floats: golden.x0 });
  expect(upload.status).toBe(204);
  const trajectory: number[][] = [];
  for (const round of golden.rounds) {
    let last: Response | undefined;
    for (const [j, delta] of round.deltas.entries()) {
      last = await push(name, delta, { "x-client-id": `client-${j}`, "x-sample-count": String(round.counts[j]) });
    }
    expect(last!.status).toBe(200);
    trajectory.push(Array.from(await floatsOf(last!)));
  }
  return trajectory;
}

const maxError = (a: number[][], b: number[][]) => Math.max(...a.flatMap((row, t) => row.map((x, i) => Math.abs(x - b[t]![i]!))));

describe("server optimizers match the papers' equations (FedAvg, FedAvgM, FedAdagrad, FedAdam, FedYogi)", () => {
  it.each(golden.cases.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const got = await train(c.server);
    expect(maxError(got, c.expected)).toBeLessThan(TOLERANCE);
  });

  it("tells FedAdam apart from the slip of using the delta in place of the first moment", async () => {
    const fedAdam = golden.cases.find((c) => c.name === "FedAdam")!;
    const got = await train(fedAdam.server);
    expect(maxError(got, golden.decoys.FedAdam)).toBeGreaterThan(1000 * TOLERANCE);
  });
});
