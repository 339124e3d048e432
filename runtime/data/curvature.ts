// The curvature task's dataset (paper §6.1): random targets, each seen through a set of per-example
// output gradients in rank-1 form (the input) and a curvature label over fresh points (the target).
// Model i depends only on (seed, i) (model-rng.ts), so datasets of different sizes share a prefix.
// Values are computed in float64 by the targets module and stored as float32. Each target family
// generates its models in its own module: MLPs here, CNNs in curvature-cnn.ts (each image's P
// positions are P items of Γ's set).
import { cnnLayout, type CnnLayout, type CnnSpec } from '../../compiler/spaces/cnn.js';
import { itemsPerExample } from '../../compiler/spaces/elaborate.js';
import type { TargetLayout } from '../../compiler/spaces/target.js';
import { DataError } from '../targets/errors.js';
import { mlpGradients } from '../targets/mlp.js';
import { initMlp } from '../targets/mlp-init.js';
import type { DataConfig, LabelKind } from '../tasks/task-config.js';
import { checkCnnCurvatureTarget, cnnCurvatureModel, sampleCnnModel, type ImagePool, type ImageSource } from './curvature-cnn.js';
import { drawMixtureWeight, sampleInputs } from './input-distribution.js';
import { curvatureLabel, labelWidth } from './labels.js';
import { modelStreams } from './model-rng.js';

export interface CurvatureData {
  layout: TargetLayout;
  config: DataConfig;
  label: LabelKind;
  /** Number of generated models (= config.models). */
  models: number;
  /** Examples (points, images) per model, b (= config.points). */
  points: number;
  /** Items of Γ's set per example: 1 for an MLP, P = H·W positions for a CNN. */
  itemsPerExample: number;
  /** Numbers per label (P, or 1 for the trace). */
  labelWidth: number;
  /** [models, P]: each model's θ in layout order. */
  theta: Float32Array;
  /** [models]: each model's input-distribution parameter p (NaN for `uniform` inputs). */
  mixture: Float32Array;
  /** [models, b·itemsPerExample, N, 2]: Γ_b of ∇_θ f at the model's b input points (paper §2.2 boundary channels). */
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

/** What generation may use beyond the config: progress reports, and the images a CNN target draws from. */
export interface GenerationOptions {
  progress?: Progress;
  /** Required for cnn targets; absent where no images can be read (the playground). */
  images?: ImageSource;
}

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
export function generateCurvatureData(layout: TargetLayout, config: DataConfig, label: LabelKind, options: GenerationOptions = {}): CurvatureData {
  checkConfig(config);
  const generate = modelGenerator(layout, config, label, options.images);
  const N = layout.neuronCount;
  const P = layout.paramCount;
  const width = labelWidth(layout, label);
  const items = setItems(layout, config);
  const data: CurvatureData = {
    layout,
    config,
    label,
    models: config.models,
    points: config.points,
    itemsPerExample: itemsPerExample(layout.spec),
    labelWidth: width,
    theta: new Float32Array(config.models * P),
    mixture: new Float32Array(config.models),
    grads: new Float32Array(config.models * items * N * 2),
    labels: new Float32Array(config.models * width),
  };
  for (let i = 0; i < config.models; i++) {
    const model = generate(i);
    data.theta.set(model.theta, i * P);
    data.mixture[i] = model.mixture;
    data.grads.set(model.factors, i * items * N * 2);
    data.labels.set(model.label, i * width);
    options.progress?.(i + 1, config.models);
  }
  return data;
}

/** Items of Γ's set per model: b examples of itemsPerExample items each. */
export function setItems(layout: TargetLayout, config: Pick<DataConfig, 'points'>): number {
  return config.points * itemsPerExample(layout.spec);
}

/** What one model adds to the dataset. */
interface GeneratedModel {
  theta: Float64Array;
  mixture: number;
  /** [b·itemsPerExample, N, 2]. */
  factors: Float64Array;
  label: Float64Array;
}

/** Model i of the dataset, by the target's family. */
function modelGenerator(layout: TargetLayout, config: DataConfig, label: LabelKind, images: ImageSource | undefined): (index: number) => GeneratedModel {
  const { spec } = layout;
  switch (spec.kind) {
    case 'mlp':
      return (i) => {
        const model = sampleModel(layout, config, i);
        const grads = mlpGradients(layout, { count: config.points, inputs: model.inputs, theta: model.theta }, { kind: 'output' });
        return { ...model, factors: grads.factors, label: curvatureLabel(layout, label, model.theta, model.labelInputs, config.labelPoints) };
      };
    case 'cnn': {
      const { cnn, pool } = cnnTarget(layout.name, spec, images);
      return (i) => {
        const model = cnnCurvatureModel(cnn, config, label, i, pool);
        return { ...model.sample, factors: model.factors, label: model.label };
      };
    }
    case 'transformer': throw unsupported(layout);
  }
}

/** How a target's models draw their θ, p and input points (images for a CNN), by model index. */
export interface ModelSampler {
  /** Numbers per input point: d_0, or a CNN's C_0·H·W. */
  inputWidth: number;
  model(index: number): ModelSample;
}

export function modelSampler(layout: TargetLayout, config: DataConfig, images?: ImageSource): ModelSampler {
  const { spec } = layout;
  switch (spec.kind) {
    case 'mlp': return { inputWidth: spec.widths[0]!, model: (i) => sampleModel(layout, config, i) };
    case 'cnn': {
      const { cnn, pool } = cnnTarget(layout.name, spec, images);
      return { inputWidth: spec.channels[0]! * cnn.positions, model: (i) => sampleCnnModel(cnn, config, i, pool) };
    }
    case 'transformer': throw unsupported(layout);
  }
}

/** A CNN target's own layout and the images its models draw from, checked to fit each other. */
function cnnTarget(name: string, spec: CnnSpec, images: ImageSource | undefined): { cnn: CnnLayout; pool: ImagePool } {
  if (images === undefined) {
    throw new DataError('data/no-images', `${name} is a cnn target, and its curvature models draw images, which cannot be read here`,
      'run the task with `gmn run` (Node reads Fashion-MNIST), or use an mlp target here');
  }
  const cnn = cnnLayout(name, spec);
  const pool = images(spec.height);
  checkCnnCurvatureTarget(cnn, pool);
  return { cnn, pool };
}

function unsupported(layout: TargetLayout): DataError {
  return new DataError('data/unsupported-target', `random_targets generates mlp and cnn targets, but ${layout.name} is a ${layout.spec.kind}`,
    'declare the target with `mlp(...)` or `cnn(...)`');
}

function checkConfig(config: DataConfig): void {
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
    throw new DataError('data/unsupported-target', `${layout.name} is a ${layout.spec.kind}, but MLP inputs are drawn for mlp targets`,
      'declare the target with `mlp(widths: [...], activation: ..., init: ...)`');
  }
  return layout.spec;
}
