// What the flat set of b·P items can and cannot say about a CNN's Fisher diagonal (issue 30), on a
// curvature task's own dataset (read from the data cache, generated if absent). Per parameter p:
//   standard    mean_e (Σ_s t_{e,s,p})²   the standard estimator: each image's gradient (the sum
//               of its P position terms t) squared — what `standard_estimator` computes from Θ_b
//   flat        mean_e Σ_s t_{e,s,p}²      the same without the cross-position products: the second
//               moment of the items themselves, all that a statistic of single items of the flat set
//               can form (which items share an image is not in the set)
// Both raw and recalibrated (one least-squares line per parameter block, fitted on the training
// pool's first n sets, runtime/tasks/recalibration.ts), as relative test MSE (MSE / Var of the test
// labels, the task's metric), and the share of the standard estimator that the cross products make.
//
//   npx esbuild scripts/curvature-cnn-flat-set.ts --bundle --platform=node --format=esm --packages=external \
//     --define:GMN_VERSION='"dev"' --define:GMN_BUILD_COMMIT=null --outfile=dist/curvature-cnn-flat-set.mjs
//   node dist/curvature-cnn-flat-set.mjs FILE PRESET CACHE_ROOT > OUT.json
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { DiagnosticError } from '../compiler/diagnostics/diagnostic.js';
import { check } from '../runtime/api/check.js';
import { loadCurvatureData } from '../runtime/data/cache.js';
import { splitCurvatureData, type Split } from '../runtime/data/splits.js';
import { gradientsFromFactors } from '../runtime/targets/factors.js';
import { applyRecalibration, fitRecalibration } from '../runtime/tasks/recalibration.js';
import { taskConfig } from '../runtime/tasks/task-config.js';
import { taskTarget } from '../runtime/tasks/task-target.js';

const [file, preset, cacheRoot] = process.argv.slice(2);
if (file === undefined || preset === undefined || cacheRoot === undefined) {
  process.stderr.write('usage: node dist/curvature-cnn-flat-set.mjs FILE PRESET CACHE_ROOT > OUT.json\n');
  process.exit(2);
}
const checked = check(resolve(file));
if (!checked.ok) throw new DiagnosticError(checked.diagnostics);
const root = checked.program.roots[0]!;
const task = [...root.symbols.tasks.values()][0]!;
const config = taskConfig(task, preset);
const target = taskTarget(root, task, config.target);
const loaded = loadCurvatureData(target, config.data, config.label, { root: cacheRoot });
const data = loaded.data;
if (data.labelWidth !== target.paramCount) throw new Error(`a per-parameter label is needed, not ${config.label}`);
const splits = splitCurvatureData(data, config.splits, config.trainSizes);
const P = target.paramCount;
const b = data.points;
const items = data.itemsPerExample;
const setSize = b * items * target.neuronCount * 2;

/** Both statistics of every set of a split, [count, P] each. */
function statistics(split: Split): { standard: Float64Array; flat: Float64Array; labels: Float64Array } {
  const standard = new Float64Array(split.count * P);
  const flat = new Float64Array(split.count * P);
  for (let k = 0; k < split.count; k++) {
    const m = split.start + k;
    const factors = Float64Array.from(data.grads.subarray(m * setSize, (m + 1) * setSize));
    const perImage = gradientsFromFactors(target, factors, b, items);
    const perItem = gradientsFromFactors(target, factors, b * items, 1);
    for (let i = 0; i < b * P; i++) standard[k * P + (i % P)] += perImage[i]! ** 2 / b;
    for (let i = 0; i < b * items * P; i++) flat[k * P + (i % P)] += perItem[i]! ** 2 / b;
  }
  return { standard, flat, labels: Float64Array.from(data.labels.subarray(split.start * P, (split.start + split.count) * P)) };
}

function relativeMse(predicted: Float64Array, labels: Float64Array): number {
  const mean = labels.reduce((a, v) => a + v, 0) / labels.length;
  let error = 0;
  let spread = 0;
  for (let i = 0; i < labels.length; i++) {
    error += (predicted[i]! - labels[i]!) ** 2;
    spread += (labels[i]! - mean) ** 2;
  }
  return error / spread;
}

const groupOf = new Array<number>(P).fill(0);
target.params.forEach((block, k) => groupOf.fill(k, block.offset, block.offset + block.rows * (block.cols ?? 1)));
const test = statistics(splits.test);
const pool = statistics(splits.train);
let cross = 0;
let total = 0;
for (let i = 0; i < test.standard.length; i++) {
  cross += Math.abs(test.standard[i]! - test.flat[i]!);
  total += Math.abs(test.standard[i]!);
}
const recalibrated = config.trainSizes.map((n) => {
  const fit = (x: Float64Array, fromTest: Float64Array) => applyRecalibration(
    fitRecalibration(x.subarray(0, n * P), pool.labels.subarray(0, n * P), groupOf, target.params.length), fromTest, groupOf);
  return {
    trainSize: n,
    standard: relativeMse(fit(pool.standard, test.standard), test.labels),
    flat: relativeMse(fit(pool.flat, test.flat), test.labels),
  };
});
process.stdout.write(`${JSON.stringify({
  task: config.name, preset, target: target.name, data: config.data, itemsPerExample: items,
  cache: loaded.outcome.kind, testSets: splits.test.count,
  metric: 'relative test MSE (MSE / Var of test labels)',
  raw: { standard: relativeMse(test.standard, test.labels), flat: relativeMse(test.flat, test.labels) },
  recalibrated,
  crossShare: cross / total,
  machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', loadavg: loadavg() },
}, null, 2)}\n`);
