// The learned-optimizer stand-ins' data, against independent computations: coloured Fashion-MNIST
// (the CIFAR-10 stand-in) decodes back to its greyscale image, brighter than its background, MNIST digit pairs (CIFAR-100) hold
// the digits their label names from the right split, the licence corpus is the files' bytes; each
// cache hits, and is rebuilt when damaged; missing sources are DataErrors naming the package.
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { BACKGROUND, FOREGROUND, imageColours, loadColourFashionMnist } from '../../runtime/data/colour-images.js';
import { loadDigitPairs, splitRange } from '../../runtime/data/digit-pairs.js';
import { FASHION_MNIST_DIR, loadFashionMnist } from '../../runtime/data/fashion-mnist.js';
import { corpusBytes, LICENSES_DIR, loadLicenseCorpus } from '../../runtime/data/text-corpus.js';
import { DataError } from '../../runtime/targets/errors.js';
import { Rng } from '../../runtime/util/rng.js';

const scratch = mkdtempSync(join(tmpdir(), 'gmn-lopt-data-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function idx(dims: number[], data: Uint8Array): Uint8Array {
  const header = new Uint8Array(4 + 4 * dims.length);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((d, i) => new DataView(header.buffer).setUint32(4 + 4 * i, d, false));
  return new Uint8Array(gzipSync(Buffer.concat([header, data])));
}

function fakeFashionPackage(dir: string, train: number, test: number): void {
  mkdirSync(dir, { recursive: true });
  const rng = new Rng(7);
  const bytes = (n: number, max: number) => Uint8Array.from({ length: n }, () => rng.int(max));
  writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), idx([train, 28, 28], bytes(train * 784, 256)));
  writeFileSync(join(dir, 'train-labels-idx1-ubyte.gz'), idx([train], bytes(train, 10)));
  writeFileSync(join(dir, 't10k-images-idx3-ubyte.gz'), idx([test, 28, 28], bytes(test * 784, 256)));
  writeFileSync(join(dir, 't10k-labels-idx1-ubyte.gz'), idx([test], bytes(test, 10)));
}

/** x from one coloured pixel: the channel where foreground and background differ most, inverted. */
function decode(rgb: ArrayLike<number>, f: number[], b: number[]): number {
  const c = [0, 1, 2].reduce((best, k) => (Math.abs(f[k]! - b[k]!) > Math.abs(f[best]! - b[best]!) ? k : best), 0);
  return (rgb[c]! - b[c]!) / (f[c]! - b[c]!);
}

describe('coloured Fashion-MNIST (the CIFAR-10 stand-in)', () => {
  it('every image is its greyscale image in a foreground and background colour; the cache hits and is rebuilt when damaged', () => {
    const sourceDir = join(scratch, 'fashion');
    fakeFashionPackage(sourceDir, 6, 4);
    const options = { sourceDir, cacheRoot: join(scratch, 'grey'), colourRoot: join(scratch, 'colour') };
    const first = loadColourFashionMnist(options);
    expect(first.outcome).toBe('built');
    const grey = loadFashionMnist(8, options).data;
    const { data } = first;
    expect([data.size, data.channels, data.classes, data.train.count, data.test.count]).toEqual([8, 3, 10, 6, 4]);
    expect([...data.test.labels]).toEqual([...grey.test.labels]);
    for (const [split, seedColours] of [[data.train, imageColours(101, 6)], [data.test, imageColours(102, 4)]] as const) {
      const greySplit = split === data.train ? grey.train : grey.test;
      seedColours.forEach(([f, b], n) => {
        // A bright item on a dark background, whatever the colours.
        for (let c = 0; c < 3; c++) {
          expect(f[c]!).toBeGreaterThanOrEqual(FOREGROUND[0]);
          expect(b[c]!).toBeLessThanOrEqual(BACKGROUND[1]);
        }
        for (let p = 0; p < 64; p++) {
          const rgb = split.images.subarray((n * 64 + p) * 3, (n * 64 + p + 1) * 3);
          expect(decode(rgb, f, b)).toBeCloseTo(greySplit.images[n * 64 + p]!, 4);
          // Every channel lies between the two colours (a convex mix).
          for (let c = 0; c < 3; c++) expect(rgb[c]!).toBeGreaterThanOrEqual(Math.min(f[c]!, b[c]!) - 1e-6);
        }
      });
    }
    expect(loadColourFashionMnist(options).outcome).toBe('hit');
    writeFileSync(join(first.dir, 'test.f32'), new Uint8Array(4 * 192 * 4));
    const rebuilt = loadColourFashionMnist(options);
    expect(rebuilt.outcome).toBe('built');
    expect([...rebuilt.data.test.images]).toEqual([...data.test.images]);
  });

  it('names the Debian package when Fashion-MNIST is missing', () => {
    expect(() => loadColourFashionMnist({ sourceDir: join(scratch, 'nowhere'), cacheRoot: join(scratch, 'grey'), colourRoot: join(scratch, 'colour') }))
      .toThrow(expect.objectContaining({ code: 'data/missing-dataset', hint: expect.stringContaining('dataset-fashion-mnist') }));
  });

  it.skipIf(!existsSync(FASHION_MNIST_DIR))('the installed package gives 60000 + 10000 images of 192 inputs in [0, 1]', () => {
    const { data } = loadColourFashionMnist({ cacheRoot: join(scratch, 'real-grey'), colourRoot: join(scratch, 'real-colour') });
    expect([data.train.images.length, data.test.images.length]).toEqual([60000 * 192, 10000 * 192]);
    expect(data.test.images.every((x) => x >= 0 && x <= 1)).toBe(true);
  }, 60_000);
});

describe('MNIST digit pairs (the CIFAR-100 stand-in)', () => {
  // Ten digits per class; digit j of class k is the constant image of byte 10k + j, so every
  // downsampled pixel names the digit it came from.
  const digits = Array.from({ length: 10 }, (_, k) => Array.from({ length: 10 }, (_, j) => new Array<number>(784).fill((10 * k + j) / 255)).flat());

  it('label i mod 100; R the tens digit and G the units digit, each from its split, B their mean', () => {
    const options = { root: join(scratch, 'pairs'), digits, counts: { train: 300, test: 200 } };
    const first = loadDigitPairs(options);
    expect(first.outcome).toBe('built');
    const { data } = first;
    expect([data.size, data.channels, data.classes]).toEqual([8, 3, 100]);
    const [trainFirst, trainEnd] = splitRange(10, 'train');
    expect([trainFirst, trainEnd]).toEqual([0, 8]);
    for (const [name, split] of [['train', data.train], ['test', data.test]] as const) {
      const [lo, hi] = splitRange(10, name);
      for (let n = 0; n < split.count; n++) {
        const label = split.labels[n]!;
        expect(label).toBe(n % 100);
        for (let p = 0; p < 64; p++) {
          const [r, g, b] = split.images.subarray((n * 64 + p) * 3, (n * 64 + p + 1) * 3);
          const tens = Math.round(r! * 255);
          const units = Math.round(g! * 255);
          expect(Math.floor(tens / 10)).toBe(Math.floor(label / 10));
          expect(Math.floor(units / 10)).toBe(label % 10);
          expect(tens % 10).toBeGreaterThanOrEqual(lo);
          expect(tens % 10).toBeLessThan(hi);
          expect(units % 10).toBeGreaterThanOrEqual(lo);
          expect(units % 10).toBeLessThan(hi);
          expect(b!).toBeCloseTo((r! + g!) / 2, 6);
        }
      }
    }
    expect(loadDigitPairs(options).outcome).toBe('hit');
    writeFileSync(join(first.dir, 'train-y.f32'), new Uint8Array(300 * 4));
    const rebuilt = loadDigitPairs(options);
    expect(rebuilt.outcome).toBe('built');
    expect([...rebuilt.data.train.labels]).toEqual([...data.train.labels]);
  });

  it('the npm package gives 50000 + 10000 pairs of 192 inputs, every class 500 and 100 times', () => {
    const { data } = loadDigitPairs({ root: join(scratch, 'real-pairs') });
    expect([data.train.images.length, data.test.images.length]).toEqual([50000 * 192, 10000 * 192]);
    const counts = new Array<number>(100).fill(0);
    for (const y of data.test.labels) counts[y]! += 1;
    expect(counts).toEqual(new Array<number>(100).fill(100));
    expect(data.train.images.every((x) => x >= 0 && x <= 1)).toBe(true);
  }, 60_000);
});

describe('the licence corpus (the LM1B stand-in)', () => {
  it('is the regular files in name order, symlinks skipped, split 90/10; cached', () => {
    const dir = join(scratch, 'licenses');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'B'), 'second file\n');
    writeFileSync(join(dir, 'A'), 'first file, a little longer than the second\n');
    symlinkSync('A', join(dir, 'C'));
    expect(corpusBytes(dir).files).toEqual(['A', 'B']);
    const root = join(scratch, 'text');
    const first = loadLicenseCorpus({ dir, root });
    const text = Buffer.from('first file, a little longer than the second\nsecond file\n');
    const cut = Math.floor(0.9 * text.length);
    expect(Buffer.from(first.data.train).equals(text.subarray(0, cut))).toBe(true);
    expect(Buffer.from(first.data.test).equals(text.subarray(cut))).toBe(true);
    expect(first.outcome).toBe('built');
    expect(loadLicenseCorpus({ dir, root }).outcome).toBe('hit');
  });

  it('names base-files when the texts are missing', () => {
    try {
      loadLicenseCorpus({ dir: join(scratch, 'no-licenses'), root: join(scratch, 'text') });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DataError);
      expect((e as DataError).hint).toContain('base-files');
    }
  });

  it.skipIf(!existsSync(LICENSES_DIR))('the installed texts: every regular file\'s bytes', () => {
    const { data } = loadLicenseCorpus({ root: join(scratch, 'real-text') });
    const regular = readdirSync(LICENSES_DIR).filter((f) => lstatSync(join(LICENSES_DIR, f)).isFile());
    expect(data.train.length + data.test.length).toBe(regular.reduce((a, f) => a + statSync(join(LICENSES_DIR, f)).size, 0));
    expect(data.test.length).toBeGreaterThan(10_000);
  });
});
