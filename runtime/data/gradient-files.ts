// A curvature-protocol dataset read from files (`data: gradient_files(dir: "...", points: b)`), in
// the conventions of `gmn run --dump-grads` (docs/grad-format.md) with a leading axis of sets:
//   factors.npy   [M, b, N, 2]   each set's b per-example gradients as rank-1 factors Γ_b
//   theta.npy     [M, P]         each set's network parameters, in the target's layout order
//   labels.npy    [M, P] for a per-parameter label (fisher_diag, empirical_fisher_diag, obd_saliency),
//                 [M] or [M, 1] for fisher_trace: what the nets learn to predict
//   manifest.json (optional)     a --dump-grads manifest; when present its neuronCount and
//                 paramCount must be the target's
// N and P are the task's target's; float32 or float64. The arrays become a CurvatureData (stored in
// float32 as generated data is), so splits, normalisation, training, report and resumption are the
// curvature task's. Every problem names the file and says what was expected.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { itemsPerExample } from '../../compiler/spaces/elaborate.js';
import type { TargetLayout } from '../../compiler/spaces/target.js';
import { readNpyTensor } from '../targets/npy.js';
import { DataError } from '../targets/errors.js';
import type { DataConfig, LabelKind } from '../tasks/task-config.js';
import type { CurvatureData } from './curvature.js';
import { labelWidth } from './labels.js';

const HINT = 'write the dataset as docs/gradient-files.md describes: factors.npy [M, b, N, 2], theta.npy [M, P], labels.npy [M, P] (or [M] for fisher_trace)';

export function loadGradientFiles(layout: TargetLayout, config: DataConfig, label: LabelKind): CurvatureData {
  const dir = config.dir;
  if (dir === undefined) throw new Error('internal: loadGradientFiles on a generated dataset');
  if (!existsSync(dir)) throw new DataError('data/missing-files', `the gradient dataset folder ${dir} is not there`, HINT);
  const N = layout.neuronCount;
  const P = layout.paramCount;
  checkManifest(join(dir, 'manifest.json'), layout);
  const factors = read(join(dir, 'factors.npy'));
  const M = factors.shape[0] ?? 0;
  const items = itemsPerExample(layout.spec);
  expectShape(join(dir, 'factors.npy'), factors.shape, [M, config.points * items, N, 2],
    `[sets, points${items === 1 ? '' : ` × ${items} items`}, neurons, 2] with points = ${config.points} (the task's gradient_files(points: ...)) and ${N} neurons (target ${layout.name})`);
  const theta = read(join(dir, 'theta.npy'));
  expectShape(join(dir, 'theta.npy'), theta.shape, [M, P], `[sets, parameters]: one θ of target ${layout.name} (${P} parameters) per set of factors.npy`);
  const width = labelWidth(layout, label);
  const labels = read(join(dir, 'labels.npy'));
  const labelShape = width === 1 && labels.shape.length === 1 ? [M] : [M, width];
  expectShape(join(dir, 'labels.npy'), labels.shape, labelShape,
    width === 1 ? `[sets] (or [sets, 1]): one ${label} value per set` : `[sets, parameters]: one ${label} value per parameter of target ${layout.name}, per set`);
  if (M < 1) throw new DataError('data/empty-files', `${join(dir, 'factors.npy')} holds no sets`, HINT);
  return {
    layout, config: { ...config, models: M }, label, models: M, points: config.points, itemsPerExample: items, labelWidth: width,
    theta: Float32Array.from(theta.values), mixture: new Float32Array(M).fill(Number.NaN),
    grads: Float32Array.from(factors.values), labels: Float32Array.from(labels.values),
  };
}

/**
 * SHA-256 of the dataset's files (those present), recorded in the run directory's configuration so
 * that a run resumed after the files changed is refused rather than mixed with the earlier results.
 */
export function gradientFilesFingerprint(dir: string): string {
  const hash = createHash('sha256');
  for (const name of ['factors.npy', 'theta.npy', 'labels.npy', 'manifest.json']) {
    const file = join(dir, name);
    hash.update(`${name}\0`);
    if (existsSync(file)) hash.update(readFileSync(file));
  }
  return hash.digest('hex').slice(0, 16);
}

function read(file: string): { shape: number[]; values: Float64Array } {
  if (!existsSync(file)) throw new DataError('data/missing-files', `the gradient dataset has no ${file}`, HINT);
  const array = readNpyTensor(file);
  const bad = array.values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    const row = array.values.length / Math.max(1, array.shape[0] ?? 1);
    throw new DataError('data/not-finite', `${file} holds ${array.values[bad]} in set ${Math.floor(bad / row)}`, 'drop or repair that set: every value must be a finite number', Math.floor(bad / row));
  }
  return array;
}

function expectShape(file: string, got: readonly number[], want: readonly number[], meaning: string): void {
  if (got.length === want.length && got.every((d, i) => d === want[i])) return;
  throw new DataError('data/wrong-shape', `${file} has shape [${got.join(', ')}], expected [${want.join(', ')}]: ${meaning}`, HINT);
}

function checkManifest(file: string, layout: TargetLayout): void {
  if (!existsSync(file)) return;
  let manifest: { format?: unknown; neuronCount?: unknown; paramCount?: unknown };
  try {
    manifest = JSON.parse(readFileSync(file, 'utf8')) as typeof manifest;
  } catch (e) {
    throw new DataError('data/bad-manifest', `${file} is not JSON: ${e instanceof Error ? e.message : String(e)}`, 'fix it, or remove it (the manifest is optional)');
  }
  if (manifest.format !== 'gmn-grads') throw new DataError('data/bad-manifest', `${file} is not a gmn-grads manifest (format ${JSON.stringify(manifest.format)})`, 'write format: "gmn-grads", or remove it (the manifest is optional)');
  if (manifest.neuronCount !== layout.neuronCount || manifest.paramCount !== layout.paramCount) {
    throw new DataError('data/wrong-target', `${file} describes ${String(manifest.neuronCount)} neurons and ${String(manifest.paramCount)} parameters, but target ${layout.name} has ${layout.neuronCount} and ${layout.paramCount}`,
      'declare the task\'s target with the widths the gradients were taken at');
  }
}
