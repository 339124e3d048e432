// The stand-in for the paper's CIFAR-10 MLP task (8×8×3 images, 10 classes; CIFAR cannot be
// downloaded here): Fashion-MNIST at 8×8 (fashion-mnist.ts), each image coloured as an RGB image
// whose colours carry no class information, as in natural photographs. Image n of a split gets a
// foreground colour f uniform in [0.5, 1]³ and a background colour b uniform in [0, 0.3]³ from a
// seeded stream, and pixel (i, j) channel c is x·f_c + (1 − x)·b_c for the greyscale value x: the
// item stays brighter than its background in every channel (version 1 drew both colours from
// [0, 1]³, which inverts about half the images channel by channel; Adam learned nothing from it in
// 200 steps). Stored channels last, [count, 8·8·3] = 192 inputs like CIFAR's 8×8×3. Cached
// content-addressed (util/array-folder.ts): the key covers the greyscale cache's folder (itself
// keyed by the package files' SHA-256).
import { basename, join } from 'node:path';
import { arrayFolder, readArrays, writeArrays } from '../util/array-folder.js';
import { Rng } from '../util/rng.js';
import { loadFashionMnist, type ImageDataset, type ImageLoadOptions, type ImageSplit } from './fashion-mnist.js';

export const COLOUR_IMAGES_ROOT = join('.cache', 'gmn', 'lopt-images');
/** Bump whenever colouring changes what it produces (invalidates the cache). */
export const COLOUR_VERSION = 2;
/** The ranges of every channel of the foreground and the background colour. */
export const FOREGROUND = [0.5, 1] as const;
export const BACKGROUND = [0, 0.3] as const;
const SPLIT_SEEDS = { train: 101, test: 102 } as const;

/** The colours of a split's images in order: [f, b] per image, from the split's seed. */
export function imageColours(seed: number, count: number): [number[], number[]][] {
  const rng = new Rng(seed);
  const colour = ([lo, hi]: readonly [number, number]) => [0, 1, 2].map(() => lo + (hi - lo) * rng.uniform());
  return Array.from({ length: count }, () => [colour(FOREGROUND), colour(BACKGROUND)]);
}

/** Greyscale [count, P] → colour [count, P·3] (channels last) with the split's colours. */
export function colourise(grey: ImageSplit, seed: number): Float32Array {
  const pixels = grey.images.length / grey.count;
  const out = new Float32Array(grey.images.length * 3);
  imageColours(seed, grey.count).forEach(([f, b], n) => {
    for (let p = 0; p < pixels; p++) {
      const x = grey.images[n * pixels + p]!;
      for (let c = 0; c < 3; c++) out[(n * pixels + p) * 3 + c] = x * f[c]! + (1 - x) * b[c]!;
    }
  });
  return out;
}

export interface ColourImagesOptions extends ImageLoadOptions {
  /** Where the coloured arrays are cached (default .cache/gmn/lopt-images). */
  colourRoot?: string;
}

/** Coloured 8×8 Fashion-MNIST (the CIFAR-10 stand-in `fashion_mnist_colour`). */
export function loadColourFashionMnist(options: ColourImagesOptions = {}): { data: ImageDataset; dir: string; outcome: 'hit' | 'built' } {
  const grey = loadFashionMnist(8, options);
  const identity = { format: 'fashion-mnist-colour', version: COLOUR_VERSION, key: { greyscale: basename(grey.dir), foreground: FOREGROUND, background: BACKGROUND, seeds: SPLIT_SEEDS } };
  const dir = arrayFolder(options.colourRoot ?? COLOUR_IMAGES_ROOT, identity);
  const shapes = { train: [grey.data.train.count, 192], test: [grey.data.test.count, 192] };
  const cached = readArrays(dir, identity, shapes);
  const dataset = (train: Float32Array, test: Float32Array): ImageDataset => ({
    name: 'fashion_mnist_colour', size: 8, channels: 3, classes: 10,
    train: { images: train, labels: grey.data.train.labels, count: grey.data.train.count },
    test: { images: test, labels: grey.data.test.labels, count: grey.data.test.count },
  });
  if (cached.ok) return { data: dataset(cached.arrays.train, cached.arrays.test), dir, outcome: 'hit' };
  const arrays = { train: colourise(grey.data.train, SPLIT_SEEDS.train), test: colourise(grey.data.test, SPLIT_SEEDS.test) };
  writeArrays(dir, identity, shapes, arrays);
  return { data: dataset(arrays.train, arrays.test), dir, outcome: 'built' };
}
