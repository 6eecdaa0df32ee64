// The softmax regression of examples/mnist: its loss and gradient, on synthetic images.
import { describe, expect, it } from "vitest";
import { CLASSES, PIXELS, seededRandom, type Dataset } from "../../examples/mnist/data";
import { accuracy, lossAndGradient, meanLoss, PARAMETERS } from "../../examples/mnist/model";

function syntheticBatch(size: number, seed: number): Dataset {
  const random = seededRandom(seed);
  const images = Float32Array.from({ length: size * PIXELS }, () => (random() < 0.2 ? random() : 0));
  const labels = Uint8Array.from({ length: size }, (_, i) => i % CLASSES);
  return { images, labels, size };
}

function randomParams(seed: number, scale: number): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length: PARAMETERS }, () => (random() - 0.5) * scale);
}

describe("mnist softmax regression", () => {
  it("has 7850 parameters: W (10 × 784) then 10 biases", () => {
    expect(PARAMETERS).toBe(7850);
  });

  it("zero parameters give the loss ln 10 and a gradient whose biases are 1/10 − share of the label", () => {
    const batch = syntheticBatch(20, 1);
    const { loss, gradient } = lossAndGradient(new Float32Array(PARAMETERS), batch);
    expect(loss).toBeCloseTo(Math.log(10), 12);
    expect(meanLoss(new Float32Array(PARAMETERS), batch)).toBeCloseTo(Math.log(10), 12);
    // Every label appears twice in 20 samples: 0.1 − 2/20 = 0.
    for (let k = 0; k < CLASSES; k++) expect(gradient[CLASSES * PIXELS + k]).toBeCloseTo(0, 7);
  });

  it("matches central finite differences of the mean loss", () => {
    const batch = syntheticBatch(16, 2);
    const params = randomParams(3, 0.2);
    const { loss, gradient } = lossAndGradient(params, batch);
    expect(loss).toBeCloseTo(meanLoss(params, batch), 12);
    // Weights of pixels that are lit in the batch, and biases.
    const lit = Array.from({ length: PIXELS }, (_, j) => j).filter((j) => batch.images[j]! > 0).slice(0, 4);
    const coordinates = [...lit.map((j) => 3 * PIXELS + j), ...lit.map((j) => 7 * PIXELS + j), CLASSES * PIXELS, CLASSES * PIXELS + 9];
    const h = 1e-3; // the parameters are float32: divide by the step they actually took
    for (const i of coordinates) {
      const plus = params.slice();
      const minus = params.slice();
      plus[i]! += h;
      minus[i]! -= h;
      const numeric = (meanLoss(plus, batch) - meanLoss(minus, batch)) / (plus[i]! - minus[i]!);
      expect(Math.abs(gradient[i]! - numeric)).toBeLessThan(1e-7 + 1e-5 * Math.abs(numeric));
    }
  });

  it("is numerically stable for large logits", () => {
    const batch = syntheticBatch(10, 4);
    const params = new Float32Array(PARAMETERS);
    params[CLASSES * PIXELS] = 1000; // class 0 bias
    const { loss, gradient } = lossAndGradient(params, batch);
    // Nine samples are not class 0: each costs 1000, the class-0 sample costs nothing.
    expect(loss).toBeCloseTo(900, 6);
    expect(gradient.every(Number.isFinite)).toBe(true);
  });

  it("counts a sample as right when its largest logit is at its label", () => {
    const batch = syntheticBatch(10, 5);
    const params = new Float32Array(PARAMETERS);
    params[CLASSES * PIXELS + 3] = 1;
    expect(accuracy(params, batch)).toBeCloseTo(0.1, 12);
  });
});
