// The vocabulary of `task` declarations, as data (like builtins.ts): the task kinds, the fields a
// task of each kind may have, what each field's value must be, the data generators, labels, losses,
// optimizers and base tasks. A task's `kind` field picks its protocol (default `curvature`). A preset
// (`preset quick { ... }`) may set any of these fields; a record value in a preset merges into the
// task's call or record (`data: { models: 160 }` changes one argument of `random_targets`).
import type { Expr } from '../syntax/ast.js';
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
  | { kind: 'float_list' }
  /** A list of calls to nets visible in the module, with named arguments for their non-tensor parameters. */
  | { kind: 'models' }
  /** A list of calls to `callees`, e.g. `[image_mlp(target: FashionMlp, data: fashion_mnist)]`. */
  | { kind: 'call_list'; noun: string; callees: readonly Builtin[] }
  /**
   * A list of learned optimizers: `sgdm` (the update rule alone) or calls to nets F_ϕ that read
   * `weights(T)[19]` (the standard features), optionally `grads(T, b)[14]` (the gradient set for
   * GradMetaNet), and return `weights(T)[1]`.
   */
  | { kind: 'update_nets' };

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
  {
    name: 'gradient_files', context: 'task',
    doc: 'sets of per-example gradients (rank-1 factors), θ and labels read from .npy files in a folder (docs/gradient-files.md); `dir` relative to the .gmn file, `points` the set size b',
    params: [
      { name: 'dir', type: { kind: 'string' }, optional: true },
      { name: 'points', type: int, optional: true },
    ],
  },
];

/** `schedule: cosine` decays lr to 0 over the run's updates (epochs × batches per epoch). */
const schedule: BuiltinParam = { name: 'schedule', type: { kind: 'enum', values: ['constant', 'cosine'] }, optional: true };
/** `warmup: W` raises lr linearly over the first W updates (ScaleGMN's INR editors use 1000). */
const warmup: BuiltinParam = { name: 'warmup', type: int, optional: true };
/** `clip_norm: c` scales each step's gradients to joint norm at most c (ScaleGMN's INR editors use 10). */
const clipNorm: BuiltinParam = { name: 'clip_norm', type: float, optional: true };

const adamParams: BuiltinParam[] = [
  { name: 'lr', type: float, optional: true },
  { name: 'beta1', type: float, optional: true },
  { name: 'beta2', type: float, optional: true },
  { name: 'eps', type: float, optional: true },
  { name: 'weight_decay', type: float, optional: true },
  schedule,
  warmup,
  clipNorm,
];

export const OPTIMIZERS: readonly Builtin[] = [
  { name: 'adam', context: 'task', doc: 'Adam (defaults lr 1e-3, betas 0.9/0.999, eps 1e-8, schedule constant)', params: adamParams },
  { name: 'adamw', context: 'task', doc: 'Adam with decoupled weight decay (default 1e-2)', params: adamParams },
  {
    name: 'sgd', context: 'task', doc: 'SGD with momentum (default 0.9)',
    params: [{ name: 'lr', type: float, optional: true }, { name: 'momentum', type: float, optional: true }, schedule, warmup, clipNorm],
  },
];

export const LABELS = ['fisher_diag', 'fisher_trace', 'empirical_fisher_diag', 'obd_saliency'] as const;
export const LOSSES = ['mse', 'mae'] as const;

export const CURVATURE_FIELDS: readonly TaskFieldSpec[] = [
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

// ---- learned optimization (paper §6.2) ------------------------------------------------------------

/**
 * The image data of `image_mlp` (8×8): greyscale Fashion-MNIST (64 inputs, 10 classes) and the
 * stand-ins for the paper's 8×8×3 CIFAR tasks (192 inputs): Fashion-MNIST coloured (CIFAR-10, 10
 * classes) and MNIST digit pairs (CIFAR-100, 100 classes).
 */
export const IMAGE_DATA = ['fashion_mnist', 'mnist', 'fashion_mnist_colour', 'mnist_pairs'] as const;
/** The text of `language_model`: the licence texts of Debian's base-files (the LM1B stand-in). */
export const TEXT_DATA = ['common_licenses'] as const;

/** Which of the task's optimizers run on one base task (default: all): names of its `optimizers` entries. */
const baseOptimizers: BuiltinParam = { name: 'optimizers', type: { kind: 'name_list' }, optional: true };

/** The learned-optimization base tasks: a base network, its data, batch size and horizon T. */
export const BASE_TASKS: readonly Builtin[] = [
  {
    name: 'image_mlp', context: 'task', doc: 'an MLP classifier with NLL loss on downsampled images (defaults: size 8, batch 128, horizon 2000)',
    params: [
      { name: 'target', type: { kind: 'target' } },
      { name: 'data', type: { kind: 'enum', values: IMAGE_DATA } },
      { name: 'size', type: int, optional: true },
      { name: 'batch', type: int, optional: true },
      { name: 'horizon', type: int, optional: true },
      baseOptimizers,
    ],
  },
  {
    name: 'language_model', context: 'task', doc: 'a transformer LM with next-token NLL on byte-level text (defaults: batch 8, horizon 2000)',
    params: [
      { name: 'target', type: { kind: 'target' } },
      { name: 'data', type: { kind: 'enum', values: TEXT_DATA } },
      { name: 'batch', type: int, optional: true },
      { name: 'horizon', type: int, optional: true },
      baseOptimizers,
    ],
  },
  {
    name: 'linear_regression', context: 'task', doc: 'the 2-parameter linear regression of Figure 8 (defaults: batch 128, horizon 10)',
    params: [{ name: 'batch', type: int, optional: true }, { name: 'horizon', type: int, optional: true }, baseOptimizers],
  },
];

export const META_TRAINERS: readonly Builtin[] = [
  {
    name: 'pes', context: 'task',
    doc: 'Persistent Evolution Strategies (defaults: 50000 outer steps, 8 antithetic pairs, truncation 50, sigma 0.01, outer Adam lr 1e-4, clip 1.0, seed 0); `outer_schedule: cosine` decays the outer lr to 0 over the outer steps',
    params: [
      { name: 'outer_steps', type: int, optional: true },
      { name: 'pairs', type: int, optional: true },
      { name: 'truncation', type: int, optional: true },
      { name: 'sigma', type: float, optional: true },
      { name: 'outer_lr', type: float, optional: true },
      { name: 'outer_schedule', type: { kind: 'enum', values: ['constant', 'cosine'] }, optional: true },
      { name: 'clip', type: float, optional: true },
      { name: 'seed', type: int, optional: true },
    ],
  },
  {
    name: 'gradient_files', context: 'task',
    doc: 'sets of per-example gradients (rank-1 factors), θ and labels read from .npy files in a folder (docs/gradient-files.md); `dir` relative to the .gmn file, `points` the set size b',
    params: [
      { name: 'dir', type: { kind: 'string' }, optional: true },
      { name: 'points', type: int, optional: true },
    ],
  },
];

export const BASELINES: readonly Builtin[] = [
  {
    name: 'adam_grid', context: 'task', doc: 'Adam with the learning rate tuned over step·j for j in multiples (defaults: step 0.0005, multiples 1..20)',
    params: [{ name: 'step', type: float, optional: true }, { name: 'multiples', type: { kind: 'int_list' }, optional: true }],
  },
];

/** The update rule's meta-learned scalars at initialisation (paper: α 0.1, μ 0.9, β 0.001). */
const RULE_FIELDS: BuiltinParam[] = [
  { name: 'alpha', type: float, optional: true },
  { name: 'mu', type: float, optional: true },
  { name: 'beta', type: float, optional: true },
];

export const LEARNED_OPTIMIZATION_FIELDS: readonly TaskFieldSpec[] = [
  { name: 'base_tasks', value: { kind: 'call_list', noun: 'base task', callees: BASE_TASKS }, required: true, doc: 'the problems the optimizers are meta-trained and evaluated on' },
  { name: 'optimizers', value: { kind: 'update_nets' }, required: true, doc: 'the learned optimizers compared: `sgdm` and nets F_ϕ' },
  { name: 'rule', value: { kind: 'record', fields: RULE_FIELDS }, required: false, doc: 'initial α, μ, β of the update rule (default 0.1, 0.9, 0.001)' },
  { name: 'meta_training', value: { kind: 'call', noun: 'meta-trainer', callees: META_TRAINERS }, required: true, doc: 'how the optimizers are meta-trained' },
  { name: 'baseline', value: { kind: 'call', noun: 'baseline', callees: BASELINES }, required: true, doc: 'the tuned Adam the optimizers are compared with' },
  { name: 'seeds', value: { kind: 'int_list' }, required: true, doc: 'evaluation runs, one per seed' },
];

// ---- INR editing (paper §6.3) ------------------------------------------------------------------

const images: BuiltinParam = { name: 'images', type: { kind: 'enum', values: ['mnist', 'fashion_mnist'] }, optional: true };

/** How the INR datasets are made: one SIREN fitted to each image, many per dispatch. */
export const INR_DATA: readonly Builtin[] = [
  {
    name: 'fitted_inrs', context: 'task',
    doc: 'one INR of the target fitted to each of the first `count` images of every edit\'s collection, `fit_batch` per dispatch with Adam, cached; `points` pixels give the gradient inputs Γ_points[2] (defaults: count 1000, fit_steps 100, fit_lr 0.005, fit_batch 256, points 64, seed 0)',
    params: [
      { name: 'count', type: int, optional: true },
      { name: 'points', type: int, optional: true },
      { name: 'fit_steps', type: int, optional: true },
      { name: 'fit_lr', type: float, optional: true },
      { name: 'fit_batch', type: int, optional: true },
      { name: 'seed', type: int, optional: true },
    ],
  },
  {
    name: 'gradient_files', context: 'task',
    doc: 'sets of per-example gradients (rank-1 factors), θ and labels read from .npy files in a folder (docs/gradient-files.md); `dir` relative to the .gmn file, `points` the set size b',
    params: [
      { name: 'dir', type: { kind: 'string' }, optional: true },
      { name: 'points', type: int, optional: true },
    ],
  },
];

/** The image edits (OpenCV.js), each one column of the paper's Table 2. */
export const EDITS: readonly Builtin[] = [
  { name: 'dilate', context: 'task', doc: 'dilation with a 3×3 ones kernel, one iteration (the paper\'s MNIST edit; default images: mnist)', params: [images] },
  {
    name: 'contrast', context: 'task',
    doc: 'contrast enhancement by CLAHE, clip limit 1.0, 3×3 tiles (the paper\'s CIFAR-10 edit, on grayscale here; default images: fashion_mnist)',
    params: [images],
  },
];

export const INR_EDITING_FIELDS: readonly TaskFieldSpec[] = [
  { name: 'target', value: { kind: 'target' }, required: true, doc: 'the INR: an mlp with 2 inputs (the pixel coordinates)' },
  { name: 'data', value: { kind: 'call', noun: 'INR dataset', callees: INR_DATA }, required: true, doc: 'how the INR datasets are fitted' },
  { name: 'edits', value: { kind: 'call_list', noun: 'edit', callees: EDITS }, required: true, doc: 'the edits to learn, one benchmark each' },
  {
    name: 'splits', required: false, doc: 'held-out INRs per benchmark (default 10% each)',
    value: { kind: 'record', fields: [{ name: 'test', type: int, optional: true }, { name: 'validation', type: int, optional: true }] },
  },
  { name: 'models', value: { kind: 'models' }, required: true, doc: 'the editors: nets from `theta: weights(T)[1]` (and `grads: grads(T, b)[2]`, `probes: neurons(T)[k]`) to `render(...)`, pixels(side)[d_L]' },
  { name: 'optimizer', value: { kind: 'call', noun: 'optimizer', callees: OPTIMIZERS }, required: true, doc: 'the editors\' optimizer (its lr is replaced by each of `learning_rates`)' },
  { name: 'learning_rates', value: { kind: 'float_list' }, required: true, doc: 'the learning-rate grid; the best by validation MSE is reported' },
  { name: 'batch', value: { kind: 'int' }, required: true, doc: 'INRs per training step' },
  { name: 'steps', value: { kind: 'int' }, required: true, doc: 'training steps per run' },
  { name: 'eval_every', value: { kind: 'int' }, required: false, doc: 'steps between validations (default: steps / 10); the best validation\'s test MSE is reported' },
  { name: 'seeds', value: { kind: 'int_list' }, required: true, doc: 'one run per seed (and learning rate)' },
  { name: 'figure', value: { kind: 'int' }, required: false, doc: 'test INRs shown in the image grid (default 6)' },
];

export interface TaskKindSpec {
  name: string;
  doc: string;
  fields: readonly TaskFieldSpec[];
}

export const TASK_KINDS: readonly TaskKindSpec[] = [
  { name: 'curvature', doc: 'train nets to predict a curvature label from per-example gradients (§6.1)', fields: CURVATURE_FIELDS },
  { name: 'learned_optimization', doc: 'meta-train learned optimizers with PES and compare them with tuned Adam (§6.2)', fields: LEARNED_OPTIMIZATION_FIELDS },
  { name: 'inr_editing', doc: 'train editors that map an INR θ to θ + Δθ, rendered against the edited image (§6.3)', fields: INR_EDITING_FIELDS },
];

export const DEFAULT_TASK_KIND = 'curvature';

/** `kind: NAME`, the one field every task may have; a preset cannot change it. */
export const KIND_FIELD: TaskFieldSpec = {
  name: 'kind', value: { kind: 'enum', noun: 'task kind', values: TASK_KINDS.map((k) => k.name) }, required: false,
  doc: `which protocol the task runs (default \`${DEFAULT_TASK_KIND}\`)`,
};

/** The kind a task declares (its `kind` field's bare name), or the default; `undefined` if it names no kind. */
export function taskKind(fields: readonly { key: { name: string }; value: Expr }[]): TaskKindSpec | undefined {
  const value = fields.find((f) => f.key.name === KIND_FIELD.name)?.value;
  if (value === undefined) return TASK_KINDS.find((k) => k.name === DEFAULT_TASK_KIND);
  return value.kind === 'name' ? TASK_KINDS.find((k) => k.name === value.name) : undefined;
}

export function taskField(kind: TaskKindSpec, name: string): TaskFieldSpec | undefined {
  return name === KIND_FIELD.name ? KIND_FIELD : kind.fields.find((f) => f.name === name);
}
