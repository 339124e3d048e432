// The inputs a net can ask the curvature data for, by the name of its input parameter, and how each
// is laid out: per example a tensor whose last axes form rows of `rowWidth` numbers, each row cut
// into the ranges that normalisation treats alike (a neuron layer, or a parameter block).
//   grads          Γ_b[2]  [b·I, N, 2]  the stored rank-1 factors, I items per example (1 for an MLP,
//                                     a CNN's P positions); ranges: the neuron layers
//   weight_grads   Θ_b[1]  [b, P, 1]  full per-example gradients (each the sum over its I items),
//                                     expanded from the factors on demand
//   mean_grad      Θ[1]    [P, 1]     their mean over the set (the batch gradient)
//   theta          Θ[1]    [P, 1]     the model's parameters
// Θ-shaped inputs are cut into parameter blocks (each W_l, each b_l: the DWS scheme).
import type { TargetLayout } from '../../compiler/spaces/target.js';
import { DataError } from '../targets/errors.js';
import { gradientsFromFactors, meanGradient } from '../targets/factors.js';
import type { CurvatureData } from './curvature.js';

export const INPUT_NAMES = ['grads', 'weight_grads', 'mean_grad', 'theta'] as const;
export type InputName = (typeof INPUT_NAMES)[number];

/** A run [start, end) of every row, with a name for messages ("layer1", "W2"). */
export interface Range {
  name: string;
  start: number;
  end: number;
}

export interface InputLayout {
  /** Shape of one example's tensor (the batch axis excluded). */
  shape: number[];
  rowWidth: number;
  ranges: Range[];
}

export function inputName(name: string): InputName {
  const found = INPUT_NAMES.find((n) => n === name);
  if (found === undefined) {
    throw new DataError('data/unknown-input', `the curvature data has no input \`${name}\``,
      `name the net's input one of: ${INPUT_NAMES.join(', ')}`);
  }
  return found;
}

export function inputLayout(data: CurvatureData, name: InputName): InputLayout {
  const { layout, points, itemsPerExample } = data;
  const N = layout.neuronCount;
  const P = layout.paramCount;
  switch (name) {
    case 'grads':
      return { shape: [points * itemsPerExample, N, 2], rowWidth: 2 * N, ranges: layout.segments.map((s) => ({ name: s.name, start: 2 * s.offset, end: 2 * (s.offset + s.size) })) };
    case 'weight_grads':
      return { shape: [points, P, 1], rowWidth: P, ranges: blockRanges(layout) };
    case 'mean_grad':
    case 'theta':
      return { shape: [P, 1], rowWidth: P, ranges: blockRanges(layout) };
  }
}

/** Example `model`'s raw values of input `name`, in float64, flat in the order of inputLayout's shape. */
export function exampleInput(data: CurvatureData, name: InputName, model: number): Float64Array {
  const P = data.layout.paramCount;
  switch (name) {
    case 'grads': return factorsOf(data, model);
    case 'weight_grads': return gradientsFromFactors(data.layout, factorsOf(data, model), data.points, data.itemsPerExample);
    case 'mean_grad': return meanGradient(gradientsFromFactors(data.layout, factorsOf(data, model), data.points, data.itemsPerExample), data.points, P);
    case 'theta': return Float64Array.from(data.theta.subarray(model * P, (model + 1) * P));
  }
}

/** Model `model`'s label row, in float64. */
export function exampleLabel(data: CurvatureData, model: number): Float64Array {
  return Float64Array.from(data.labels.subarray(model * data.labelWidth, (model + 1) * data.labelWidth));
}

function factorsOf(data: CurvatureData, model: number): Float64Array {
  const size = data.points * data.itemsPerExample * data.layout.neuronCount * 2;
  return Float64Array.from(data.grads.subarray(model * size, (model + 1) * size));
}

function blockRanges(layout: TargetLayout): Range[] {
  return layout.params.map((b) => ({ name: b.name, start: b.offset, end: b.offset + b.rows * (b.cols ?? 1) }));
}
