// Normalisation of the curvature task (paper §4.4), from training-set statistics only:
//   grads (Γ_b)                       per neuron layer l, one mean and std over every entry of that
//                                     layer's factors (examples, set, neurons, both channels)
//   weight_grads, mean_grad, theta    per parameter block (each W_l, each b_l) one mean and std over
//                                     its entries in every example (and set element): the DWS scheme
//   labels                            one mean and std over all entries of all training labels
// x ↦ (x − mean) / std. A range that is constant on the training set (the output layer's factors
// are ∂f/∂f = 1 for every example) has std 0 and is only centred (std taken as 1).
// Nets without learned parameters (the standard estimator) read raw inputs instead, and every net's
// predictions go back to raw label units (denormaliseLabels) before errors are computed.
import { DataError } from '../targets/errors.js';
import type { CurvatureData } from './curvature.js';
import { exampleInput, exampleLabel, inputLayout, inputName, type InputName, type Range } from './inputs.js';
import { Moments } from './moments.js';
import type { Split } from './splits.js';

export interface RangeStats extends Range {
  mean: number;
  std: number;
}

export interface Normalisation {
  /** The training examples the statistics come from. */
  trainCount: number;
  /** Per requested input: the statistics of each range of its rows (shared: do not modify). */
  inputs: Map<InputName, readonly RangeStats[]>;
  /** The global label statistics (one range: the whole label row). */
  labels: RangeStats;
}

/** Statistics of `inputNames` and of the labels over the examples of `train` (and nothing else). */
export function fitNormalisation(train: Split, inputNames: readonly string[]): Normalisation {
  if (train.name !== 'train') {
    throw new DataError('data/not-training-split', `normalisation statistics must come from the training split, not the ${train.name} split`,
      'pass the training split (or a trainingSubset of it)');
  }
  const inputs = new Map<InputName, readonly RangeStats[]>();
  for (const raw of inputNames) {
    const name = inputName(raw);
    inputs.set(name, remembered(train, name, () => inputStats(train, name)));
  }
  const { data } = train;
  const labelMoments = new Moments();
  for (let k = 0; k < train.count; k++) {
    const row = exampleLabel(data, train.start + k);
    labelMoments.add(row, 0, row.length);
  }
  return { trainCount: train.count, inputs, labels: statsOf({ name: 'labels', start: 0, end: data.labelWidth }, labelMoments) };
}

// Every model of a sweep that reads the same input on the same training set gets the same
// statistics; expanding Θ_b for them takes seconds, so they are computed once per dataset.
const memo = new WeakMap<CurvatureData, Map<string, readonly RangeStats[]>>();

function remembered(train: Split, name: InputName, compute: () => readonly RangeStats[]): readonly RangeStats[] {
  let byKey = memo.get(train.data);
  if (byKey === undefined) memo.set(train.data, (byKey = new Map()));
  const key = `${train.start}:${train.count}:${name}`;
  let stats = byKey.get(key);
  if (stats === undefined) byKey.set(key, (stats = compute()));
  return stats;
}

function inputStats(train: Split, name: InputName): RangeStats[] {
  const { rowWidth, ranges } = inputLayout(train.data, name);
  const moments = ranges.map(() => new Moments());
  for (let k = 0; k < train.count; k++) {
    const values = exampleInput(train.data, name, train.start + k);
    for (let row = 0; row < values.length; row += rowWidth) {
      ranges.forEach((r, i) => moments[i]!.add(values, row + r.start, row + r.end));
    }
  }
  return ranges.map((r, i) => statsOf(r, moments[i]!));
}

/** In place: (x − mean) / std on every range of every row of `values`. */
export function standardise(values: Float64Array, rowWidth: number, stats: readonly RangeStats[]): Float64Array {
  for (let row = 0; row < values.length; row += rowWidth) {
    for (const s of stats) {
      for (let i = row + s.start; i < row + s.end; i++) values[i] = (values[i]! - s.mean) / s.std;
    }
  }
  return values;
}

/** Normalised label values (e.g. a net's predictions) back to raw label units: y · std + mean. */
export function denormaliseLabels(norm: Normalisation, values: Float64Array): Float64Array {
  const { mean, std } = norm.labels;
  return values.map((v) => v * std + mean);
}

function statsOf(range: Range, m: Moments): RangeStats {
  const std = m.std;
  return { ...range, mean: m.mean, std: std > 0 && Number.isFinite(std) ? std : 1 };
}
