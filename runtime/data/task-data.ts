// The dataset of a curvature-protocol task: read from its folder (`gradient_files`) or generated
// through the on-disk cache (`random_targets`), with one line saying which.
import type { TargetLayout } from '../../compiler/spaces/target.js';
import type { DataConfig, LabelKind } from '../tasks/task-config.js';
import { loadCurvatureData, type CacheOptions } from './cache.js';
import type { CurvatureData } from './curvature.js';
import { loadGradientFiles } from './gradient-files.js';

export function loadTaskData(layout: TargetLayout, config: DataConfig, label: LabelKind, options: CacheOptions = {}): { data: CurvatureData; note: string } {
  if (config.generator === 'gradient_files') {
    const data = loadGradientFiles(layout, config, label);
    return { data, note: `data: ${data.models} sets of ${data.points} gradients read from ${config.dir}` };
  }
  const cached = loadCurvatureData(layout, config, label, options);
  return { data: cached.data, note: cached.outcome.kind === 'hit' ? `data: cache hit (${cached.dir})` : `data: generated and cached in ${cached.dir} (${cached.outcome.reason})` };
}
