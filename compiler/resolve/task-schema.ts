// The vocabulary of `task` declarations, as data (like builtins.ts): the fields a task may have,
// what each field's value must be, the data generators, labels, losses and optimizers. A preset
// (`preset quick { ... }`) may set any of these fields; a record value in a preset merges into the
// task's call or record (`data: { models: 160 }` changes one argument of `random_targets`).
import type { Builtin, BuiltinParam } from './builtins.js';

export type TaskValueSpec =
  /** The name of a target visible in the module. */
  | { kind: 'target' }
  /** A call to one of `callees` (all of whose parameters are optional), e.g. `adam(lr: 1e-3)`. */
  | { kind: 'call'; noun: string; callees: readonly Builtin[] }
  /** One bare word of `values`. */
  | { kind: 'enum'; noun: string; values: readonly string[] }
  /** `{ key: value }` with the given keys. */
  | { kind: 'record'; fields: readonly BuiltinParam[] }
  | { kind: 'int' }
  | { kind: 'int_list' }
  /** A list of calls to nets visible in the module, with named arguments for their non-tensor parameters. */
  | { kind: 'models' };

export interface TaskFieldSpec {
  name: string;
  value: TaskValueSpec;
  required: boolean;
  doc: string;
}

const int = { kind: 'int' } as const;
const float = { kind: 'float' } as const;

export const DATA_GENERATORS: readonly Builtin[] = [
  {
    name: 'random_targets', context: 'task', doc: 'randomly initialised targets, with per-example gradients on sampled inputs',
    params: [
      { name: 'models', type: int, optional: true },
      { name: 'points', type: int, optional: true },
      { name: 'label_points', type: int, optional: true },
      { name: 'inputs', type: { kind: 'enum', values: ['uniform', 'mixture'] }, optional: true },
      { name: 'seed', type: int, optional: true },
    ],
  },
];

/** `schedule: cosine` decays lr to 0 over the run's updates (epochs × batches per epoch). */
const schedule: BuiltinParam = { name: 'schedule', type: { kind: 'enum', values: ['constant', 'cosine'] }, optional: true };

const adamParams: BuiltinParam[] = [
  { name: 'lr', type: float, optional: true },
  { name: 'beta1', type: float, optional: true },
  { name: 'beta2', type: float, optional: true },
  { name: 'eps', type: float, optional: true },
  { name: 'weight_decay', type: float, optional: true },
  schedule,
];

export const OPTIMIZERS: readonly Builtin[] = [
  { name: 'adam', context: 'task', doc: 'Adam (defaults lr 1e-3, betas 0.9/0.999, eps 1e-8, schedule constant)', params: adamParams },
  { name: 'adamw', context: 'task', doc: 'Adam with decoupled weight decay (default 1e-2)', params: adamParams },
  {
    name: 'sgd', context: 'task', doc: 'SGD with momentum (default 0.9)',
    params: [{ name: 'lr', type: float, optional: true }, { name: 'momentum', type: float, optional: true }, schedule],
  },
];

export const LABELS = ['fisher_diag', 'fisher_trace', 'empirical_fisher_diag', 'obd_saliency'] as const;
export const LOSSES = ['mse', 'mae'] as const;

export const TASK_FIELDS: readonly TaskFieldSpec[] = [
  { name: 'target', value: { kind: 'target' }, required: true, doc: 'the target whose gradients are studied' },
  { name: 'data', value: { kind: 'call', noun: 'data generator', callees: DATA_GENERATORS }, required: true, doc: 'how the data set is generated' },
  { name: 'label', value: { kind: 'enum', noun: 'label', values: LABELS }, required: true, doc: 'what the nets predict' },
  {
    name: 'splits', required: false, doc: 'held-out models (default 500 each)',
    value: { kind: 'record', fields: [{ name: 'test', type: int, optional: true }, { name: 'validation', type: int, optional: true }] },
  },
  { name: 'train_sizes', value: { kind: 'int_list' }, required: true, doc: 'training-set sizes to sweep' },
  { name: 'models', value: { kind: 'models' }, required: true, doc: 'the nets to train and compare' },
  { name: 'loss', value: { kind: 'enum', noun: 'loss', values: LOSSES }, required: true, doc: 'training loss' },
  { name: 'optimizer', value: { kind: 'call', noun: 'optimizer', callees: OPTIMIZERS }, required: true, doc: 'the optimizer of the nets' },
  { name: 'batch', value: { kind: 'int' }, required: true, doc: 'batch size' },
  { name: 'epochs', value: { kind: 'int' }, required: true, doc: 'training epochs' },
  { name: 'seeds', value: { kind: 'int_list' }, required: true, doc: 'one run per seed' },
];

export function taskField(name: string): TaskFieldSpec | undefined {
  return TASK_FIELDS.find((f) => f.name === name);
}
