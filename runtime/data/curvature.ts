// The curvature task's dataset (paper §6.1): random targets, each seen through a set of per-example
// output gradients in rank-1 form (the input) and a curvature label over fresh points (the target).
// Model i depends only on (seed, i) (model-rng.ts), so datasets of different sizes share a prefix.
// Values are computed in float64 by the targets module and stored as float32.
import type { TargetLayout } from '../../compiler/spaces/target.js';
import { DataError } from '../targets/errors.js';
import { mlpGradients } from '../targets/mlp.js';
import { initMlp } from '../targets/mlp-init.js';
import type { DataConfig, LabelKind } from '../tasks/task-config.js';
import { drawMixtureWeight, sampleInputs } from './input-distribution.js';
import { curvatureLabel, labelWidth } from './labels.js';
import { modelStreams } from './model-rng.js';

export interface CurvatureData {
  layout: TargetLayout;
  config: DataConfig;
  label: LabelKind;
  /** Number of generated models (= config.models). */
  models: number;
  /** Gradients per model, b (= config.points). */
  points: number;
  /** Numbers per label (P, or 1 for the trace). */
  labelWidth: number;
  /** [models, P]: each model's θ in layout order. */
  theta: Float32Array;
  /** [models]: each model's input-distribution parameter p (NaN for `uniform` inputs). */
  mixture: Float32Array;
  /** [models, b, N, 2]: Γ_b of ∇_θ f at the model's b input points (paper §2.2 boundary channels). */
  grads: Float32Array;
  /** [models, labelWidth]: the label over config.labelPoints fresh points. */
  labels: Float32Array;
}

/** Everything random about one model, before any gradient is taken. */
export interface ModelSample {
  theta: Float64Array;
  /** p of X_p (NaN for `uniform`). */
  mixture: number;
  /** [points, d_0]: the input set's points. */
  inputs: Float64Array;
  /** [labelPoints, d_0]: the label's fresh points. */
  labelInputs: Float64Array;
}

export type Progress = (done: number, total: number) => void;

/** Model i's θ, p and points, from (config.seed, i) alone. */
export function sampleModel(layout: TargetLayout, config: DataConfig, index: number): ModelSample {
  const spec = mlpSpecOf(layout);
  const d0 = spec.widths[0]!;
  const streams = modelStreams(config.seed, index);
  const theta = initMlp(layout, streams.theta);
  const mixture = drawMixtureWeight(config.inputs, streams.inputs);
  return {
    theta,
    mixture,
    inputs: sampleInputs(config.inputs, mixture, config.points, d0, streams.inputs),
    labelInputs: sampleInputs(config.inputs, mixture, config.labelPoints, d0, streams.labels),
  };
}

/** Generates the whole dataset in memory, model by model, reporting progress after each. */
export function generateCurvatureData(layout: TargetLayout, config: DataConfig, label: LabelKind, progress?: Progress): CurvatureData {
  checkConfig(layout, config);
  const N = layout.neuronCount;
  const P = layout.paramCount;
  const width = labelWidth(layout, label);
  const data: CurvatureData = {
    layout,
    config,
    label,
    models: config.models,
    points: config.points,
    labelWidth: width,
    theta: new Float32Array(config.models * P),
    mixture: new Float32Array(config.models),
    grads: new Float32Array(config.models * config.points * N * 2),
    labels: new Float32Array(config.models * width),
  };
  for (let i = 0; i < config.models; i++) {
    const model = sampleModel(layout, config, i);
    const grads = mlpGradients(layout, { count: config.points, inputs: model.inputs, theta: model.theta }, { kind: 'output' });
    data.theta.set(model.theta, i * P);
    data.mixture[i] = model.mixture;
    data.grads.set(grads.factors, i * config.points * N * 2);
    data.labels.set(curvatureLabel(layout, label, model.theta, model.labelInputs, config.labelPoints), i * width);
    progress?.(i + 1, config.models);
  }
  return data;
}

function checkConfig(layout: TargetLayout, config: DataConfig): void {
  mlpSpecOf(layout);
  const counts: [keyof DataConfig, number][] = [['models', config.models], ['points', config.points], ['labelPoints', config.labelPoints]];
  for (const [name, value] of counts) {
    if (!Number.isInteger(value) || value < 1) {
      const field = name === 'labelPoints' ? 'label_points' : name;
      throw new DataError('data/bad-count', `random_targets(${field}: ${value}) must be a positive integer`, `set \`${field}\` to at least 1 in the task's data`);
    }
  }
}

function mlpSpecOf(layout: TargetLayout) {
  if (layout.spec.kind !== 'mlp') {
    throw new DataError('data/unsupported-target', `random_targets generates mlp targets, but ${layout.name} is a ${layout.spec.kind}`,
      'declare the target with `mlp(widths: [...], activation: ..., init: ...)`');
  }
  return layout.spec;
}
