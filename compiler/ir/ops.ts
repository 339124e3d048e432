// The IR: an SSA graph of ops over symmetry-typed tensors.
//
// Values are numbered in definition order; an op may only use values defined before it, so the
// array order of `Graph.nodes` is a valid execution order. Every node keeps the source span of the
// .gmn expression it came from, so the symmetry checker can point at the user's text.
//
// Broadcasting (binary, select): an operand may lack the set axis or the site axis of the result
// (it is repeated along it), and may have 1 channel where the result has c (repeated along
// channels). Nothing else broadcasts.
//
// The implicit batch axis (see types.ts): a value is *batched* when it depends on a net input
// (`compiler/ir/batch.ts` computes this); params and consts are not, and are repeated along the
// batch where they meet batched operands. `contract` and `batch_sum` are the only ops that sum over
// the batch: their result is never batched (they compute parameter gradients over a mini-batch).
import type { Span } from '../syntax/ast.js';
import type { TensorType } from './types.js';

export type ValueId = number;

export type UnaryFn =
  | 'relu' | 'gelu' | 'tanh' | 'sigmoid' | 'silu' | 'sin' | 'cos' | 'exp' | 'log'
  | 'neg' | 'square' | 'sqrt' | 'abs'
  // derivatives, used by autodiff (f'(x) evaluated pointwise)
  | 'relu_grad' | 'gelu_grad' | 'tanh_grad' | 'sigmoid_grad' | 'silu_grad' | 'sign';

export type BinaryFn = 'add' | 'sub' | 'mul' | 'div';

export type ReduceFn = 'mean' | 'sum';

/** Which axes a reduction/broadcast touches. */
export type AxisName = 'set' | 'site';

/** How a parameter is initialised (seeded by the runtime). */
export type ParamInit =
  | { kind: 'zeros' }
  | { kind: 'ones' }
  /** Uniform(-1/sqrt(fanIn), 1/sqrt(fanIn)), as PyTorch's Linear. */
  | { kind: 'uniform_fan_in'; fanIn: number };

/** Constant tables derived from a target's layout; invariant under its group by construction. */
export type ConstTable =
  /**
   * Sinusoidal positional encoding over neurons(T)[dim]: fixed neurons (inputs, outputs) get their
   * own identifier, permuted segments only their segment's identifier. `hiddenIds: 'unique'` gives
   * permuted neurons distinct identifiers too — which the checker rejects.
   */
  | { kind: 'posenc'; target: string; dim: number; hiddenIds: 'segment' | 'unique' }
  /** weights(T)[1]: 1 for bias entries, 0 for weight-matrix entries. */
  | { kind: 'bias_mask'; target: string }
  /**
   * fixed(side²)[2] (label `pixels`): the pixel centres of a side×side image on [−1, 1]², row by
   * row, each as (x, y) = (column, row) coordinates — what `render(θ, side: n)` draws T at. Carries
   * no group action (a fixed axis); `target` is the target drawn.
   */
  | { kind: 'pixel_grid'; target: string; side: number }
  /** vector[1]: the number `value` (e.g. a normaliser's ε); `target` is the target of the tensor it is used with. */
  | { kind: 'fill'; target: string; value: number };

/**
 * Incidence tables between params(T) and neurons(T): `rows` maps every parameter to the neuron it
 * writes to (row p of W_l, or entry p of b_l), `cols` to the neuron it reads from (column q of W_l;
 * none for biases, which read zero).
 */
export type Incidence = 'rows' | 'cols';

/**
 * One basis term of an equivariant linear map along the site axis under a target's *fine* group
 * (added for `eqlinear(..., group: fine)`; see compiler/symmetry/site-model.ts and basis.ts).
 *
 * The site of each side is cut into *cells*: a neuron segment (one slot, running over its
 * positions) or a parameter block (a weight has two slots, row then column; a bias one slot).
 * `labels` gives one label per slot of the output cell, then per slot of the input cell:
 * `{ at: p }` pins the slot to position p (only on fixed segments, where nothing acts);
 * `{ class: k }` slots with the same class must take equal positions.
 * With R(o, i) = "o in cell `out`, i in cell `in`, pins and equalities hold":
 *   y[o] = mean over { i : R(o, i) } of x[i]   (0 where that set is empty or o is outside `out`).
 * A side without a site axis is one cell with no slots (`null`). R is invariant under the group,
 * so every term commutes with it. `siteTermMatrix` (compiler/symmetry/term-matrix.ts) materialises it.
 */
export interface SiteTerm {
  target: string;
  out: SiteCell | null;
  in: SiteCell | null;
  labels: SlotLabel[];
}

/** A neuron segment or parameter block of a target, by index in its layout. */
export interface SiteCell {
  space: 'neurons' | 'params';
  index: number;
}

export type SlotLabel = { class: number } | { at: number };

export type Op =
  /** A tensor input of the net (`grads`, `theta`, ...). */
  | { op: 'input'; name: string }
  /**
   * A learned parameter: shape [cin, cout] for matmul weights, [c] for biases. Never has a set axis
   * and is never batched. Its type is `vector[c]` for shape [c], and `fixed(rows)[cols]` (site
   * { kind: 'fixed', size: rows, label: 'rows' }) for shape [rows, cols], so buffer dims of a 2-D
   * weight are [rows, cols]; executors read it as a flat row-major array either way.
   */
  | { op: 'param'; name: string; shape: number[]; init: ParamInit }
  | { op: 'const'; table: ConstTable }
  | { op: 'unary'; fn: UnaryFn; x: ValueId }
  | { op: 'binary'; fn: BinaryFn; a: ValueId; b: ValueId }
  | { op: 'scale'; x: ValueId; factor: number }
  /**
   * Channel-linear map: y[..., o] = Σ_i x[..., i] w[i, o] (w is [cin, cout]; `transposeW` uses wᵀ).
   * A batched w (params turned into inputs: params-as-inputs.ts) is each batch element's own weight.
   */
  | { op: 'matmul'; x: ValueId; w: ValueId; transposeW: boolean }
  /**
   * Contracts every non-channel axis, the batch included: y[i, o] = Σ_rows a[row, i] b[row, o].
   * The weight gradient of matmul. Typed `fixed(i)[o]` like a 2-D param; never batched.
   */
  | { op: 'contract'; a: ValueId; b: ValueId }
  /** Adds a parameter vector [c] along channels (kept separate from `binary` so biases stay visible). */
  | { op: 'bias'; x: ValueId; b: ValueId }
  | { op: 'reduce'; fn: ReduceFn; x: ValueId; axes: AxisName[] }
  /** Repeats x along the axes that `to` has and x lacks (the adjoint of a sum reduction). */
  | { op: 'broadcast'; x: ValueId; axes: AxisName[] }
  /** Concatenates along channels; operands share set and site (after broadcasting). */
  | { op: 'concat'; xs: ValueId[] }
  /** Channels [start, start + size) of x. */
  | { op: 'slice'; x: ValueId; start: number; size: number }
  /** neurons(T) → params(T) along an incidence table (cols of a bias read 0). */
  | { op: 'gather'; x: ValueId; incidence: Incidence; target: string }
  /** params(T) → neurons(T): sums every parameter's value into its incident neuron (adjoint of gather). */
  | { op: 'scatter'; x: ValueId; incidence: Incidence; target: string }
  /** Per-segment mean over the site axis, broadcast back (the fine group's per-layer pooling). */
  | { op: 'segment_mean'; x: ValueId; target: string }
  /** mask ? a : b, pointwise (mask is 0/1). */
  | { op: 'select'; mask: ValueId; a: ValueId; b: ValueId }
  /** Normalises over channels (no affine part; add one with `binary`/`bias`). */
  | { op: 'layernorm'; x: ValueId; eps: number }
  /**
   * Multi-head scaled dot-product attention along one axis (`set` or `site`), independently at
   * every position of the other axes. q, k, v have the same type; channels split into `heads`.
   */
  | { op: 'attention'; q: ValueId; k: ValueId; v: ValueId; over: AxisName; heads: number }
  /** Gradients of attention w.r.t. q, k or v (`wrt`), given the output cotangent dy. */
  | { op: 'attention_vjp'; q: ValueId; k: ValueId; v: ValueId; dy: ValueId; over: AxisName; heads: number; wrt: 'q' | 'k' | 'v' }
  /** Layer-norm VJP: dx from x and dy. */
  | { op: 'layernorm_vjp'; x: ValueId; dy: ValueId; eps: number }
  /**
   * Moves an axis into the channels (set → channels, or site → channels), e.g. the batch- and
   * neuron-asymmetric baselines. Breaks the group acting on that axis.
   */
  | { op: 'fold'; x: ValueId; axis: AxisName }
  /** Inverse of fold: splits channels into a new axis of the given type. Breaks that axis's group. */
  | { op: 'unfold'; x: ValueId; axis: AxisName }
  /**
   * Fully connected map across all positions of the site axis: position-specific weights
   * w[siteIn·cin, siteOut·cout]. Breaks any group acting on either site.
   */
  | { op: 'dense'; x: ValueId; w: ValueId }
  /** One fine-group basis term of `eqlinear` along the site axis (see `SiteTerm`); channels unchanged. */
  | { op: 'site_term'; x: ValueId; term: SiteTerm }
  /**
   * A sum of site terms of one input's channel maps: w is [cin, T·c] (term k's weights W_k are
   * channel block k; batched in a graph with its params as inputs), y has c channels, and
   * y = Σ_k site_term(terms[k])(matmul(x, W_k)); executors contract W_k inside each key's sum, so no
   * [site, T·c] product is formed (compiler/wgsl/site-term.ts). With w null, x is that product
   * already: y = Σ_k site_term(terms[k])(channel block k of x). Every term has y's out site and x's
   * in site. The step pass's `stacked-site-terms` builds both forms.
   */
  | { op: 'site_terms'; x: ValueId; w: ValueId | null; terms: SiteTerm[] }
  /**
   * Renders target T (an MLP) with Θ-valued weights: y[k, o] = f_θ(coords[k])_o. `theta` is
   * weights(T)[1] (each batch element its own θ, e.g. one INR), `coords` is fixed(n)[d_0] (an input
   * or a constant: it gets no gradient), y is fixed(n)[d_L]. f_θ is invariant under T's neuron
   * permutations acting on θ, so the result carries no group action.
   */
  | { op: 'render'; theta: ValueId; coords: ValueId; target: string }
  /** The VJP of `render` in θ: dθ = Σ_k (∂f_θ(coords[k])/∂θ)ᵀ dy[k], typed like theta (weights(T)[1]). */
  | { op: 'render_vjp'; theta: ValueId; coords: ValueId; dy: ValueId; target: string }
  // ---- added for autodiff (adjoints of implicit broadcasts); all three are group-trivial ----
  /** Sums over the implicit batch axis: the adjoint of repeating a param/const along the batch. Never batched. */
  | { op: 'batch_sum'; x: ValueId }
  /** Sums over channels: [..., c] → [..., 1]. The adjoint of broadcasting 1 channel to c. */
  | { op: 'channel_sum'; x: ValueId }
  /** Zero-pads channels: y[..., start + i] = x[..., i], 0 elsewhere; y has `size` channels. The adjoint of slice. */
  | { op: 'pad'; x: ValueId; start: number; size: number };

export interface Node {
  id: ValueId;
  op: Op;
  type: TensorType;
  span: Span;
  /** The user-facing name: the `let` binding or builtin that produced it, for dumps and messages. */
  label: string;
}

export interface Graph {
  name: string;
  nodes: Node[];
  /** Net inputs by parameter name. */
  inputs: Map<string, ValueId>;
  output: ValueId;
  /**
   * Further named results (e.g. a training step's loss and every parameter's gradient, keyed
   * `loss`, `grad:<param>`), all computed in the same pass. Absent on single-output graphs.
   */
  outputs?: Map<string, ValueId>;
  /** Symmetries the net is *declared* not to respect (`@breaks(set, neurons)`). */
  declaredBreaks: AxisName[];
}
