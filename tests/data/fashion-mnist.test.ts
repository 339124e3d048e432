// Fashion-MNIST for the learned-optimizer task: IDX parsing, area downsampling (block means, mean
// brightness kept), the content-addressed cache (hit, rebuilt when damaged), the error that names
// the Debian package when the data is missing, and the real package's files when installed.
import { existsSync, mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { downsampleImages } from '../../runtime/data/downsample.js';
import { FASHION_MNIST_DIR, loadFashionMnist } from '../../runtime/data/fashion-mnist.js';
import { parseIdx } from '../../runtime/data/idx.js';
import { DataError } from '../../runtime/targets/errors.js';
import { Rng } from '../../runtime/util/rng.js';

const scratch = mkdtempSync(join(tmpdir(), 'gmn-fmnist-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function idx(dims: number[], data: Uint8Array): Uint8Array {
  const header = new Uint8Array(4 + 4 * dims.length);
  header[2] = 0x08;
  header[3] = dims.length;
  const view = new DataView(header.buffer);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  return new Uint8Array(gzipSync(Buffer.concat([header, data])));
}

/** A fake package directory: `train` and `test` random 28×28 images with labels. */
function fakePackage(dir: string, train: number, test: number): void {
  mkdirSync(dir, { recursive: true });
  const rng = new Rng(1);
  const bytes = (n: number, max: number) => Uint8Array.from({ length: n }, () => rng.int(max));
  writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), idx([train, 28, 28], bytes(train * 784, 256)));
  writeFileSync(join(dir, 'train-labels-idx1-ubyte.gz'), idx([train], bytes(train, 10)));
  writeFileSync(join(dir, 't10k-images-idx3-ubyte.gz'), idx([test, 28, 28], bytes(test * 784, 256)));
  writeFileSync(join(dir, 't10k-labels-idx1-ubyte.gz'), idx([test], bytes(test, 10)));
}

describe('IDX and downsampling', () => {
  it('parses gzip-compressed IDX byte arrays and rejects other files with a DataError', () => {
    const parsed = parseIdx(idx([2, 3], Uint8Array.of(1, 2, 3, 4, 5, 6)), 'x');
    expect(parsed.dims).toEqual([2, 3]);
    expect([...parsed.data]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(() => parseIdx(Uint8Array.of(1, 2, 3, 4), 'x')).toThrow(DataError);
    expect(() => parseIdx(idx([2, 3], Uint8Array.of(1, 2, 3)), 'x')).toThrow(/3 data bytes/);
  });

  it('4×4 → 2×2 gives the block means; 28×28 → 8×8 keeps a constant image and the mean brightness', () => {
    const img = Uint8Array.from({ length: 16 }, (_, i) => i * 10);
    const out = downsampleImages(img, 1, 4, 2);
    const block = (r: number, c: number) => [0, 1].flatMap((i) => [0, 1].map((j) => img[(2 * r + i) * 4 + 2 * c + j]!)).reduce((a, b) => a + b, 0) / 4 / 255;
    expect([...out].map((x) => x.toFixed(5))).toEqual([block(0, 0), block(0, 1), block(1, 0), block(1, 1)].map((x) => x.toFixed(5)));
    expect([...downsampleImages(new Uint8Array(784).fill(51), 1, 28, 8)].every((x) => Math.abs(x - 0.2) < 1e-6)).toBe(true);
    const rng = new Rng(2);
    const random = Uint8Array.from({ length: 784 }, () => rng.int(256));
    const mean = random.reduce((a, b) => a + b, 0) / 784 / 255;
    const small = downsampleImages(random, 1, 28, 8);
    expect(small.reduce((a, b) => a + b, 0) / 64).toBeCloseTo(mean, 5);
  });
});

describe('loadFashionMnist', () => {
  it('builds the cache, then hits it, and rebuilds it when an array is damaged', () => {
    const source = join(scratch, 'pkg');
    const cacheRoot = join(scratch, 'cache');
    fakePackage(source, 5, 3);
    const first = loadFashionMnist(8, { sourceDir: source, cacheRoot });
    expect(first.outcome).toBe('built');
    expect(first.data.train.images.length).toBe(5 * 64);
    expect(first.data.test.count).toBe(3);
    const second = loadFashionMnist(8, { sourceDir: source, cacheRoot });
    expect(second.outcome).toBe('hit');
    expect(second.dir).toBe(first.dir);
    expect([...second.data.train.images]).toEqual([...first.data.train.images]);
    expect([...second.data.test.labels]).toEqual([...first.data.test.labels]);
    writeFileSync(join(first.dir, 'test-x.f32'), new Uint8Array(3 * 64 * 4));
    expect(loadFashionMnist(8, { sourceDir: source, cacheRoot }).outcome).toBe('built');
    // Another size is another cache entry.
    expect(loadFashionMnist(4, { sourceDir: source, cacheRoot }).dir).not.toBe(first.dir);
    expect(readdirSync(cacheRoot).length).toBe(2);
  });

  it('names the Debian package when the files are missing', () => {
    try {
      loadFashionMnist(8, { sourceDir: join(scratch, 'nowhere'), cacheRoot: join(scratch, 'cache') });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DataError);
      expect((e as DataError).code).toBe('data/missing-dataset');
      expect((e as DataError).hint).toContain('dataset-fashion-mnist');
    }
  });

  it.skipIf(!existsSync(FASHION_MNIST_DIR))('reads the installed package: 60000 + 10000 8×8 images in [0, 1], ten classes', () => {
    const { data } = loadFashionMnist(8, { cacheRoot: join(scratch, 'real') });
    expect([data.train.count, data.test.count]).toEqual([60000, 10000]);
    expect(data.train.images.length).toBe(60000 * 64);
    expect(data.train.images.every((x) => x >= 0 && x <= 1)).toBe(true);
    const counts = new Array<number>(10).fill(0);
    for (const y of data.test.labels) counts[y]! += 1;
    expect(counts).toEqual(new Array<number>(10).fill(1000));
  }, 30_000);
});
