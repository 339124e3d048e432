// The text of the LM1B stand-in (the paper's transformer LM on LM1B; LM1B cannot be downloaded
// here): the licence texts every Debian machine has, /usr/share/common-licenses (package
// `base-files`, essential), every regular file (symlinks are duplicates) in name order, joined,
// read as bytes: a byte-level vocabulary of 256. The last TEST_SHARE of the bytes is the test text.
// Cached content-addressed (util/array-folder.ts) by the files' names and SHA-256, like the images.
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataError } from '../targets/errors.js';
import { arrayFolder, readArrays, writeArrays } from '../util/array-folder.js';

export const LICENSES_DIR = '/usr/share/common-licenses';
export const LICENSES_PACKAGE = 'base-files';
export const TEXT_ROOT = join('.cache', 'gmn', 'text');
export const TEXT_VERSION = 1;
export const TEST_SHARE = 0.1;

export interface TextCorpus {
  name: string;
  /** Byte values 0..255. */
  train: Uint8Array;
  test: Uint8Array;
  /** The files read, in order. */
  files: string[];
}

/** The corpus's bytes: every regular file of `dir` in name order, concatenated. */
export function corpusBytes(dir: string): { bytes: Uint8Array; files: string[] } {
  if (!existsSync(dir)) {
    throw new DataError('data/missing-dataset', `the licence texts are not installed: ${dir} does not exist`,
      `install the Debian package ${LICENSES_PACKAGE} (\`sudo apt-get install --reinstall ${LICENSES_PACKAGE}\`)`);
  }
  const files = readdirSync(dir).filter((f) => lstatSync(join(dir, f)).isFile()).sort();
  if (files.length === 0) throw new DataError('data/missing-dataset', `${dir} holds no licence texts`, `reinstall the Debian package ${LICENSES_PACKAGE}`);
  const parts = files.map((f) => readFileSync(join(dir, f)));
  return { bytes: new Uint8Array(Buffer.concat(parts)), files };
}

/** The licence corpus split into train and test bytes (the LM stand-in's data `common_licenses`). */
export function loadLicenseCorpus(options: { dir?: string; root?: string } = {}): { data: TextCorpus; dir: string; outcome: 'hit' | 'built' } {
  const { bytes, files } = corpusBytes(options.dir ?? LICENSES_DIR);
  const cut = Math.floor((1 - TEST_SHARE) * bytes.length);
  const identity = { format: 'text-bytes', version: TEXT_VERSION, key: { files, sha256: createHash('sha256').update(bytes).digest('hex'), testShare: TEST_SHARE } };
  const dir = arrayFolder(options.root ?? TEXT_ROOT, identity);
  const shapes = { train: [cut], test: [bytes.length - cut] };
  const corpus = (train: Float32Array, test: Float32Array): TextCorpus => ({ name: 'common_licenses', train: Uint8Array.from(train), test: Uint8Array.from(test), files });
  const cached = readArrays(dir, identity, shapes);
  if (cached.ok) return { data: corpus(cached.arrays.train, cached.arrays.test), dir, outcome: 'hit' };
  const arrays = { train: Float32Array.from(bytes.subarray(0, cut)), test: Float32Array.from(bytes.subarray(cut)) };
  writeArrays(dir, identity, shapes, arrays);
  return { data: corpus(arrays.train, arrays.test), dir, outcome: 'built' };
}
