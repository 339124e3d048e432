// The typed configuration of a learned-optimization task after a preset is applied. The resolver
// has checked names and kinds (task-schema.ts); this file applies the defaults and reports values
// it still cannot use (a horizon that is not a multiple of the truncation, a non-positive σ) as
// diagnostics at the value's span.
import { DiagnosticError, error } from '../../../compiler/diagnostics/diagnostic.js';
import type { Span, TaskDecl } from '../../../compiler/syntax/ast.js';
import { IMAGE_DATA, TEXT_DATA } from '../../../compiler/resolve/task-schema.js';
import { argEnum } from '../task-config.js';
import { taskFields, type CallValue, type RecordValue, type Value } from '../values.js';
import { PAPER_RULE } from './update-rule.js';

/** A base task's own `optimizers: [...]`: names of entries of the task's list, with their spans. */
export type OptimizerSelection = { name: string; span: Span }[] | undefined;

export type BaseTaskConfig =
  | { kind: 'image_mlp'; label: string; target: string; data: ImageData; size: number; batch: number; horizon: number; optimizers: OptimizerSelection; span: Span }
  | { kind: 'language_model'; label: string; target: string; data: TextData; batch: number; horizon: number; optimizers: OptimizerSelection; span: Span }
  | { kind: 'linear_regression'; label: string; batch: number; horizon: number; optimizers: OptimizerSelection; span: Span };

export type ImageData = (typeof IMAGE_DATA)[number];
export type TextData = (typeof TEXT_DATA)[number];

export interface UpdateNetConfig {
  /** `sgdm`, or the net's name. */
  net: string;
  args: Map<string, number | string | boolean>;
  span: Span;
}

export interface LearnedOptimizationConfig {
  name: string;
  preset: string;
  baseTasks: BaseTaskConfig[];
  optimizers: UpdateNetConfig[];
  rule: { alpha: number; mu: number; beta: number };
  pes: {
    outerSteps: number; pairs: number; truncation: number; sigma: number; outerLr: number;
    /** `cosine`: the outer lr decays to 0 over the outer steps, so φ settles instead of drifting with the ES noise. */
    outerSchedule: 'constant' | 'cosine';
    clip: number; seed: number;
  };
  adamLrs: number[];
  seeds: number[];
}

export function learnedOptimizationConfig(task: TaskDecl, preset: string): LearnedOptimizationConfig {
  const fields = taskFields(task, preset);
  const at = task.name.span;
  const get = (key: string): Value => {
    const v = fields.get(key);
    if (v === undefined) throw new DiagnosticError([error('task/missing-field', `task \`${task.name.name}\` needs a \`${key}\` field`, at)]);
    return v;
  };
  const pes = asCall(get('meta_training'), at);
  const baseline = asCall(get('baseline'), at);
  const rule = fields.get('rule');
  const ruleFields = rule !== undefined && typeof rule === 'object' && !Array.isArray(rule) && rule.kind === 'record' ? rule : undefined;
  const step = num(baseline, 'step', 0.0005);
  const multiples = baseline.named.get('multiples');
  const config: LearnedOptimizationConfig = {
    name: task.name.name,
    preset,
    baseTasks: list(get('base_tasks'), at).map((v) => baseTask(asCall(v, at))),
    optimizers: list(get('optimizers'), at).map((v) => updateNet(asCall(v, at))),
    rule: {
      alpha: recordNum(ruleFields, 'alpha', PAPER_RULE.alpha),
      mu: recordNum(ruleFields, 'mu', PAPER_RULE.mu),
      beta: recordNum(ruleFields, 'beta', PAPER_RULE.beta),
    },
    pes: {
      outerSteps: int(pes, 'outer_steps', 50000),
      pairs: int(pes, 'pairs', 8),
      truncation: int(pes, 'truncation', 50),
      sigma: num(pes, 'sigma', 0.01),
      outerLr: num(pes, 'outer_lr', 1e-4),
      outerSchedule: argEnum(pes, 'outer_schedule', ['constant', 'cosine'] as const, 'constant'),
      clip: num(pes, 'clip', 1),
      seed: int(pes, 'seed', 0),
    },
    adamLrs: (Array.isArray(multiples) ? (multiples as number[]) : Array.from({ length: 20 }, (_, j) => j + 1)).map((j) => step * j),
    seeds: list(get('seeds'), at) as number[],
  };
  if (!(config.pes.sigma > 0)) throw bad(pes.span, '`sigma` of `pes` must be positive');
  if (config.pes.pairs < 1 || config.pes.truncation < 1) throw bad(pes.span, '`pairs` and `truncation` of `pes` must be at least 1');
  for (const b of config.baseTasks) {
    for (const o of b.optimizers ?? []) {
      if (!config.optimizers.some((c) => c.net === o.name)) {
        throw bad(o.span, `\`${o.name}\` is not one of the task's optimizers`, `the task's \`optimizers\`: ${config.optimizers.map((c) => c.net).join(', ')}`);
      }
    }
    if (b.horizon % truncationFor(config, b) !== 0) {
      throw bad(b.span, `the horizon of \`${b.label}\` (${b.horizon}) is not a multiple of the PES truncation (${truncationFor(config, b)})`, 'PES restarts inner runs at the horizon, between truncations');
    }
  }
  return config;
}

/**
 * The PES truncation of one base task: the configured one, or the horizon when that is shorter (the
 * paper's 2-D regression has T = 10 under truncations of 50: one unroll per inner run).
 */
export function truncationFor(config: LearnedOptimizationConfig, base: BaseTaskConfig): number {
  return Math.min(config.pes.truncation, base.horizon);
}

/** The task's optimizers that run on `base`: all, or those its `optimizers` names, in the task's order. */
export function baseTaskOptimizers(config: LearnedOptimizationConfig, base: BaseTaskConfig): UpdateNetConfig[] {
  const only = base.optimizers;
  return only === undefined ? config.optimizers : config.optimizers.filter((o) => only.some((n) => n.name === o.net));
}

function bad(span: Span, message: string, hint?: string): DiagnosticError {
  return new DiagnosticError([error('task/bad-field', message, span, hint)]);
}

function asCall(v: Value, span: Span): CallValue {
  if (typeof v !== 'object' || Array.isArray(v) || v.kind !== 'call') throw bad(span, 'expected a call such as `name(arg: value)`');
  return v;
}

function list(v: Value, span: Span): Value[] {
  if (!Array.isArray(v) || v.length === 0) throw bad(span, 'expected a non-empty list');
  return v;
}

function num(call: CallValue, key: string, fallback: number): number {
  const v = call.named.get(key);
  if (v === undefined) return fallback;
  if (typeof v !== 'number') throw bad(call.span, `\`${key}\` of \`${call.name}\` must be a number`);
  return v;
}

function int(call: CallValue, key: string, fallback: number): number {
  const v = num(call, key, fallback);
  if (!Number.isInteger(v) || v < 0) throw bad(call.span, `\`${key}\` of \`${call.name}\` must be a non-negative integer`);
  return v;
}

function recordNum(record: RecordValue | undefined, key: string, fallback: number): number {
  const v = record?.fields.get(key);
  return typeof v === 'number' ? v : fallback;
}

function baseTask(call: CallValue): BaseTaskConfig {
  const selection = call.named.get('optimizers');
  const optimizers = selection === undefined ? undefined : (Array.isArray(selection) ? selection : [selection]).map((v) => ({ name: nameOf(v), span: asCall(v, call.span).span }));
  if (call.name === 'linear_regression') {
    return { kind: 'linear_regression', label: 'linear_regression', batch: int(call, 'batch', 128), horizon: int(call, 'horizon', 10), optimizers, span: call.span };
  }
  const target = nameOf(call.named.get('target'));
  const data = nameOf(call.named.get('data'));
  if (call.name === 'language_model') {
    const text = TEXT_DATA.find((d) => d === data) ?? 'common_licenses';
    return { kind: 'language_model', label: `${target}/${text}`, target, data: text, batch: int(call, 'batch', 8), horizon: int(call, 'horizon', 2000), optimizers, span: call.span };
  }
  const images = IMAGE_DATA.find((d) => d === data) ?? 'fashion_mnist';
  return { kind: 'image_mlp', label: `${target}/${images}`, target, data: images, size: int(call, 'size', 8), batch: int(call, 'batch', 128), horizon: int(call, 'horizon', 2000), optimizers, span: call.span };
}

function nameOf(v: Value | undefined): string {
  return typeof v === 'object' && !Array.isArray(v) && v.kind === 'call' ? v.name : '';
}

/** `ds_optimizer`, or `ds_optimizer(hidden: 8)` with arguments: how reports and trained/ files name it. */
export function optimizerLabel(o: UpdateNetConfig): string {
  return o.args.size === 0 ? o.net : `${o.net}(${[...o.args].map(([k, v]) => `${k}: ${v}`).join(', ')})`;
}

function updateNet(call: CallValue): UpdateNetConfig {
  const args = new Map<string, number | string | boolean>();
  for (const [k, a] of call.named) if (typeof a !== 'object') args.set(k, a);
  return { net: call.name, args, span: call.span };
}
