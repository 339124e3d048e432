// Fashion-MNIST downsampled to size×size (the paper's learned-optimizer image task uses 8×8), from
// the Debian package `dataset-fashion-mnist` (/usr/share/datasets/fashion-mnist, IDX files). The
// downsampled arrays are cached content-addressed, like the curvature data: .cache/gmn/images/<hash>/
// where <hash> covers the source files' SHA-256, the size and LOADER_VERSION; the manifest (byte
// sizes and SHA-256 of every array) is written last, and a cache that does not match it is rebuilt.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DataError } from '../targets/errors.js';
import { downsampleImages } from './downsample.js';
import { parseIdx } from './idx.js';

export const FASHION_MNIST_PACKAGE = 'dataset-fashion-mnist';
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
export const DEFAULT_IMAGE_CACHE_ROOT = join('.cache', 'gmn', 'images');
/** Bump whenever loading changes what it produces for the same sources (invalidates every cache). */
export const LOADER_VERSION = 1;

const SOURCES = {
  trainImages: 'train-images-idx3-ubyte.gz',
  trainLabels: 'train-labels-idx1-ubyte.gz',
  testImages: 't10k-images-idx3-ubyte.gz',
  testLabels: 't10k-labels-idx1-ubyte.gz',
} as const;

/** Images [count, size·size·channels] in [0, 1] (channels last) and labels 0..classes−1. */
export interface ImageSplit {
  images: Float32Array;
  labels: Uint8Array;
  count: number;
}

export interface ImageDataset {
  name: string;
  size: number;
  /** Values per pixel: 1 (greyscale, the default) or 3 (colour-images.ts, digit-pairs.ts). */
  channels?: number;
  classes: number;
  train: ImageSplit;
  test: ImageSplit;
}

export interface LoadedImages {
  data: ImageDataset;
  /** The cache directory. */
  dir: string;
  outcome: 'hit' | 'built';
}

export interface ImageLoadOptions {
  /** Where the IDX files are (default: the Debian package's directory). */
  sourceDir?: string;
  cacheRoot?: string;
}

export function loadFashionMnist(size: number, options: ImageLoadOptions = {}): LoadedImages {
  const sourceDir = options.sourceDir ?? FASHION_MNIST_DIR;
  const sources = Object.fromEntries(Object.entries(SOURCES).map(([k, file]) => [k, readSource(sourceDir, file)])) as Record<keyof typeof SOURCES, Uint8Array>;
  const key = createHash('sha256').update(JSON.stringify({ version: LOADER_VERSION, dataset: 'fashion_mnist', size }));
  for (const bytes of Object.values(sources)) key.update(createHash('sha256').update(bytes).digest('hex'));
  const dir = resolve(options.cacheRoot ?? DEFAULT_IMAGE_CACHE_ROOT, key.digest('hex').slice(0, 16));
  const cached = readCache(dir, size);
  if (cached !== undefined) return { data: cached, dir, outcome: 'hit' };
  const split = (images: Uint8Array, labels: Uint8Array, which: string): ImageSplit => {
    const x = parseIdx(images, `${which} images`);
    const y = parseIdx(labels, `${which} labels`);
    if (x.dims.length !== 3 || x.dims[1] !== x.dims[2] || y.dims.length !== 1 || y.dims[0] !== x.dims[0]) {
      throw new DataError('data/bad-idx', `Fashion-MNIST ${which}: images [${x.dims.join(', ')}] and labels [${y.dims.join(', ')}] do not match`, `reinstall ${FASHION_MNIST_PACKAGE}`);
    }
    return { images: downsampleImages(x.data, x.dims[0]!, x.dims[1]!, size), labels: Uint8Array.from(y.data), count: x.dims[0]! };
  };
  const data: ImageDataset = {
    name: 'fashion_mnist', size, channels: 1, classes: 10,
    train: split(sources.trainImages, sources.trainLabels, 'train'),
    test: split(sources.testImages, sources.testLabels, 'test'),
  };
  writeCache(dir, data);
  return { data, dir, outcome: 'built' };
}

function readSource(dir: string, file: string): Uint8Array {
  const path = join(dir, file);
  if (!existsSync(path)) {
    throw new DataError('data/missing-dataset', `Fashion-MNIST is not installed: ${path} does not exist`,
      `install the Debian package ${FASHION_MNIST_PACKAGE} (\`sudo apt-get install ${FASHION_MNIST_PACKAGE}\`, or run scripts/setup.sh)`);
  }
  return new Uint8Array(readFileSync(path));
}

type CacheFile = 'train-x.f32' | 'train-y.u8' | 'test-x.f32' | 'test-y.u8';

interface Manifest {
  version: number;
  size: number;
  counts: { train: number; test: number };
  files: Record<CacheFile, { bytes: number; sha256: string }>;
}

function cacheArrays(data: ImageDataset): Record<CacheFile, Uint8Array> {
  const bytes = (a: Float32Array | Uint8Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  return { 'train-x.f32': bytes(data.train.images), 'train-y.u8': data.train.labels, 'test-x.f32': bytes(data.test.images), 'test-y.u8': data.test.labels };
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function writeCache(dir: string, data: ImageDataset): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const files = {} as Manifest['files'];
  for (const [name, bytes] of Object.entries(cacheArrays(data)) as [CacheFile, Uint8Array][]) {
    writeFileSync(join(dir, `${name}.tmp`), bytes);
    renameSync(join(dir, `${name}.tmp`), join(dir, name));
    files[name] = { bytes: bytes.byteLength, sha256: sha256(bytes) };
  }
  const manifest: Manifest = { version: LOADER_VERSION, size: data.size, counts: { train: data.train.count, test: data.test.count }, files };
  writeFileSync(join(dir, 'manifest.json.tmp'), JSON.stringify(manifest, null, 2));
  renameSync(join(dir, 'manifest.json.tmp'), join(dir, 'manifest.json'));
}

/** The cached dataset, or undefined when the cache is absent, incomplete or does not match its manifest. */
function readCache(dir: string, size: number): ImageDataset | undefined {
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) return undefined;
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
  if (manifest.version !== LOADER_VERSION || manifest.size !== size) return undefined;
  const read = {} as Record<CacheFile, Uint8Array>;
  for (const [name, expected] of Object.entries(manifest.files) as [CacheFile, Manifest['files'][CacheFile]][]) {
    const path = join(dir, name);
    if (!existsSync(path)) return undefined;
    const bytes = new Uint8Array(readFileSync(path));
    if (bytes.byteLength !== expected.bytes || sha256(bytes) !== expected.sha256) return undefined;
    read[name] = bytes;
  }
  const floats = (b: Uint8Array) => new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  return {
    name: 'fashion_mnist', size, channels: 1, classes: 10,
    train: { images: floats(read['train-x.f32']), labels: read['train-y.u8'], count: manifest.counts.train },
    test: { images: floats(read['test-x.f32']), labels: read['test-y.u8'], count: manifest.counts.test },
  };
}
