// Curvature labels in float64 (conventions and formulas: docs/curvature.md).
//
// A model is seen through its outputs: per example, `positions` groups of `width` outputs (an MLP:
// 1 group of d_L; a transformer: one group of V logits per token), and a vector-Jacobian product.
//   gaussian  p(y | x) = Π_t N(y_t; f_t(x), I):       log-lik gradient Σ_t J_tᵀ(y_t − f_t)
//   softmax   p(y | x) = Π_t softmax(f_t(x))_{y_t}:   log-lik gradient Σ_t J_tᵀ(e_{y_t} − p_t)
// True Fisher    F = (1/n) Σ_i E_{y∼p_θ(·|x_i)} [∇log p ∇log pᵀ], the expectation taken *exactly*
//                (gaussian: Σ_t J_tᵀJ_t; softmax: Σ_t Σ_k p_tk s_tk s_tkᵀ with s_tk = J_tᵀ(e_k − p_t);
//                the positions of one example are independent given x, so cross terms vanish).
// Empirical      F_emp = (1/n) Σ_i ∇log p(y_i|x_i) ∇log p(y_i|x_i)ᵀ at the observed labels.
// Both are means over the n examples (never sums) with no ½; only diagonals are formed.
import { DataError, checkFinite, checkLabels, checkWidth } from './errors.js';

export interface OutputModel {
  paramCount: number;
  examples: number;
  /** Output groups per example (softmax is taken within a group). */
  positions: number;
  /** Outputs per group (d_L, or the vocabulary size). */
  width: number;
  /** [examples, positions, width]: f(x) (means, or logits). */
  outputs: Float64Array;
  /** out[P] += ∇_θ (seedᵀ f(x_example)), with seed [positions · width]. */
  vjp(example: number, seed: Float64Array, out: Float64Array): void;
}

export type Likelihood = 'gaussian' | 'softmax';

/** Observed data for the empirical Fisher: regression targets [n, positions·width] or labels [n·positions]. */
export type Observations =
  | { kind: 'gaussian'; targets: Float64Array }
  | { kind: 'softmax'; labels: ArrayLike<number> };

/** Every curvature label of one model at once (the empirical diagonal only when data is observed). */
export interface FisherLabels {
  likelihood: Likelihood;
  trueDiagonal: Float64Array;
  trace: number;
  obd: Float64Array;
  empiricalDiagonal: Float64Array | null;
}

export function fisherLabels(model: OutputModel, likelihood: Likelihood, theta: Float64Array, observed: Observations | null = null): FisherLabels {
  if (observed !== null && observed.kind !== likelihood) {
    throw new Error(`internal: ${observed.kind} observations for a ${likelihood} likelihood`);
  }
  const trueDiagonal = trueFisherDiagonal(model, likelihood);
  return {
    likelihood, trueDiagonal, trace: fisherTrace(trueDiagonal), obd: obdSaliency(theta, trueDiagonal),
    empiricalDiagonal: observed === null ? null : empiricalFisherDiagonal(model, observed),
  };
}

/** diag F of the true Fisher, exact expectation over y (no sampling). */
export function trueFisherDiagonal(model: OutputModel, likelihood: Likelihood): Float64Array {
  const { positions, width } = model;
  const diag = new Float64Array(model.paramCount);
  const grad = new Float64Array(model.paramCount);
  const seed = new Float64Array(positions * width);
  const p = new Float64Array(width);
  for (let i = 0; i < model.examples; i++) {
    for (let t = 0; t < positions; t++) {
      const at = t * width;
      if (likelihood === 'gaussian') {
        for (let k = 0; k < width; k++) {
          seed[at + k] = 1;
          addSquaredVjp(model, i, seed, grad, 1, diag);
          seed[at + k] = 0;
        }
        continue;
      }
      softmax(model.outputs, (i * positions + t) * width, width, p);
      for (let k = 0; k < width; k++) {
        if (p[k] === 0) continue; // a class of probability 0 contributes nothing to the expectation
        for (let c = 0; c < width; c++) seed[at + c] = (c === k ? 1 : 0) - p[c]!;
        addSquaredVjp(model, i, seed, grad, p[k]!, diag);
      }
      seed.fill(0, at, at + width);
    }
  }
  return scale(diag, 1 / model.examples);
}

/** diag F_emp: the mean of squared per-example log-likelihood gradients at the observed labels. */
export function empiricalFisherDiagonal(model: OutputModel, observed: Observations): Float64Array {
  const { positions, width, examples } = model;
  const K = positions * width;
  checkObservations(model, observed);
  const diag = new Float64Array(model.paramCount);
  const grad = new Float64Array(model.paramCount);
  const seed = new Float64Array(K);
  const p = new Float64Array(width);
  for (let i = 0; i < examples; i++) {
    if (observed.kind === 'gaussian') {
      for (let o = 0; o < K; o++) seed[o] = observed.targets[i * K + o]! - model.outputs[i * K + o]!;
    } else {
      for (let t = 0; t < positions; t++) {
        softmax(model.outputs, (i * positions + t) * width, width, p);
        const y = observed.labels[i * positions + t]!;
        for (let c = 0; c < width; c++) seed[t * width + c] = (c === y ? 1 : 0) - p[c]!;
      }
    }
    addSquaredVjp(model, i, seed, grad, 1, diag);
  }
  return scale(diag, 1 / examples);
}

/** tr F = Σ_p diag F[p]. */
export function fisherTrace(diagonal: Float64Array): number {
  let sum = 0;
  for (const v of diagonal) sum += v;
  return sum;
}

/** Optimal Brain Damage saliency θ² ⊙ diag F (LeCun et al. 1990, without their ½). */
export function obdSaliency(theta: Float64Array, diagonal: Float64Array): Float64Array {
  return diagonal.map((f, p) => theta[p]! * theta[p]! * f);
}

/** diag += w · (∇_θ seedᵀf)² for one example. */
function addSquaredVjp(model: OutputModel, i: number, seed: Float64Array, grad: Float64Array, w: number, diag: Float64Array): void {
  grad.fill(0);
  model.vjp(i, seed, grad);
  for (let q = 0; q < grad.length; q++) diag[q] += w * grad[q]! * grad[q]!;
}

function softmax(logits: Float64Array, offset: number, width: number, out: Float64Array): void {
  let max = -Infinity;
  for (let k = 0; k < width; k++) max = Math.max(max, logits[offset + k]!);
  let sum = 0;
  for (let k = 0; k < width; k++) sum += (out[k] = Math.exp(logits[offset + k]! - max));
  for (let k = 0; k < width; k++) out[k] /= sum;
}

function scale(v: Float64Array, s: number): Float64Array {
  for (let q = 0; q < v.length; q++) v[q] *= s;
  return v;
}

function checkObservations(model: OutputModel, observed: Observations): void {
  const K = model.positions * model.width;
  if (observed.kind === 'gaussian') {
    checkWidth(observed.targets, model.examples, K, 'regression targets');
    checkFinite(observed.targets, K, 'regression targets');
    return;
  }
  if (observed.labels.length !== model.examples * model.positions) {
    throw new DataError('data/wrong-dimension', `${observed.labels.length} labels for ${model.examples} batch elements of ${model.positions} positions`,
      'give one class label per batch element and position');
  }
  checkLabels(observed.labels, model.width, 'label');
}
