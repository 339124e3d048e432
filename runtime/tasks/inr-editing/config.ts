// The typed configuration of an INR-editing task (paper §6.3) after a preset is applied. The
// resolver has checked names and kinds (compiler/resolve/task-schema.ts); this file applies the
// defaults and reports what it still cannot use as a diagnostic at the task.
import { DiagnosticError, error } from '../../../compiler/diagnostics/diagnostic.js';
import type { Span, TaskDecl } from '../../../compiler/syntax/ast.js';
import type { ImageEdit } from '../../inr/edits.js';
import type { ImageSource } from '../../inr/images.js';
import {
  argEnum, argInt, argNumber, DEFAULT_PRESET, modelConfig, optimizerConfig, presetNames, type ModelConfig, type OptimizerConfig,
} from '../task-config.js';
import { taskFields, type CallValue, type Value } from '../values.js';

export interface InrDataConfig {
  /** INRs fitted per edit (one per image, the collection's first `count`). */
  count: number;
  /** Pixels at which the gradient inputs Γ_points[2] are taken (the same for every INR). */
  points: number;
  fitSteps: number;
  fitLr: number;
  /** INRs per fitting dispatch. */
  fitBatch: number;
  seed: number;
}

export interface EditConfig {
  /** `dilate` or `contrast`, and the collection it is learned on: one benchmark (a column of Table 2). */
  edit: ImageEdit;
  images: ImageSource;
  /** `dilate-mnist`: names its rows, files and results. */
  label: string;
  span: Span;
}

export interface InrEditingConfig {
  name: string;
  preset: string;
  target: string;
  data: InrDataConfig;
  edits: EditConfig[];
  splits: { test: number; validation: number };
  models: ModelConfig[];
  optimizer: OptimizerConfig;
  learningRates: number[];
  batch: number;
  steps: number;
  evalEvery: number;
  seeds: number[];
  /** Test INRs in the image grid. */
  figure: number;
}

export function inrEditingConfig(task: TaskDecl, preset: string): InrEditingConfig {
  if (preset !== DEFAULT_PRESET && !presetNames(task).includes(preset)) {
    throw new DiagnosticError([error('task/unknown-preset', `task \`${task.name.name}\` has no preset \`${preset}\``, task.name.span, `presets: ${presetNames(task).join(', ') || 'none'}`)]);
  }
  const fields = taskFields(task, preset);
  const at = task.name.span;
  const fail = (message: string, hint?: string): never => { throw new DiagnosticError([error('task/bad-field', message, at, hint)]); };
  const get = (key: string): Value => fields.get(key) ?? fail(`task \`${task.name.name}\` needs a \`${key}\` field`);
  const call = (key: string): CallValue => {
    const v = get(key);
    return typeof v === 'object' && !Array.isArray(v) && v.kind === 'call' ? v : fail(`task field \`${key}\` must be a call such as \`name(arg: value)\``);
  };
  const positive = (key: string, fallback?: number): number => {
    const v = fields.get(key) ?? fallback;
    return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : fail(`task field \`${key}\` must be a positive integer`);
  };
  const list = (key: string): Value[] => {
    const v = get(key);
    return Array.isArray(v) && v.length > 0 ? v : fail(`task field \`${key}\` must be a non-empty list`);
  };
  const target = call('target').name;
  const data = call('data');
  const dataConfig: InrDataConfig = {
    count: argInt(data, 'count', 1000),
    points: argInt(data, 'points', 64),
    fitSteps: argInt(data, 'fit_steps', 100),
    fitLr: argNumber(data, 'fit_lr', 0.005),
    fitBatch: argInt(data, 'fit_batch', 256),
    seed: argInt(data, 'seed', 0),
  };
  for (const key of ['count', 'points', 'fit_batch'] as const) {
    if (argInt(data, key, 1) === 0) fail(`\`${key}\` of \`${data.name}\` must be positive`);
  }
  const edits = list('edits').map((v): EditConfig => {
    if (typeof v !== 'object' || Array.isArray(v) || v.kind !== 'call' || (v.name !== 'dilate' && v.name !== 'contrast')) return fail('an edit is `dilate(...)` or `contrast(...)`');
    const images = argEnum(v, 'images', ['mnist', 'fashion_mnist'] as const, v.name === 'dilate' ? 'mnist' : 'fashion_mnist');
    const source: ImageSource = images === 'mnist' ? 'mnist' : 'fashion-mnist';
    return { edit: v.name, images: source, label: `${v.name}-${images}`, span: v.span };
  });
  const labels = edits.map((e) => e.label);
  if (new Set(labels).size !== labels.length) fail('an edit is listed twice on the same images');
  const splits = fields.get('splits');
  const split = (key: 'test' | 'validation'): number => {
    const v = typeof splits === 'object' && !Array.isArray(splits) && splits.kind === 'record' ? splits.fields.get(key) : undefined;
    const n = v ?? Math.max(1, Math.round(dataConfig.count / 10));
    return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : fail(`\`splits.${key}\` must be a positive integer`);
  };
  const config: InrEditingConfig = {
    name: task.name.name,
    preset,
    target,
    data: dataConfig,
    edits,
    splits: { test: split('test'), validation: split('validation') },
    models: list('models').map((m) => modelConfig(m, at)),
    optimizer: optimizerConfig(call('optimizer')),
    learningRates: list('learning_rates').map((v) => (typeof v === 'number' && v > 0 ? v : fail('`learning_rates` must be positive numbers'))),
    batch: positive('batch'),
    steps: positive('steps'),
    evalEvery: 0,
    seeds: list('seeds').map((v) => (typeof v === 'number' && Number.isInteger(v) ? v : fail('`seeds` must be integers'))),
    figure: positive('figure', 6),
  };
  config.evalEvery = positive('eval_every', Math.max(1, Math.floor(config.steps / 10)));
  if (config.optimizer.kind === 'sgd') fail('INR editors train with `adam(...)` or `adamw(...)`', 'the paper uses AdamW');
  const train = config.data.count - config.splits.test - config.splits.validation;
  if (train < 1) {
    fail(`${config.data.count} INRs per edit leave none to train on after ${config.splits.test} test and ${config.splits.validation} validation INRs`,
      'raise `data: fitted_inrs(count: ...)` or lower `splits`');
  }
  return config;
}

/** The training INRs of every edit: those after the test and validation INRs. */
export function trainCount(config: InrEditingConfig): number {
  return config.data.count - config.splits.test - config.splits.validation;
}
