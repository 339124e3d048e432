// The curvature task's CNN models (runtime/data/curvature-cnn.ts), on a small pool of random images
// so that the test needs no dataset: each image's gradient rebuilt from the generated Γ (the sum over
// its P positions) equals central differences of the CNN's output; the Fisher-diagonal label equals a
// brute-force mean of squared finite-difference gradients over the label images, and PyTorch's
// autograd on the same network and images; a model depends only on (seed, index); and the mixture's
// p decides which half of the classes a model's images come from. Then the dataset of a CNN task on
// the installed Fashion-MNIST, through the cache: Γ with P items per image, Θ_b per image.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cnnLayout, type CnnLayout } from '../../compiler/spaces/cnn.js';
import { generateCurvatureData, loadCurvatureData, modelSampler } from '../../runtime/data/index.js';
import { checkCnnCurvatureTarget, cnnCurvatureModel, imagePool, sampleCnnModel, type ImagePool } from '../../runtime/data/curvature-cnn.js';
import { FASHION_MNIST_DIR } from '../../runtime/data/fashion-mnist.js';
import { fashionMnistPool } from '../../runtime/data/fashion-mnist-pool.js';
import { exampleInput, inputLayout } from '../../runtime/data/inputs.js';
import { cnnGradients, cnnLosses, cnnPerExampleGradients } from '../../runtime/targets/cnn.js';
import { DataError } from '../../runtime/targets/errors.js';
import { gradientsFromFactors } from '../../runtime/targets/factors.js';
import type { DataConfig } from '../../runtime/tasks/task-config.js';
import { Rng } from '../../runtime/util/rng.js';
import { torchMissing } from '../fixtures/python.js';
import { tempDir } from '../fixtures/temp-dir.js';

const SIZE = 4;

function layout(): CnnLayout {
  return cnnLayout('Net', { kind: 'cnn', channels: [1, 3, 2], kernel: 3, height: SIZE, width: SIZE, head: [4, 1], activation: { kind: 'tanh' } });
}

/** 40 random 4×4 images in [0, 1], classes 0–9 in turn. */
function pool(): ImagePool {
  const rng = new Rng(5);
  const count = 40;
  const images = Float32Array.from({ length: count * SIZE * SIZE }, () => rng.uniform());
  return imagePool(images, Uint8Array.from({ length: count }, (_, i) => i % 10), SIZE * SIZE, 10);
}

const CONFIG: DataConfig = { generator: 'random_targets', models: 3, points: 3, labelPoints: 5, inputs: 'mixture', seed: 4 };

/** ∂f/∂θ of every image by central differences of the forward pass, [count, P]. */
function numericGradients(net: CnnLayout, theta: Float64Array, inputs: Float64Array, count: number): Float64Array {
  const P = net.paramCount;
  const out = new Float64Array(count * P);
  const h = 1e-5;
  for (let p = 0; p < P; p++) {
    const plus = Float64Array.from(theta);
    const minus = Float64Array.from(theta);
    plus[p] += h;
    minus[p] -= h;
    const up = cnnLosses(net, { count, inputs, theta: plus }, { kind: 'output' });
    const down = cnnLosses(net, { count, inputs, theta: minus }, { kind: 'output' });
    for (let i = 0; i < count; i++) out[i * P + p] = (up[i]! - down[i]!) / (2 * h);
  }
  return out;
}

function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  expect(scale).toBeGreaterThan(1e-3);
  return worst / scale;
}

describe('CNN curvature models', () => {
  const net = layout();
  const images = pool();

  it('Γ_b holds P items per image whose sums are the gradients of the output at the input images', () => {
    const model = cnnCurvatureModel(net, CONFIG, 'fisher_diag', 1, images);
    expect(model.factors.length).toBe(CONFIG.points * net.positions * net.neuronCount * 2);
    const rebuilt = gradientsFromFactors(net, model.factors, CONFIG.points, net.positions);
    const numeric = numericGradients(net, model.sample.theta, model.sample.inputs, CONFIG.points);
    expect(relativeError(rebuilt, numeric)).toBeLessThan(1e-7);
  });

  it('the Fisher-diagonal label is the mean of squared output gradients over the fresh images', () => {
    const model = cnnCurvatureModel(net, CONFIG, 'fisher_diag', 2, images);
    const P = net.paramCount;
    const numeric = numericGradients(net, model.sample.theta, model.sample.labelInputs, CONFIG.labelPoints);
    const bruteForce = new Float64Array(P);
    for (let k = 0; k < CONFIG.labelPoints; k++) for (let p = 0; p < P; p++) bruteForce[p] += numeric[k * P + p]! ** 2 / CONFIG.labelPoints;
    expect(relativeError(model.label, bruteForce)).toBeLessThan(1e-7);
    // The trace and OBD labels are the same diagonal summed and weighted by θ².
    const trace = cnnCurvatureModel(net, CONFIG, 'fisher_trace', 2, images).label;
    expect(trace[0]).toBeCloseTo(bruteForce.reduce((a, b) => a + b, 0), 8);
    const obd = cnnCurvatureModel(net, CONFIG, 'obd_saliency', 2, images).label;
    expect(relativeError(obd, bruteForce.map((v, p) => v * model.sample.theta[p]! ** 2))).toBeLessThan(1e-7);
  });

  it('model i depends only on (seed, i), not on the dataset size', () => {
    const a = sampleCnnModel(net, CONFIG, 2, images);
    const b = sampleCnnModel(net, { ...CONFIG, models: 50 }, 2, images);
    expect(b.theta).toEqual(a.theta);
    expect(b.inputs).toEqual(a.inputs);
    expect(sampleCnnModel(net, CONFIG, 1, images).theta).not.toEqual(a.theta);
  });

  it('draws each image from the first half of the classes with probability p', () => {
    const half = (image: Float64Array): number => {
      for (let i = 0; i < 40; i++) {
        if (image.every((v, j) => v === images.images[i * SIZE * SIZE + j])) return i % 10 < 5 ? 0 : 1;
      }
      throw new Error('an image not in the pool');
    };
    const many = { ...CONFIG, points: 400 };
    for (let index = 0; index < 6; index++) {
      const sample = sampleCnnModel(net, many, index, images);
      let first = 0;
      for (let k = 0; k < many.points; k++) first += 1 - half(sample.inputs.subarray(k * SIZE * SIZE, (k + 1) * SIZE * SIZE));
      // Binomial(400, p): 5 standard deviations at most 0.125.
      expect(Math.abs(first / many.points - sample.mixture)).toBeLessThan(0.125);
    }
  });

  it('refuses a vector output and an image size the pool does not have, with a hint', () => {
    const vector = cnnLayout('Wide', { ...net.spec, head: [4, 3] });
    expect(() => checkCnnCurvatureTarget(vector, images)).toThrow(DataError);
    expect(() => checkCnnCurvatureTarget(vector, images)).toThrow(/scalar output/);
    const larger = cnnLayout('Large', { ...net.spec, height: 6, width: 6 });
    expect(() => checkCnnCurvatureTarget(larger, images)).toThrow(/16 pixels/);
    expect(() => checkCnnCurvatureTarget(net, images)).not.toThrow();
  });
});

// The label by PyTorch: the network from torch.nn (tests/fixtures/torch_cnn.py), f's gradient per label
// image by autograd, the mean of their squares, in the layout's order.
const TORCH_FIXTURES = fileURLToPath(new URL('../fixtures', import.meta.url));
const TORCH_LABEL = String.raw`
import json, sys, torch
from torch_cnn import Cnn
m = json.load(sys.stdin)
net, H = Cnn(m), m['size']
x = torch.tensor(m['images']).reshape(-1, 1, H, H)
label = torch.zeros(len(m['theta']))
for i in range(x.shape[0]):
    net.zero_grad()
    net(x[i:i + 1])[0, 0].backward()
    label += net.gradient() ** 2
print(json.dumps((label / x.shape[0]).tolist()))
`;

describe.skipIf(torchMissing('the CNN curvature label cross-check is skipped') !== null)('CNN curvature label against PyTorch autograd', () => {
  it('agrees to float64 accuracy', () => {
    const net = layout();
    const model = cnnCurvatureModel(net, CONFIG, 'fisher_diag', 0, pool());
    const input = JSON.stringify({
      ...net.spec, size: SIZE, params: net.params, theta: [...model.sample.theta], images: [...model.sample.labelInputs],
    });
    const theirs = JSON.parse(execFileSync('python3', ['-c', TORCH_LABEL], { input, env: { ...process.env, PYTHONPATH: TORCH_FIXTURES } }).toString()) as number[];
    expect(relativeError(model.label, theirs)).toBeLessThan(1e-12);
  }, 120_000);
});

describe.skipIf(!existsSync(FASHION_MNIST_DIR))('a CNN task\'s dataset on Fashion-MNIST', () => {
  it('holds P items per image in Γ, per-image gradients in Θ_b, and comes back from the cache unchanged', () => {
    const net = cnnLayout('Net', { kind: 'cnn', channels: [1, 2], kernel: 3, height: 5, width: 5, head: [1], activation: { kind: 'relu' } });
    const config: DataConfig = { generator: 'random_targets', models: 3, points: 2, labelPoints: 4, inputs: 'uniform', seed: 1 };
    const root = tempDir('gmn-cnn-data-');
    const { data, outcome } = loadCurvatureData(net, config, 'fisher_diag', { root });
    expect(outcome.kind).toBe('generated');
    expect(data.itemsPerExample).toBe(25);
    expect(inputLayout(data, 'grads').shape).toEqual([2 * 25, net.neuronCount, 2]);
    expect(inputLayout(data, 'weight_grads').shape).toEqual([2, net.paramCount, 1]);
    // Θ_b of model 2: each image's gradient, as the CNN's own backward pass gives it at the model's images.
    const sample = modelSampler(net, config, fashionMnistPool).model(2);
    const expected = cnnPerExampleGradients(net, cnnGradients(net, { count: 2, inputs: sample.inputs, theta: sample.theta }, { kind: 'output' }));
    expect(relativeError(exampleInput(data, 'weight_grads', 2), expected)).toBeLessThan(1e-5); // stored as float32
    const again = loadCurvatureData(net, config, 'fisher_diag', { root });
    expect(again.outcome.kind).toBe('hit');
    expect(again.data.grads).toEqual(data.grads);
    expect(again.data.labels).toEqual(data.labels);
  });
});

describe('a CNN task without an image source (the playground)', () => {
  it('is refused with a DataError that says where it can run', () => {
    const net = cnnLayout('Net', { kind: 'cnn', channels: [1, 2], kernel: 3, height: 5, width: 5, head: [1], activation: { kind: 'relu' } });
    const config: DataConfig = { generator: 'random_targets', models: 1, points: 2, labelPoints: 4, inputs: 'uniform', seed: 1 };
    const refused = (): unknown => generateCurvatureData(net, config, 'fisher_diag');
    expect(refused).toThrow(DataError);
    expect(refused).toThrow(/cnn target.*cannot be read here/);
  });
});
