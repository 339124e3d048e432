// The typed configuration of a task after a preset is applied: what the run protocol reads.
// The resolver has already checked field names and kinds; this file turns values into numbers and
// names, and reports anything it still cannot use as a diagnostic at the value's span.
import { resolvePath } from '../../compiler/resolve/posix-path.js';
import { DiagnosticError, error } from '../../compiler/diagnostics/diagnostic.js';
import type { Span, TaskDecl } from '../../compiler/syntax/ast.js';
import { taskFields, type CallValue, type Value } from './values.js';

export type LabelKind = 'fisher_diag' | 'fisher_trace' | 'empirical_fisher_diag' | 'obd_saliency';

export interface DataConfig {
  /**
   * `random_targets` generates the data; `gradient_files` reads it from `dir` (runtime/data/gradient-files.ts),
   * whose arrays fix the model count: `models`, `labelPoints`, `inputs` and `seed` are then unused (0, 0, uniform, 0).
   */
  generator: 'random_targets' | 'gradient_files';
  /** The folder of a `gradient_files` dataset, absolute (resolved against the .gmn file's folder); absent when generated. */
  dir?: string;
  models: number;
  points: number;
  labelPoints: number;
  inputs: 'uniform' | 'mixture';
  seed: number;
}

export interface OptimizerConfig {
  kind: 'adam' | 'adamw' | 'sgd';
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  /** `cosine`: lr decays to 0 over the training run's updates. */
  schedule: 'constant' | 'cosine';
  /** Updates of linear warm-up (0: none). */
  warmup: number;
  /** Gradient-norm clipping threshold (0: none). */
  clipNorm: number;
}

export interface ModelConfig {
  net: string;
  args: Map<string, number | string | boolean>;
  span: Span;
}

export interface TaskConfig {
  name: string;
  preset: string;
  target: string;
  data: DataConfig;
  label: LabelKind;
  splits: { test: number; validation: number };
  trainSizes: number[];
  models: ModelConfig[];
  loss: 'mse' | 'mae';
  optimizer: OptimizerConfig;
  batch: number;
  epochs: number;
  seeds: number[];
}

export const DEFAULT_PRESET = 'default';

/** A model's label in a task: its net's name, numbered (`gradmetanet#2`) when a net appears twice. */
export function modelLabel(all: readonly ModelConfig[], index: number): string {
  const net = all[index]!.net;
  if (all.filter((o) => o.net === net).length === 1) return net;
  return `${net}#${all.slice(0, index + 1).filter((o) => o.net === net).length}`;
}

export function presetNames(task: TaskDecl): string[] {
  return task.presets.map((p) => p.name.name);
}

export function taskConfig(task: TaskDecl, preset: string): TaskConfig {
  if (!task.presets.some((p) => p.name.name === preset) && preset !== DEFAULT_PRESET) {
    const known = presetNames(task);
    throw new DiagnosticError([
      error('task/unknown-preset', `task \`${task.name.name}\` has no preset \`${preset}\``, task.name.span,
        known.length > 0 ? `presets: ${known.join(', ')}` : 'declare one with `preset NAME { ... }` inside the task'),
    ]);
  }
  const fields = taskFields(task, preset);
  const read = new FieldReader(task, fields);
  const data = read.call('data');
  const optimizer = read.call('optimizer');
  const splits = read.record('splits');
  return {
    name: task.name.name,
    preset,
    target: read.bareName('target'),
    data: dataConfig(task, data),
    label: read.enumName('label', ['fisher_diag', 'fisher_trace', 'empirical_fisher_diag', 'obd_saliency'] as const),
    splits: { test: recordInt(splits, 'test', 500, task.span), validation: recordInt(splits, 'validation', 500, task.span) },
    trainSizes: read.intList('train_sizes'),
    models: read.list('models').map((m) => modelConfig(m, task.span)),
    loss: read.enumName('loss', ['mse', 'mae'] as const),
    optimizer: optimizerConfig(optimizer),
    batch: read.int('batch'),
    epochs: read.int('epochs'),
    seeds: read.intList('seeds'),
  };
}

function dataConfig(task: TaskDecl, data: CallValue): DataConfig {
  if (data.name !== 'gradient_files') {
    return {
      generator: 'random_targets',
      models: argInt(data, 'models', 3000),
      points: argInt(data, 'points', 128),
      labelPoints: argInt(data, 'label_points', 1024),
      inputs: argEnum(data, 'inputs', ['uniform', 'mixture'] as const, 'mixture'),
      seed: argInt(data, 'seed', 0),
    };
  }
  const dir = data.named.get('dir');
  if (typeof dir !== 'string' || dir === '') {
    throw new DiagnosticError([error('task/bad-field', '`gradient_files` needs `dir:`, the folder of the dataset\'s .npy files', data.span,
      'e.g. data: gradient_files(dir: "my-grads", points: 16), the folder relative to this .gmn file')]);
  }
  if (!data.named.has('points')) {
    throw new DiagnosticError([error('task/bad-field', '`gradient_files` needs `points:`, the number of gradients in each set (factors.npy\'s second axis)', data.span,
      'e.g. data: gradient_files(dir: "my-grads", points: 16)')]);
  }
  return { generator: 'gradient_files', dir: besideFile(task.span.file, dir), models: 0, points: argInt(data, 'points', 1), labelPoints: 0, inputs: 'uniform', seed: 0 };
}

/** `path` resolved against the folder of `file` (itself relative to the working directory); POSIX, so a browser can load configs too. */
function besideFile(file: string, path: string): string {
  const cwd = typeof process === 'undefined' ? '/' : process.cwd();
  return resolvePath(cwd, file, '..', path);
}

class FieldReader {
  constructor(
    private readonly task: TaskDecl,
    private readonly fields: Map<string, Value>,
  ) {}

  private get(key: string): Value {
    const v = this.fields.get(key);
    if (v === undefined) {
      throw new DiagnosticError([
        error('task/missing-field', `task \`${this.task.name.name}\` needs a \`${key}\` field`, this.task.name.span),
      ]);
    }
    return v;
  }

  private fail(key: string, expected: string): never {
    throw new DiagnosticError([
      error('task/bad-field', `task field \`${key}\` must be ${expected}`, this.task.name.span),
    ]);
  }

  int(key: string): number {
    const v = this.get(key);
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) this.fail(key, 'a positive integer');
    return v;
  }

  intList(key: string): number[] {
    const v = this.get(key);
    if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'number' && Number.isInteger(x))) {
      this.fail(key, 'a non-empty list of integers');
    }
    return v as number[];
  }

  list(key: string): Value[] {
    const v = this.get(key);
    if (!Array.isArray(v) || v.length === 0) this.fail(key, 'a non-empty list');
    return v;
  }

  call(key: string): CallValue {
    const v = this.get(key);
    if (typeof v !== 'object' || Array.isArray(v) || v.kind !== 'call') this.fail(key, 'a call such as `name(arg: value)`');
    return v;
  }

  record(key: string): Map<string, Value> {
    const v = this.fields.get(key);
    if (v === undefined) return new Map();
    if (typeof v !== 'object' || Array.isArray(v) || v.kind !== 'record') this.fail(key, 'a record `{ key: value }`');
    return v.fields;
  }

  bareName(key: string): string {
    const v = this.call(key);
    return v.name;
  }

  enumName<T extends string>(key: string, values: readonly T[]): T {
    const name = this.bareName(key);
    const found = values.find((x) => x === name);
    if (found === undefined) this.fail(key, `one of ${values.join(', ')}`);
    return found;
  }
}

export function modelConfig(v: Value, fallback: Span): ModelConfig {
  if (typeof v !== 'object' || Array.isArray(v) || v.kind !== 'call') {
    throw new DiagnosticError([error('task/bad-model', 'a model must be a net call such as `gradmetanet(width: 32)`', fallback)]);
  }
  const args = new Map<string, number | string | boolean>();
  for (const [k, a] of v.named) {
    if (typeof a === 'object') {
      throw new DiagnosticError([error('task/bad-model', `argument \`${k}\` of \`${v.name}\` must be a number, string or bool`, v.span)]);
    }
    args.set(k, a);
  }
  return { net: v.name, args, span: v.span };
}

/** An `adam(...)`, `adamw(...)` or `sgd(...)` call with its defaults applied. */
export function optimizerConfig(optimizer: CallValue): OptimizerConfig {
  return {
    kind: optimizerKind(optimizer),
    lr: argNumber(optimizer, 'lr', 1e-3),
    beta1: argNumber(optimizer, 'beta1', 0.9),
    beta2: argNumber(optimizer, 'beta2', 0.999),
    eps: argNumber(optimizer, 'eps', 1e-8),
    weightDecay: argNumber(optimizer, 'weight_decay', optimizer.name === 'adamw' ? 1e-2 : 0),
    momentum: argNumber(optimizer, 'momentum', 0.9),
    schedule: argEnum(optimizer, 'schedule', ['constant', 'cosine'] as const, 'constant'),
    warmup: argInt(optimizer, 'warmup', 0),
    clipNorm: positiveOrZero(optimizer, 'clip_norm'),
  };
}

function positiveOrZero(call: CallValue, key: string): number {
  const v = argNumber(call, key, 0);
  if (v < 0) throw new DiagnosticError([error('task/bad-argument', `\`${key}\` of \`${call.name}\` must be positive`, call.span)]);
  return v;
}

export function optimizerKind(call: CallValue): OptimizerConfig['kind'] {
  if (call.name === 'adam' || call.name === 'adamw' || call.name === 'sgd') return call.name;
  throw new DiagnosticError([error('task/bad-optimizer', `unknown optimizer \`${call.name}\``, call.span, 'use adam, adamw or sgd')]);
}

export function argNumber(call: CallValue, key: string, fallback: number): number {
  const v = call.named.get(key);
  if (v === undefined) return fallback;
  if (typeof v !== 'number') {
    throw new DiagnosticError([error('task/bad-argument', `\`${key}\` of \`${call.name}\` must be a number`, call.span)]);
  }
  return v;
}

export function argInt(call: CallValue, key: string, fallback: number): number {
  const v = argNumber(call, key, fallback);
  if (!Number.isInteger(v) || v < 0) {
    throw new DiagnosticError([error('task/bad-argument', `\`${key}\` of \`${call.name}\` must be a non-negative integer`, call.span)]);
  }
  return v;
}

export function argEnum<T extends string>(call: CallValue, key: string, values: readonly T[], fallback: T): T {
  const v = call.named.get(key);
  if (v === undefined) return fallback;
  const name = typeof v === 'object' && !Array.isArray(v) && v.kind === 'call' ? v.name : String(v);
  const found = values.find((x) => x === name);
  if (found === undefined) {
    throw new DiagnosticError([error('task/bad-argument', `\`${key}\` of \`${call.name}\` must be one of ${values.join(', ')}`, call.span)]);
  }
  return found;
}

function recordInt(fields: Map<string, Value>, key: string, fallback: number, span: Span): number {
  const v = fields.get(key);
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new DiagnosticError([error('task/bad-field', `\`splits.${key}\` must be a positive integer`, span)]);
  }
  return v;
}
