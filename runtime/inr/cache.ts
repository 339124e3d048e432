// The on-disk cache of fitted INR datasets: .cache/gmn/inr/<hash>/ under the working directory,
// where <hash> covers everything the fit depends on (the target's spec, the image collection, the
// count, the fitting settings, the seed and FIT_VERSION). Stored as a content-addressed folder of
// float32 arrays (runtime/util/array-folder.ts: theta [count, P], psnr [count]): a folder without a
// sound manifest is refitted, never used.
import { join } from 'node:path';
import type { TargetLayout } from '../../compiler/spaces/target.js';
import { arrayFolder, readArrays, writeArrays, type FolderIdentity } from '../util/array-folder.js';
import type { FittedInrs } from './fit.js';
import type { ImageSource } from './images.js';

/** Bump whenever fitting changes what it produces for the same key. */
export const FIT_VERSION = 1;
export const INR_CACHE_ROOT = join('.cache', 'gmn', 'inr');

export interface InrFitKey {
  target: TargetLayout['spec'];
  images: ImageSource;
  count: number;
  steps: number;
  lr: number;
  batch: number;
  seed: number;
}

type ArrayName = 'theta' | 'psnr';

export type CachedFits = { fits: FittedInrs; dir: string; outcome: { kind: 'hit' } | { kind: 'fitted'; reason: string } };

/** The fitted INRs of `key`, from the cache when sound, else from `fit` (then stored). */
export async function cachedFits(layout: TargetLayout, key: InrFitKey, fit: () => Promise<FittedInrs>, root = INR_CACHE_ROOT): Promise<CachedFits> {
  const identity: FolderIdentity<InrFitKey> = { format: 'gmn-inr-fits', version: FIT_VERSION, key };
  const dir = arrayFolder(root, identity);
  const shapes: Record<ArrayName, number[]> = { theta: [key.count, layout.paramCount], psnr: [key.count] };
  const found = readArrays(dir, identity, shapes);
  if (found.ok) return { fits: { theta: found.arrays.theta, psnr: found.arrays.psnr }, dir, outcome: { kind: 'hit' } };
  const fits = await fit();
  writeArrays(dir, identity, shapes, fits);
  return { fits, dir, outcome: { kind: 'fitted', reason: found.reason } };
}
