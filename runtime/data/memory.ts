// What a curvature dataset costs in memory, known from its configuration alone — so a dataset that
// cannot fit is refused before generation allocates anything, instead of failing deep inside it
// (an out-of-memory crash, or V8's "Invalid typed array length").
import { freemem } from 'node:os';
import type { TargetLayout } from '../../compiler/spaces/target.js';
import type { DataConfig, LabelKind } from '../tasks/task-config.js';
import { setItems } from './curvature.js';
import { labelWidth } from './labels.js';
import { formatBytes } from '../util/format-bytes.js';

export { formatBytes };

/** The share of the memory available now that a dataset may take (generation and training need the rest). */
const MEMORY_SHARE = 0.6;
/** The largest Float32Array V8 allocates (2^32 elements): one array of the dataset must stay within it. */
const MAX_ARRAY_BYTES = 4 * 2 ** 32;

export interface DatasetMemory {
  /** Every array of the dataset, float32, in bytes. */
  arrays: { name: string; bytes: number }[];
  /** Float64 working memory of generating one model (per-example gradients for an empirical label). */
  working: number;
  total: number;
}

export function datasetMemory(layout: TargetLayout, config: DataConfig, label: LabelKind): DatasetMemory {
  const { models } = config;
  const items = setItems(layout, config);
  const arrays = [
    { name: `θ of ${models} ${layout.name} models`, bytes: 4 * models * layout.paramCount },
    { name: `their gradient sets (${items} × ${layout.neuronCount} neurons × 2)`, bytes: 4 * models * items * layout.neuronCount * 2 },
    { name: 'their labels', bytes: 4 * models * labelWidth(layout, label) },
  ];
  const working = 8 * (label === 'empirical_fisher_diag' ? config.labelPoints * layout.paramCount : config.labelPoints * layout.neuronCount * 2);
  return { arrays, working, total: arrays.reduce((n, a) => n + a.bytes, 0) + working };
}

/** Why the dataset cannot be held in memory here, or null when it can. */
export function datasetTooLarge(layout: TargetLayout, config: DataConfig, label: LabelKind, available = freemem()): string | null {
  const need = datasetMemory(layout, config, label);
  const budget = MEMORY_SHARE * available;
  const parts = need.arrays.map((a) => `${a.name}: ${formatBytes(a.bytes)}`).join(', ');
  if (need.total > budget) {
    return `the dataset needs ${formatBytes(need.total)} of memory (${parts}, generation ${formatBytes(need.working)}), `
      + `more than ${Math.round(MEMORY_SHARE * 100)}% of the ${formatBytes(available)} available on this machine`;
  }
  const largest = need.arrays.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  if (largest.bytes > MAX_ARRAY_BYTES) {
    return `the dataset's ${largest.name} take ${formatBytes(largest.bytes)} in one array, over the ${formatBytes(MAX_ARRAY_BYTES)} one array may hold`;
  }
  return null;
}

/** The most models whose dataset fits, for the hint (0 when not even one does). */
export function modelsThatFit(layout: TargetLayout, config: DataConfig, label: LabelKind, available = freemem()): number {
  const perModel = datasetMemory(layout, { ...config, models: 1 }, label);
  const arrays = perModel.total - perModel.working;
  const byMemory = Math.floor((MEMORY_SHARE * available - perModel.working) / arrays);
  const byArray = Math.floor(MAX_ARRAY_BYTES / Math.max(...perModel.arrays.map((a) => a.bytes)));
  return Math.max(0, Math.min(byMemory, byArray));
}
