// The curvature task's models on CNN targets (issue 30): random small CNNs (He init, runtime/targets/
// cnn-init.ts), each seen through Γ_b of its output gradients at b images — [b·P, N, 2], the P
// positions of one image contiguous (runtime/targets/cnn.ts) — and labelled with the Fisher diagonal
// of its scalar output over fresh images, as the MLP task (labels.ts): F = mean_k ∇f(x_k)∇f(x_k)ᵀ.
//
// The images come from an ImageSource — under Node, Fashion-MNIST's training images area-downsampled
// to the target's H×W (fashion-mnist-pool.ts) — mapped from [0, 1] to [−1, 1] (the MLP task's input
// range). The source is passed in so that this module stays free of file access (the playground).
// Each model draws them from its own distribution, as the MLP task's X_p:
//   mixture   p ~ U[0, 1] per model; each image is, with probability p, one of classes 0–4 (T-shirts,
//             trousers, pullovers, dresses, coats), otherwise one of classes 5–9 (sandals, shirts,
//             sneakers, bags, ankle boots)
//   uniform   every image uniform over the whole training set
// Model i depends only on (seed, i) and the images (model-rng.ts).
import type { CnnLayout } from '../../compiler/spaces/cnn.js';
import { cnnGradients, cnnPerExampleGradients } from '../targets/cnn.js';
import { initCnn } from '../targets/cnn-init.js';
import { DataError } from '../targets/errors.js';
import { fisherTrace, obdSaliency } from '../targets/fisher.js';
import type { DataConfig, LabelKind } from '../tasks/task-config.js';
import type { Rng } from '../util/rng.js';
import { drawMixtureWeight } from './input-distribution.js';
import { modelStreams } from './model-rng.js';

/** The images models draw from, with the two halves of the classes that a model's p weighs. */
export interface ImagePool {
  /** [count, H·W] pixel values in [−1, 1]. */
  images: Float32Array;
  /** Pixels per image, H·W. */
  pixels: number;
  /** Indices of the images of classes 0 … classes/2 − 1, and of the rest. */
  halves: [Int32Array, Int32Array];
}

/** A pool from images [count, pixels] in [0, 1] and their class labels 0 … classes − 1. */
export function imagePool(images: Float32Array, labels: Uint8Array, pixels: number, classes: number): ImagePool {
  const first: number[] = [];
  const second: number[] = [];
  labels.forEach((y, i) => (y < classes / 2 ? first : second).push(i));
  return { images: images.map((v) => 2 * v - 1), pixels, halves: [Int32Array.from(first), Int32Array.from(second)] };
}

/** Where a CNN's images come from: a pool of size×size images (Fashion-MNIST under Node: fashion-mnist-pool.ts). */
export type ImageSource = (size: number) => ImagePool;

/** Everything random about one CNN model, before any gradient is taken. */
export interface CnnModelSample {
  theta: Float64Array;
  /** p of the model's image distribution (NaN for `uniform`). */
  mixture: number;
  /** [points, C_0·H·W]: the input set's images. */
  inputs: Float64Array;
  /** [labelPoints, C_0·H·W]: the label's fresh images. */
  labelInputs: Float64Array;
}

/** What one model adds to the dataset. */
export interface CnnCurvatureModel {
  sample: CnnModelSample;
  /** [points·P, N, 2]: Γ_b of ∇_θ f at the input set's images, P items per image. */
  factors: Float64Array;
  label: Float64Array;
}

/** Throws a DataError unless the CNN can be a curvature target on this pool's images. */
export function checkCnnCurvatureTarget(layout: CnnLayout, pool: ImagePool): void {
  const { spec } = layout;
  const outputs = spec.head[spec.head.length - 1]!;
  if (outputs !== 1) {
    throw new DataError('data/output-not-scalar', `the curvature label is the Fisher of a scalar output, but ${layout.name} has ${outputs} outputs`,
      `end the target's head in one output (head: [..., 1])`);
  }
  if (spec.channels[0] !== 1 || layout.positions !== pool.pixels) {
    throw new DataError('data/image-size', `${layout.name} reads ${spec.channels[0]}×${spec.height}×${spec.width} images, but the curvature images are greyscale with ${pool.pixels} pixels`,
      `use channels: [1, ...] and a square height = width of at most 28 (Fashion-MNIST downsampled)`);
  }
}

/** Model i's θ, p and images, from (config.seed, i) alone. */
export function sampleCnnModel(layout: CnnLayout, config: DataConfig, index: number, pool: ImagePool): CnnModelSample {
  const streams = modelStreams(config.seed, index);
  const theta = initCnn(layout, streams.theta);
  const mixture = drawMixtureWeight(config.inputs, streams.inputs);
  return {
    theta,
    mixture,
    inputs: sampleImages(pool, mixture, config.points, streams.inputs),
    labelInputs: sampleImages(pool, mixture, config.labelPoints, streams.labels),
  };
}

/** Model i of the dataset: its sample, Γ_b and label. */
export function cnnCurvatureModel(layout: CnnLayout, config: DataConfig, label: LabelKind, index: number, pool: ImagePool): CnnCurvatureModel {
  const sample = sampleCnnModel(layout, config, index, pool);
  const grads = cnnGradients(layout, { count: config.points, inputs: sample.inputs, theta: sample.theta }, { kind: 'output' });
  return { sample, factors: grads.factors, label: cnnCurvatureLabel(layout, label, sample.theta, sample.labelInputs, config.labelPoints) };
}

/**
 * The label of the CNN with parameters `theta` on `count` images `inputs`. With a scalar output,
 * diag F = mean_k (∇_θ f(x_k))² exactly (the Gaussian expectation needs no sampling), and the
 * empirical diagonal, whose per-example gradients are those of the output itself, coincides with it.
 */
export function cnnCurvatureLabel(layout: CnnLayout, kind: LabelKind, theta: Float64Array, inputs: Float64Array, count: number): Float64Array {
  const diagonal = meanSquaredGradient(layout, theta, inputs, count);
  switch (kind) {
    case 'fisher_diag':
    case 'empirical_fisher_diag':
      return diagonal;
    case 'fisher_trace': return Float64Array.of(fisherTrace(diagonal));
    case 'obd_saliency': return obdSaliency(theta, diagonal);
  }
}

/** Images from the pool drawn as the model's distribution draws them, [count, pixels]. */
function sampleImages(pool: ImagePool, mixture: number, count: number, rng: Rng): Float64Array {
  const out = new Float64Array(count * pool.pixels);
  const all = pool.halves[0].length + pool.halves[1].length;
  for (let k = 0; k < count; k++) {
    let image: number;
    if (Number.isNaN(mixture)) {
      const r = rng.int(all);
      image = r < pool.halves[0].length ? pool.halves[0][r]! : pool.halves[1][r - pool.halves[0].length]!;
    } else {
      const half = pool.halves[rng.uniform() < mixture ? 0 : 1];
      image = half[rng.int(half.length)]!;
    }
    for (let j = 0; j < pool.pixels; j++) out[k * pool.pixels + j] = pool.images[image * pool.pixels + j]!;
  }
  return out;
}

/** Images per forward pass of the label: bounds the per-example gradients held at once. */
const LABEL_CHUNK = 64;

/** mean_k (∇_θ f(x_k))² over the `count` images, [P]. */
function meanSquaredGradient(layout: CnnLayout, theta: Float64Array, inputs: Float64Array, count: number): Float64Array {
  const P = layout.paramCount;
  const imageSize = layout.spec.channels[0]! * layout.positions;
  const sum = new Float64Array(P);
  for (let start = 0; start < count; start += LABEL_CHUNK) {
    const n = Math.min(LABEL_CHUNK, count - start);
    const batch = { count: n, inputs: inputs.subarray(start * imageSize, (start + n) * imageSize), theta };
    const perExample = cnnPerExampleGradients(layout, cnnGradients(layout, batch, { kind: 'output' }));
    for (let i = 0; i < n * P; i++) sum[i % P] += perExample[i]! * perExample[i]!;
  }
  return sum.map((v) => v / count);
}
