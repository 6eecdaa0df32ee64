/**
 * Ensembles on the client: the server serves the members' weights (a sweep's top trials, or one
 * configuration's replicates); the client runs its model with each and averages the predictions.
 *
 *   const { members } = await api.sweeps.ensemble("mnist.lr", { top: 5 });
 *   const ensemble = averagePredictions(members, (weights, image) => softmax(weights, image));
 *   const probabilities = ensemble(image);        // or averagePredictions(members, predict, image)
 */

/** A model: its prediction (e.g. class probabilities) for `input` with `weights`. */
export type Predict<I> = (weights: Float32Array, input: I) => ArrayLike<number>;

/**
 * The mean of the members' predictions: with `input`, the mean prediction for it; without, the
 * ensemble as a model of its own (`input → mean prediction`). Average what can be averaged
 * (probabilities, not logits). The sum is taken in float64. Throws with no members, or when
 * members answer predictions of different lengths.
 */
export function averagePredictions<I>(members: readonly { weights: Float32Array }[], predict: Predict<I>): (input: I) => Float32Array;
export function averagePredictions<I>(members: readonly { weights: Float32Array }[], predict: Predict<I>, input: I): Float32Array;
export function averagePredictions<I>(members: readonly { weights: Float32Array }[], predict: Predict<I>, ...input: [I] | []): Float32Array | ((input: I) => Float32Array) {
  if (members.length === 0) throw new RangeError("averagePredictions: an ensemble needs at least one member");
  const ensemble = (x: I): Float32Array => {
    let sum: Float64Array | undefined;
    for (const [i, member] of members.entries()) {
      const prediction = predict(member.weights, x);
      sum ??= new Float64Array(prediction.length);
      if (prediction.length !== sum.length) throw new RangeError(`averagePredictions: member ${i} predicts ${prediction.length} values, member 0 ${sum.length}`);
      for (let k = 0; k < sum.length; k++) sum[k]! += prediction[k]!;
    }
    const mean = new Float32Array(sum!.length);
    for (let k = 0; k < mean.length; k++) mean[k] = sum![k]! / members.length;
    return mean;
  };
  return input.length === 0 ? ensemble : ensemble(input[0]);
}
