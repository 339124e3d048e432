// The image-MLP base tasks of the paper (§6.2, e.g. ImageMLP_FashionMnist8_Relu32): an MLP target
// on flattened size×size(×channels) images, NLL (softmax cross-entropy) loss, batches drawn with replacement
// from the training split, the test loss on a fixed subset of the test split. float64 (targets/mlp).
import type { TargetLayout } from '../../../compiler/spaces/target.js';
import type { ImageDataset } from '../../data/fashion-mnist.js';
import { gradientsFromFactors } from '../../targets/factors.js';
import { logSumExp, mlpForward, mlpGradients } from '../../targets/mlp.js';
import { initMlp } from '../../targets/mlp-init.js';
import { paramTensors } from './features.js';
import type { InnerTask } from './inner-task.js';

export interface ImageMlpOptions {
  batch: number;
  /** How many test images the test loss averages over (the first ones of the test split). */
  testExamples: number;
}

export function imageMlpTask(name: string, layout: TargetLayout, data: ImageDataset, options: ImageMlpOptions): InnerTask {
  const channels = data.channels ?? 1;
  const inputs = data.size * data.size * channels;
  const widths = layout.spec.kind === 'mlp' ? layout.spec.widths : [];
  if (widths[0] !== inputs || widths[widths.length - 1] !== data.classes) {
    throw new RangeError(`${layout.name} maps ${widths[0]} inputs to ${widths[widths.length - 1]} outputs; ${data.name} at ${data.size}×${data.size}×${channels} needs ${inputs} → ${data.classes}`);
  }
  const testCount = Math.min(options.testExamples, data.test.count);
  const testInputs = Float64Array.from(data.test.images.subarray(0, testCount * inputs));
  const testLabels = data.test.labels.subarray(0, testCount);
  const meanLoss = (theta: Float64Array, x: Float64Array, labels: ArrayLike<number>, count: number) =>
    mlpGradients(layout, { count, inputs: x, theta }, { kind: 'cross_entropy', labels });
  return {
    name,
    paramCount: layout.paramCount,
    tensors: paramTensors(layout.params),
    initialTheta: (rng) => initMlp(layout, rng),
    // The device runner (device-problem.ts) reads the same data and draws the same batches.
    device: { kind: 'image', layout, inputs, batch: options.batch, train: data.train, test: { images: data.test.images.subarray(0, testCount * inputs), labels: testLabels, count: testCount } },
    trainLoss(theta, dataRng) {
      const x = new Float64Array(options.batch * inputs);
      const labels = new Uint8Array(options.batch);
      for (let i = 0; i < options.batch; i++) {
        const k = dataRng.int(data.train.count);
        for (let j = 0; j < inputs; j++) x[i * inputs + j] = data.train.images[k * inputs + j]!;
        labels[i] = data.train.labels[k]!;
      }
      const g = meanLoss(theta, x, labels, options.batch);
      // Σ over the batch's factors as the items of one example: the summed gradient, without the
      // [b, P] per-example gradients (37,604 × b values on the CIFAR-100 stand-in).
      const grad = gradientsFromFactors(layout, g.factors, 1, options.batch);
      for (let p = 0; p < grad.length; p++) grad[p] = grad[p]! / options.batch;
      return { loss: g.losses.reduce((a, b) => a + b, 0) / options.batch, grad, factors: g.factors };
    },
    testLoss(theta) {
      // Forward only: the loss needs no backward pass.
      const { outputs } = mlpForward(layout, { count: testCount, inputs: testInputs, theta });
      const classes = data.classes;
      let nll = 0;
      for (let i = 0; i < testCount; i++) {
        const z = outputs.subarray(i * classes, (i + 1) * classes);
        nll += logSumExp(z) - z[testLabels[i]!]!;
      }
      return nll / testCount;
    },
  };
}

