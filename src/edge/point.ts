/**
 * Where the next gradient is to be taken (src/optim/point.ts), on the wire: the `X-Point` header of
 * every answer that carries the point (GET /point, push answers with a vector). `weights`: the
 * point is the weights (the body is both); `distinct`: the body is the point, distinct from the
 * weights (read those at /weights).
 */
export const pointHeaderOf = (distinct: boolean): Record<string, string> => ({ "x-point": distinct ? "distinct" : "weights" });

export const pointResponseHeader = {
  "X-Point": {
    description:
      "Where the next gradient is to be taken: `weights` when the point is the weights (the body is both), `distinct` when the body is the point and the weights differ from it (the notes' look-ahead Nesterov: x + momentum · v; read the weights at /weights).",
    schema: { type: "string" as const, enum: ["weights", "distinct"] },
  },
};
