// `gmn run FILE --dump-data DIR [--preset P]`: the curvature task's dataset exactly as it is trained
// on — the generated models' Γ_b sets, θ, labels and the fresh points the labels are taken over, the
// test/validation/training splits, and for each training-set size the normalisation statistics
// fitted on that training set — as .npy files and manifest.json (docs/datasets.md), for training
// other models on it outside gmn.
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TargetLayout } from '../../compiler/spaces/target.js';
import { checkSplitSizes, fitNormalisation, loadCurvatureData, modelSampler, splitCurvatureData, trainingSubset, type RangeStats } from '../data/index.js';
import { DataError } from '../targets/errors.js';
import { fashionMnistPool } from '../data/fashion-mnist-pool.js';
import { writeNpy } from '../targets/npy.js';
import type { TaskConfig } from './task-config.js';

export const DATA_FORMAT_VERSION = 1;

interface SplitEntry { start: number; count: number }

export interface DataManifest {
  format: 'gmn-curvature-dataset';
  version: number;
  task: string;
  preset: string;
  target: string;
  spec: TargetLayout['spec'];
  /** `fisher_diag`, `trace`, …: what each label row is (docs/datasets.md). */
  label: TaskConfig['label'];
  data: TaskConfig['data'];
  arrays: Record<string, { file: string; shape: number[] }>;
  /** Example k of a split is model `start + k`; a training set of size n is the first n of `train`. */
  splits: { test: SplitEntry; validation: SplitEntry; train: SplitEntry };
  trainSizes: number[];
  /** Per training-set size: the statistics fitted on that training set, x ↦ (x − mean) / std. */
  normalisation: Record<string, { grads: RangeStats[]; theta: RangeStats[]; labels: RangeStats }>;
  segments: TargetLayout['segments'];
  params: TargetLayout['params'];
  neuronCount: number;
  paramCount: number;
}

export interface DataDumpRequest {
  config: TaskConfig;
  layout: TargetLayout;
  dir: string;
  /** Hears generation progress when the dataset is not in the cache yet. */
  progress?: (done: number, total: number) => void;
}

export function dumpCurvatureData(req: DataDumpRequest): DataManifest {
  const { config, layout, dir } = req;
  if (existsSync(dir) && !statSync(dir).isDirectory()) {
    throw new DataError('dump/not-a-directory', `cannot dump the dataset into ${dir}: it is a file`, 'give --dump-data a directory path (it is created if missing)');
  }
  checkSplitSizes(config.data.models, config.splits, config.trainSizes);
  const { data } = loadCurvatureData(layout, config.data, config.label, req.progress === undefined ? {} : { progress: req.progress });
  const splits = splitCurvatureData(data, config.splits, config.trainSizes);
  mkdirSync(dir, { recursive: true });
  const arrays: DataManifest['arrays'] = {};
  const put = (key: string, values: Float32Array | Float64Array, shape: number[]): void => {
    writeNpy(join(dir, `${key}.npy`), values, shape, values instanceof Float64Array ? 'float64' : 'float32');
    arrays[key] = { file: `${key}.npy`, shape };
  };
  put('grads', data.grads, [data.models, data.points * data.itemsPerExample, layout.neuronCount, 2]);
  put('theta', data.theta, [data.models, layout.paramCount]);
  put('labels', data.labels, [data.models, data.labelWidth]);
  put('mixture', data.mixture, [data.models]);
  // Not part of the cached dataset: drawn again from each model's seeded stream, as generation did.
  const sample = modelSampler(layout, config.data, fashionMnistPool);
  const d0 = sample.inputWidth;
  const labelInputs = new Float64Array(data.models * config.data.labelPoints * d0);
  for (let i = 0; i < data.models; i++) labelInputs.set(sample.model(i).labelInputs, i * config.data.labelPoints * d0);
  put('label_inputs', labelInputs, [data.models, config.data.labelPoints, d0]);
  const normalisation: DataManifest['normalisation'] = {};
  for (const size of config.trainSizes) {
    const norm = fitNormalisation(trainingSubset(splits.train, size), ['grads', 'theta']);
    normalisation[String(size)] = { grads: [...norm.inputs.get('grads')!], theta: [...norm.inputs.get('theta')!], labels: norm.labels };
  }
  const entry = (s: { start: number; count: number }): SplitEntry => ({ start: s.start, count: s.count });
  const manifest: DataManifest = {
    format: 'gmn-curvature-dataset', version: DATA_FORMAT_VERSION, task: config.name, preset: config.preset,
    target: layout.name, spec: layout.spec, label: config.label, data: config.data, arrays,
    splits: { test: entry(splits.test), validation: entry(splits.validation), train: entry(splits.train) },
    trainSizes: config.trainSizes, normalisation,
    segments: layout.segments, params: layout.params, neuronCount: layout.neuronCount, paramCount: layout.paramCount,
  };
  writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
