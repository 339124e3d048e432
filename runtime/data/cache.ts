// The on-disk cache of generated curvature datasets: .cache/gmn/curvature/<hash>/ under the working
// directory, where <hash> covers everything the data depends on (the target's spec, the data config,
// the label kind and GENERATOR_VERSION). Stored as a content-addressed folder of float32 arrays
// (runtime/util/array-folder.ts): a folder whose manifest is missing or does not match, or whose
// files have the wrong size or checksum, is regenerated, never used.
import { join } from 'node:path';
import type { TargetLayout } from '../../compiler/spaces/target.js';
import type { DataConfig, LabelKind } from '../tasks/task-config.js';
import { arrayFolder, readArrays, writeArrays, type FolderIdentity } from '../util/array-folder.js';
import { itemsPerExample } from '../../compiler/spaces/elaborate.js';
import { fashionMnistPool } from './fashion-mnist-pool.js';
import { generateCurvatureData, setItems, type CurvatureData, type Progress } from './curvature.js';
import { labelWidth } from './labels.js';

/** Bump whenever generation changes what it produces for the same key (invalidates every cache). */
export const GENERATOR_VERSION = 1;

export const DEFAULT_CACHE_ROOT = join('.cache', 'gmn', 'curvature');

export interface CacheOptions {
  /** Directory holding one folder per dataset (default `.cache/gmn/curvature` in the working directory). */
  root?: string;
  /** Called after each generated model (not on a cache hit). */
  progress?: Progress;
}

export type CacheOutcome = { kind: 'hit' } | { kind: 'generated'; reason: string };

export interface CachedData {
  data: CurvatureData;
  /** The dataset's cache directory. */
  dir: string;
  outcome: CacheOutcome;
}

type ArrayName = 'theta' | 'mixture' | 'grads' | 'labels';

interface CacheKey {
  target: TargetLayout['spec'];
  data: DataConfig;
  label: LabelKind;
}

/** The dataset for (target, config, label), from the cache when it is there and sound, else generated and stored. */
export function loadCurvatureData(layout: TargetLayout, config: DataConfig, label: LabelKind, options: CacheOptions = {}): CachedData {
  const key: CacheKey = { target: layout.spec, data: config, label };
  const dir = cacheDir(key, options.root ?? DEFAULT_CACHE_ROOT);
  const shapes = arrayShapes(layout, config, label);
  const found = readArrays(dir, identity(key), shapes);
  if (found.ok) {
    const a = found.arrays;
    const data: CurvatureData = {
      layout, config, label, models: config.models, points: config.points, itemsPerExample: itemsPerExample(layout.spec), labelWidth: labelWidth(layout, label),
      theta: a.theta, mixture: a.mixture, grads: a.grads, labels: a.labels,
    };
    return { data, dir, outcome: { kind: 'hit' } };
  }
  const data = generateCurvatureData(layout, config, label, { progress: options.progress, images: fashionMnistPool });
  writeArrays(dir, identity(key), shapes, data);
  return { data, dir, outcome: { kind: 'generated', reason: found.reason } };
}

/** The cache directory of a dataset: <root>/<first 16 hex digits of SHA-256(version, key)>. */
export function cacheDir(key: CacheKey, root: string): string {
  return arrayFolder(root, identity(key));
}

function identity(key: CacheKey): FolderIdentity<CacheKey> {
  return { format: 'gmn-curvature-data', version: GENERATOR_VERSION, key };
}

function arrayShapes(layout: TargetLayout, config: DataConfig, label: LabelKind): Record<ArrayName, number[]> {
  return {
    theta: [config.models, layout.paramCount],
    mixture: [config.models],
    grads: [config.models, setItems(layout, config), layout.neuronCount, 2],
    labels: [config.models, labelWidth(layout, label)],
  };
}
