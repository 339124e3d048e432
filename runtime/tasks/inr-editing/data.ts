// The data of one INR-editing benchmark (paper §6.3): the collection's first `count` images, one
// INR fitted to each (many per dispatch, cached: runtime/inr/cache.ts), the edited images (OpenCV.js),
// and what an editor may read besides θ:
//   grads    Γ_points[2]: the gradients of the editing loss at `points` fixed pixels (the same for
//            every INR), standardised per neuron layer and channel with training-set statistics
//   probes   neurons(T)[k]: every neuron's activation at k fixed random pixels (WS + Probing)
//   block_scale  weights(T)[1]: per parameter block the training INRs' RMS of θ, the same for every
//            INR, to scale Δθ by (an edit's Δθ differs in size from block to block as θ does)
// Splits: the first `test` INRs, then `validation`, then the training INRs.
import type { TargetLayout } from '../../../compiler/spaces/target.js';
import { tensor, type Tensor } from '../../reference/tensor.js';
import type { GpuDevice } from '../../device/index.js';
import { cachedFits, type InrFitKey } from '../../inr/cache.js';
import { editImages } from '../../inr/edits.js';
import { fitInrs, pixelGrid, type FittedInrs } from '../../inr/fit.js';
import type { FitOptions } from '../../param-sets/fit.js';
import { gradientInputs, probePixels } from '../../inr/grad-inputs.js';
import { IMAGE_PIXELS, IMAGE_SIDE, loadImages } from '../../inr/images.js';
import { mlpForward } from '../../targets/mlp.js';
import { Rng } from '../../util/rng.js';
import type { EditConfig, InrEditingConfig } from './config.js';

export interface RangeStats { mean: number; std: number }

export interface EditDataset {
  edit: EditConfig;
  layout: TargetLayout;
  count: number;
  /** [count, P]: the fitted INRs, and each fit's PSNR (dB). */
  theta: Float32Array;
  psnr: Float32Array;
  /** [count, 28·28] in [−1, 1]: the images and their edits (the training targets). */
  images: Float32Array;
  targets: Float32Array;
  /** The pixels of the gradient inputs, and Γ_points[2] as computed ([count, points, N, 2]). */
  gradPixels: Int32Array;
  grads: Float32Array;
  /** Per neuron segment, per channel (a, g): the training set's statistics of `grads`. */
  gradStats: RangeStats[][];
  /** [P]: per parameter block, the training INRs' RMS of θ there (blockScale), input `block_scale`. */
  blockScale: Float32Array;
  /** Where the fits came from, for the log. */
  cache: string;
  probes: ProbeFeatures;
}

export interface Split { name: 'train' | 'validation' | 'test'; start: number; count: number }

export function splitsOf(config: InrEditingConfig): Record<Split['name'], Split> {
  const { test, validation } = config.splits;
  return {
    test: { name: 'test', start: 0, count: test },
    validation: { name: 'validation', start: test, count: validation },
    train: { name: 'train', start: test + validation, count: config.data.count - test - validation },
  };
}

/** What the fits of a collection depend on: the cache's key. */
export function fitKey(layout: TargetLayout, config: InrEditingConfig, images: EditConfig['images']): InrFitKey {
  const { data } = config;
  return { target: layout.spec, images, count: data.count, steps: data.fitSteps, lr: data.fitLr, batch: data.fitBatch, seed: data.seed };
}

/** The fitting options of the task's INRs. */
export function fitOptions(config: InrEditingConfig): FitOptions & { batch: number } {
  const { data } = config;
  return { batch: data.fitBatch, steps: data.fitSteps, optimizer: { kind: 'adam', lr: data.fitLr, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 } };
}

/**
 * Fits (or loads) the INRs of one edit and derives everything an editor reads. `fits` replaces the
 * fitting (a run whose fits are jobs: jobs.ts) and the cache's folder (a worker's own).
 */
export async function loadEditDataset(
  gpu: GpuDevice, layout: TargetLayout, config: InrEditingConfig, edit: EditConfig, progress: (done: number, total: number) => void,
  fits?: { fit?: () => Promise<FittedInrs>; root?: string },
): Promise<EditDataset> {
  const { data } = config;
  const images = loadImages(edit.images, data.count).pixels;
  const grid = pixelGrid(IMAGE_SIDE);
  const cached = await cachedFits(layout, fitKey(layout, config, edit.images), fits?.fit ?? (() => fitInrs(gpu, layout, images, data.count, grid, new Rng(data.seed), {
    ...fitOptions(config), onBatch: (done) => progress(done, data.count),
  })), fits?.root);
  const targets = await editImages(edit.edit, images, data.count);
  const gradPixels = probePixels(IMAGE_PIXELS, data.points, new Rng(data.seed * 7919 + 1));
  const grads = await gradientInputs(gpu, layout, cached.fits.theta, targets, data.count, grid, gradPixels);
  const train = splitsOf(config).train;
  return {
    edit, layout, count: data.count, theta: cached.fits.theta, psnr: cached.fits.psnr, images, targets, gradPixels, grads,
    gradStats: factorStats(layout, grads.subarray(train.start * data.points * layout.neuronCount * 2), train.count * data.points),
    blockScale: blockScale(layout, cached.fits.theta.subarray(train.start * layout.paramCount), train.count),
    cache: cached.outcome.kind === 'hit' ? `cache hit (${cached.dir})` : `fitted and cached in ${cached.dir} (${cached.outcome.reason})`,
    probes: new ProbeFeatures(layout, cached.fits.theta, data.count, new Rng(data.seed * 7919 + 2)),
  };
}

/** Mean and std of Γ per neuron segment and channel over `items` rows of [items, N, 2] (std 0 → 1). */
export function factorStats(layout: TargetLayout, grads: Float32Array, items: number): RangeStats[][] {
  const N = layout.neuronCount;
  return layout.segments.map((seg) => [0, 1].map((c) => {
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < items; i++) {
      for (let n = seg.offset; n < seg.offset + seg.size; n++) {
        const v = grads[(i * N + n) * 2 + c]!;
        sum += v;
        sq += v * v;
      }
    }
    const count = items * seg.size;
    const mean = sum / count;
    const std = Math.sqrt(Math.max(0, sq / count - mean * mean));
    return { mean, std: std > 1e-12 ? std : 1 };
  }));
}

/**
 * Per parameter block, the RMS of θ's entries over `items` rows of [items, P], written at every
 * entry of the block ([P]): a SIREN's blocks differ in scale by about 30× (ω0), and so does the
 * size of an edit's Δθ in each, so an editor may scale its Δθ by this (input `block_scale`).
 */
export function blockScale(layout: TargetLayout, theta: Float32Array, items: number): Float32Array {
  const P = layout.paramCount;
  const out = new Float32Array(P);
  for (const b of layout.params) {
    const size = b.rows * (b.cols ?? 1);
    let sq = 0;
    for (let e = 0; e < items; e++) for (let i = b.offset; i < b.offset + size; i++) sq += theta[e * P + i]! ** 2;
    const rms = Math.sqrt(sq / (items * size));
    out.fill(rms > 1e-12 ? rms : 1, b.offset, b.offset + size);
  }
  return out;
}

/** Γ of INRs `indices`, standardised: [B, points, N, 2]. */
export function standardGrads(layout: TargetLayout, grads: Float32Array, points: number, stats: RangeStats[][], indices: readonly number[]): Float64Array {
  const N = layout.neuronCount;
  const per = points * N * 2;
  const out = new Float64Array(indices.length * per);
  const segmentOf = new Int32Array(N);
  layout.segments.forEach((s, k) => segmentOf.fill(k, s.offset, s.offset + s.size));
  indices.forEach((e, b) => {
    for (let j = 0; j < points * N; j++) {
      const s = stats[segmentOf[j % N]!]!;
      for (let c = 0; c < 2; c++) out[b * per + j * 2 + c] = (grads[e * per + j * 2 + c]! - s[c]!.mean) / s[c]!.std;
    }
  });
  return out;
}

/**
 * Probing features: every neuron's activation (a^0 = the coordinates, hidden sin activations, the
 * output) at k random pixels, the same for every INR; computed once per k in float64.
 */
export class ProbeFeatures {
  private readonly byCount = new Map<number, Float32Array>();
  private readonly order: number[];

  constructor(private readonly layout: TargetLayout, private readonly theta: Float32Array, private readonly count: number, rng: Rng) {
    this.order = rng.permutation(IMAGE_PIXELS);
  }

  /** [count, N, k]. */
  features(k: number): Float32Array {
    let f = this.byCount.get(k);
    if (f === undefined) this.byCount.set(k, (f = this.compute(k)));
    return f;
  }

  private compute(k: number): Float32Array {
    const { layout, count } = this;
    const P = layout.paramCount;
    const N = layout.neuronCount;
    const grid = pixelGrid(IMAGE_SIDE);
    const pixels = this.order.slice(0, k);
    const inputs = new Float64Array(count * k * 2);
    const theta = new Float64Array(count * k * P);
    for (let e = 0; e < count; e++) {
      pixels.forEach((p, j) => {
        inputs.set(grid.subarray(p * 2, p * 2 + 2), (e * k + j) * 2);
        theta.set(this.theta.subarray(e * P, (e + 1) * P), (e * k + j) * P);
      });
    }
    const { act } = mlpForward(layout, { count: count * k, inputs, theta });
    const out = new Float32Array(count * N * k);
    for (let e = 0; e < count; e++) for (let j = 0; j < k; j++) for (let n = 0; n < N; n++) out[(e * N + n) * k + j] = act[(e * k + j) * N + n]!;
    return out;
  }
}

/** The tensors a net reads for INRs `indices`, by input name (`theta`, `grads`, `probes`, `block_scale`). */
export function batchInputs(data: EditDataset, inputs: ReadonlyMap<string, number>, points: number, indices: readonly number[]): Map<string, Tensor> {
  const { layout } = data;
  const P = layout.paramCount;
  const N = layout.neuronCount;
  const out = new Map<string, Tensor>();
  for (const [name, channels] of inputs) {
    if (name === 'theta') {
      const t = tensor([indices.length, P, 1]);
      indices.forEach((e, b) => t.data.set(data.theta.subarray(e * P, (e + 1) * P), b * P));
      out.set(name, t);
    } else if (name === 'grads') {
      out.set(name, tensor([indices.length, points, N, 2], standardGrads(layout, data.grads, points, data.gradStats, indices)));
    } else if (name === 'block_scale') {
      const t = tensor([indices.length, P, 1]);
      indices.forEach((_, b) => t.data.set(data.blockScale, b * P));
      out.set(name, t);
    } else {
      const f = data.probes.features(channels);
      const t = tensor([indices.length, N, channels]);
      indices.forEach((e, b) => t.data.set(f.subarray(e * N * channels, (e + 1) * N * channels), b * N * channels));
      out.set(name, t);
    }
  }
  return out;
}

/** The edited images of INRs `indices`: [B, 28·28, 1]. */
export function batchTargets(data: EditDataset, indices: readonly number[]): Tensor {
  const t = tensor([indices.length, IMAGE_PIXELS, 1]);
  indices.forEach((e, b) => t.data.set(data.targets.subarray(e * IMAGE_PIXELS, (e + 1) * IMAGE_PIXELS), b * IMAGE_PIXELS));
  return t;
}
