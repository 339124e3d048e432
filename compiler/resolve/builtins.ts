// The builtin vocabulary of the language, as data: every name a .gmn file may use without
// declaring it, with its parameters. The resolver checks names, arity and argument kinds against
// this table (and suggests near misses); later stages give each builtin its meaning.
import { TARGET_FAMILIES } from '../spaces/families.js';

/** What an argument must be. `enum` values are written as bare names (`over: set`). */
export type ArgKind =
  | { kind: 'tensor' }
  | { kind: 'int' }
  | { kind: 'float' }
  | { kind: 'bool' }
  | { kind: 'string' }
  | { kind: 'target' }
  | { kind: 'space' }
  | { kind: 'int_or_space' }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'enum_list'; values: readonly string[] }
  /** Bare names checked by a later stage (a base task's `optimizers: [sgdm, ds_optimizer]`: entries of the task's list). */
  | { kind: 'name_list' }
  | { kind: 'int_list' }
  | { kind: 'float_list' }
  | { kind: 'activation' }
  | { kind: 'any' };

export interface BuiltinParam {
  name: string;
  type: ArgKind;
  /** Optional parameters have a default (described in words for docs; stages apply it). */
  optional?: boolean;
  /** Variadic: the remaining positional arguments (`concat(a, b, c)`). */
  rest?: boolean;
}

export interface Builtin {
  name: string;
  /** Where the name may appear. */
  context: 'op' | 'space' | 'target' | 'activation' | 'task';
  params: BuiltinParam[];
  doc: string;
}

const tensor: ArgKind = { kind: 'tensor' };
const int: ArgKind = { kind: 'int' };
const float: ArgKind = { kind: 'float' };
const bool: ArgKind = { kind: 'bool' };
const axes = ['set', 'neurons', 'weights'] as const;

function unary(name: string, doc: string): Builtin {
  return { name, context: 'op', params: [{ name: 'x', type: tensor }], doc };
}

export const BUILTINS: readonly Builtin[] = [
  // ---- pointwise ----------------------------------------------------------------------------
  unary('relu', 'max(x, 0), pointwise'),
  unary('gelu', 'GELU (tanh approximation), pointwise'),
  unary('tanh', 'tanh, pointwise'),
  unary('sigmoid', 'logistic sigmoid, pointwise'),
  unary('silu', 'x·sigmoid(x), pointwise'),
  unary('sin', 'sine, pointwise'),
  unary('cos', 'cosine, pointwise'),
  unary('exp', 'exponential, pointwise'),
  unary('log', 'natural logarithm, pointwise'),
  unary('square', 'x², pointwise'),
  unary('sqrt', 'square root, pointwise'),
  unary('abs', 'absolute value, pointwise'),
  // ---- channel maps -------------------------------------------------------------------------
  {
    name: 'linear', context: 'op', doc: 'learned channel-linear map (shared by every set element and site); zero: true starts it as the zero map',
    params: [{ name: 'x', type: tensor }, { name: 'out', type: int }, { name: 'bias', type: bool, optional: true }, { name: 'zero', type: bool, optional: true }],
  },
  {
    name: 'eqlinear', context: 'op',
    doc: 'the complete equivariant linear map between two spaces (basis enumerated by the compiler); terms: shared_neurons or within_block keeps the basis terms between cells that share a neuron segment, or within one cell',
    params: [
      { name: 'x', type: tensor },
      { name: 'out', type: { kind: 'int_or_space' } },
      { name: 'group', type: { kind: 'enum', values: ['coarse', 'fine', 'np'] }, optional: true },
      { name: 'bias', type: bool, optional: true },
      { name: 'terms', type: { kind: 'enum', values: ['all', 'shared_neurons', 'within_block'] }, optional: true },
    ],
  },
  {
    name: 'dense', context: 'op',
    doc: 'fully connected map across all positions (position-specific weights): breaks permutation symmetry',
    params: [{ name: 'x', type: tensor }, { name: 'to', type: { kind: 'space' } }],
  },
  { name: 'layernorm', context: 'op', doc: 'normalises over channels', params: [{ name: 'x', type: tensor }] },
  {
    name: 'blocknorm', context: 'op',
    doc: 'standardises each parameter block (W_l, b_l) or neuron layer of every example over its entries, per channel and set element (invariant statistics: equivariant)',
    params: [{ name: 'x', type: tensor }],
  },
  {
    name: 'attention', context: 'op', doc: 'multi-head self-attention along one axis, with learned Q, K, V, O maps',
    params: [
      { name: 'x', type: tensor },
      { name: 'over', type: { kind: 'enum', values: axes } },
      { name: 'heads', type: int, optional: true },
    ],
  },
  // ---- reductions and structure -------------------------------------------------------------
  {
    name: 'mean', context: 'op', doc: 'mean over axes (invariant in them)',
    params: [{ name: 'x', type: tensor }, { name: 'over', type: { kind: 'enum_list', values: axes } }],
  },
  {
    name: 'sum', context: 'op', doc: 'sum over axes (invariant in them)',
    params: [{ name: 'x', type: tensor }, { name: 'over', type: { kind: 'enum_list', values: axes } }],
  },
  { name: 'concat', context: 'op', doc: 'concatenation along channels (broadcasting missing axes)', params: [{ name: 'xs', type: tensor, rest: true }] },
  {
    name: 'select', context: 'op', doc: 'mask ? a : b, pointwise',
    params: [{ name: 'mask', type: tensor }, { name: 'a', type: tensor }, { name: 'b', type: tensor }],
  },
  { name: 'rows', context: 'op', doc: 'neurons → weights: each parameter gets the features of the neuron it writes to', params: [{ name: 'x', type: tensor }] },
  { name: 'cols', context: 'op', doc: 'neurons → weights: each parameter gets the features of the neuron it reads from (0 for biases)', params: [{ name: 'x', type: tensor }] },
  { name: 'row_sum', context: 'op', doc: 'weights → neurons: sum of the parameters writing to each neuron', params: [{ name: 'x', type: tensor }] },
  { name: 'col_sum', context: 'op', doc: 'weights → neurons: sum of the parameters reading from each neuron', params: [{ name: 'x', type: tensor }] },
  {
    name: 'fold', context: 'op', doc: 'moves an axis into the channels: breaks the symmetry of that axis',
    params: [{ name: 'x', type: tensor }, { name: 'axis', type: { kind: 'enum', values: axes } }],
  },
  // ---- constants from the target ------------------------------------------------------------
  {
    name: 'posenc', context: 'op', doc: 'sinusoidal ids: fixed neurons get their own, permuted neurons only their layer id',
    params: [
      { name: 'target', type: { kind: 'target' } },
      { name: 'dim', type: int },
      { name: 'ids', type: { kind: 'enum', values: ['layer', 'unique'] }, optional: true },
    ],
  },
  { name: 'bias_mask', context: 'op', doc: 'weights(T)[1]: 1 on biases, 0 on weight-matrix entries', params: [{ name: 'target', type: { kind: 'target' } }] },
  // ---- running a target ---------------------------------------------------------------------
  {
    name: 'render', context: 'op',
    doc: 'pixels(side)[d_L]: the MLP T (2 inputs) with the weights θ ∈ weights(T)[1] evaluated at the side×side pixel grid of [−1, 1]² (invariant under T\'s neuron permutations)',
    params: [{ name: 'theta', type: tensor }, { name: 'side', type: int }],
  },
  // ---- spaces -------------------------------------------------------------------------------
  { name: 'grads', context: 'space', doc: 'Γ_b: per-example rank-1 factors [set b, neurons T, c]', params: [{ name: 'target', type: { kind: 'target' } }, { name: 'set', type: { kind: 'any' } }] },
  { name: 'neurons', context: 'space', doc: 'Γ: features on the neurons of T [neurons T, c]', params: [{ name: 'target', type: { kind: 'target' } }] },
  { name: 'weights', context: 'space', doc: 'Θ: features on the parameters of T [params T, c]', params: [{ name: 'target', type: { kind: 'target' } }] },
  { name: 'weight_grads', context: 'space', doc: 'Θ_b: full per-example gradients [set b, params T, c]', params: [{ name: 'target', type: { kind: 'target' } }, { name: 'set', type: { kind: 'any' } }] },
  { name: 'set', context: 'space', doc: 'a set of feature vectors [set b, c]', params: [{ name: 'set', type: { kind: 'any' } }] },
  { name: 'vector', context: 'space', doc: 'an invariant vector [c] (written without parentheses: vector[c])', params: [] },
  { name: 'pixels', context: 'space', doc: 'an image on the side×side pixel grid [side², c], row by row (a fixed axis: nothing acts)', params: [{ name: 'side', type: int }] },
  // ---- targets ------------------------------------------------------------------------------
  // One per registered target family (compiler/spaces/families.ts): its constructor's parameters.
  ...TARGET_FAMILIES.map((f): Builtin => ({ name: f.name, context: 'target', doc: f.doc, params: f.params })),
  { name: 'relu', context: 'activation', doc: 'ReLU activation', params: [] },
  { name: 'gelu', context: 'activation', doc: 'GELU activation', params: [] },
  { name: 'tanh', context: 'activation', doc: 'tanh activation', params: [] },
  { name: 'sine', context: 'activation', doc: 'SIREN activation sin(ω0·x)', params: [{ name: 'omega0', type: float, optional: true }] },
];

export function builtinsIn(context: Builtin['context']): Builtin[] {
  return BUILTINS.filter((b) => b.context === context);
}

export function findBuiltin(name: string, context: Builtin['context']): Builtin | undefined {
  return BUILTINS.find((b) => b.name === name && b.context === context);
}
