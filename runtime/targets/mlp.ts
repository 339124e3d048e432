// MLP targets in float64: a batched forward pass, backward pass, and the per-example rank-1 factors
// Γ_b ([b, N, 2], neurons in the layout's segment order). Every example may carry its own θ (the
// curvature task evaluates thousands of random SIRENs at once).
//
//   u^l = W_l a^{l-1} + b_l,  a^l = σ(u^l) for 0 < l < L,  a^L = u^L (linear last layer), a^0 = x
//   g^l = ∂ℓ/∂u^l:  g^L from the loss, g^l = σ'(u^l) ⊙ W_{l+1}ᵀ g^{l+1}
//   Γ[i, layer l] = (a^l, g^l) for hidden l; (a^0, a^0) for the input layer; (g^L, g^L) for the
//   output layer (paper spec §2.2 boundary channels; docs/grad-format.md).
//
// Losses (per example, no batch scaling: the batch loss is their mean):
//   output          ℓ = f(x) for a scalar output (∇_θ f: the Gaussian-likelihood Fisher case)
//   mse             ℓ = ½‖f(x) − y‖² (the unit-variance Gaussian NLL up to a constant), g^L = f − y
//   cross_entropy   ℓ = −log softmax(f(x))_y, g^L = softmax(f) − e_y
import type { MlpSpec, TargetLayout } from '../../compiler/spaces/target.js';
import { activate, activateDerivative } from './activations.js';
import { checkFinite, checkLabels, checkParameters, checkWidth, DataError } from './errors.js';
import { gradientsFromFactors } from './factors.js';
import type { OutputModel } from './fisher.js';

export interface MlpBatch {
  /** Number of examples b. */
  count: number;
  /** [b, d_0] row-major. */
  inputs: Float64Array;
  /** θ in layout order: [P], shared by every example, or [b, P], one parameter vector per example. */
  theta: Float64Array;
}

export type MlpLoss =
  | { kind: 'output' }
  | { kind: 'mse'; targets: Float64Array }
  | { kind: 'cross_entropy'; labels: ArrayLike<number> };

/** Everything a forward pass stores: pre-activations u and activations a of every neuron. */
export interface MlpForward {
  count: number;
  /** [b, N]: u^l per layer (layer 0 holds x). */
  pre: Float64Array;
  /** [b, N]: a^l per layer (a^0 = x, a^L = u^L = f(x)). */
  act: Float64Array;
  /** [b, d_L]: f(x). */
  outputs: Float64Array;
}

export interface MlpGradients {
  count: number;
  /** [b, d_L]: f(x). */
  outputs: Float64Array;
  /** [b]: per-example loss ℓ_i (for `output`, f(x_i) itself). */
  losses: Float64Array;
  /** [b, N, 2]: Γ_b, the per-example rank-1 factors with the boundary convention above. */
  factors: Float64Array;
}

export function mlpForward(layout: TargetLayout, batch: MlpBatch): MlpForward {
  const spec = mlpSpec(layout);
  checkMlpBatch(layout, spec, batch);
  const { count, inputs, theta } = batch;
  const N = layout.neuronCount;
  const P = layout.paramCount;
  const L = spec.widths.length - 1;
  const pre = new Float64Array(count * N);
  const act = new Float64Array(count * N);
  const dL = spec.widths[L]!;
  const outputs = new Float64Array(count * dL);
  const shared = theta.length === P;
  for (let i = 0; i < count; i++) {
    const base = i * N;
    const t0 = shared ? 0 : i * P;
    const d0 = spec.widths[0]!;
    for (let j = 0; j < d0; j++) pre[base + j] = act[base + j] = inputs[i * d0 + j]!;
    for (let l = 1; l <= L; l++) {
      const W = layout.params[2 * (l - 1)]!;
      const bOff = t0 + layout.params[2 * (l - 1) + 1]!.offset;
      const inBase = base + layout.segments[l - 1]!.offset;
      const outBase = base + layout.segments[l]!.offset;
      const cols = W.cols!;
      for (let p = 0; p < W.rows; p++) {
        let u = theta[bOff + p]!;
        const row = t0 + W.offset + p * cols;
        for (let q = 0; q < cols; q++) u += theta[row + q]! * act[inBase + q]!;
        pre[outBase + p] = u;
        act[outBase + p] = l < L ? activate(spec.activation, u) : u;
      }
    }
    outputs.set(act.subarray(base + layout.segments[L]!.offset, base + N), i * dL);
  }
  return { count, pre, act, outputs };
}

/** Forward, loss and backward of a batch; returns Γ_b. */
export function mlpGradients(layout: TargetLayout, batch: MlpBatch, loss: MlpLoss): MlpGradients {
  const spec = mlpSpec(layout);
  const fwd = mlpForward(layout, batch);
  const L = spec.widths.length - 1;
  const dL = spec.widths[L]!;
  checkMlpLoss(loss, batch.count, dL);
  const N = layout.neuronCount;
  const losses = new Float64Array(batch.count);
  const factors = new Float64Array(batch.count * N * 2);
  const seed = new Float64Array(dL);
  const g = new Float64Array(N);
  for (let i = 0; i < batch.count; i++) {
    losses[i] = outputLoss(loss, i, fwd.outputs.subarray(i * dL, (i + 1) * dL), seed);
    backward(layout, spec, batch, fwd, i, seed, g);
    writeFactors(layout, spec, fwd, i, g, factors);
  }
  return { count: batch.count, outputs: fwd.outputs, losses, factors };
}

/** Per-example gradients in Θ, [b, P] (W_l row-major then b_l, per layer), from Γ_b. */
export function mlpPerExampleGradients(layout: TargetLayout, grads: MlpGradients): Float64Array {
  return gradientsFromFactors(layout, grads.factors, grads.count);
}

/**
 * The MLP as an `OutputModel` for curvature labels (fisher.ts): one shared θ ([P]) and the inputs
 * whose outputs define the likelihood.
 */
export function mlpOutputModel(layout: TargetLayout, batch: MlpBatch): OutputModel {
  const spec = mlpSpec(layout);
  if (batch.theta.length !== layout.paramCount) {
    throw new DataError('data/wrong-parameter-count', `curvature labels need one parameter vector of ${layout.paramCount} numbers, got ${batch.theta.length}`,
      'compute labels model by model, passing each model\'s θ');
  }
  const fwd = mlpForward(layout, batch);
  const L = spec.widths.length - 1;
  const g = new Float64Array(layout.neuronCount);
  return {
    paramCount: layout.paramCount,
    examples: batch.count,
    positions: 1,
    width: spec.widths[L]!,
    outputs: fwd.outputs,
    vjp(example: number, seed: Float64Array, out: Float64Array): void {
      backward(layout, spec, batch, fwd, example, seed, g);
      accumulateRankOne(layout, fwd.act, example, g, out);
    },
  };
}

/** ℓ_i and its gradient with respect to the outputs (written to `seed`). */
export function outputLoss(loss: MlpLoss, i: number, f: Float64Array, seed: Float64Array): number {
  switch (loss.kind) {
    case 'output':
      seed[0] = 1;
      return f[0]!;
    case 'mse': {
      let sum = 0;
      for (let k = 0; k < f.length; k++) {
        const r = f[k]! - loss.targets[i * f.length + k]!;
        seed[k] = r;
        sum += r * r;
      }
      return 0.5 * sum;
    }
    case 'cross_entropy': {
      const y = loss.labels[i]!;
      const lse = logSumExp(f);
      for (let k = 0; k < f.length; k++) seed[k] = Math.exp(f[k]! - lse) - (k === y ? 1 : 0);
      return lse - f[y]!;
    }
  }
}

export function logSumExp(f: ArrayLike<number>): number {
  let max = -Infinity;
  for (let k = 0; k < f.length; k++) max = Math.max(max, f[k]!);
  let sum = 0;
  for (let k = 0; k < f.length; k++) sum += Math.exp(f[k]! - max);
  return max + Math.log(sum);
}

/** g^l = ∂(seedᵀ f)/∂u^l for every layer l ≥ 1 of example i, into g ([N]; layer 0 left as is). */
function backward(layout: TargetLayout, spec: MlpSpec, batch: MlpBatch, fwd: MlpForward, i: number, seed: ArrayLike<number>, g: Float64Array): void {
  const N = layout.neuronCount;
  const P = layout.paramCount;
  const L = spec.widths.length - 1;
  const t0 = batch.theta.length === P ? 0 : i * P;
  const theta = batch.theta;
  const outOff = layout.segments[L]!.offset;
  for (let k = 0; k < spec.widths[L]!; k++) g[outOff + k] = seed[k]!;
  for (let l = L - 1; l >= 1; l--) {
    const W = layout.params[2 * l]!; // W_{l+1}: rows layer l+1, cols layer l
    const cols = W.cols!;
    const off = layout.segments[l]!.offset;
    const upOff = layout.segments[l + 1]!.offset;
    for (let q = 0; q < cols; q++) g[off + q] = 0;
    for (let p = 0; p < W.rows; p++) {
      const gp = g[upOff + p]!;
      if (gp === 0) continue;
      const row = t0 + W.offset + p * cols;
      for (let q = 0; q < cols; q++) g[off + q] += theta[row + q]! * gp;
    }
    for (let q = 0; q < cols; q++) g[off + q] *= activateDerivative(spec.activation, fwd.pre[i * N + off + q]!);
  }
}

function writeFactors(layout: TargetLayout, spec: MlpSpec, fwd: MlpForward, i: number, g: Float64Array, factors: Float64Array): void {
  const N = layout.neuronCount;
  const L = spec.widths.length - 1;
  for (let l = 0; l <= L; l++) {
    const { offset, size } = layout.segments[l]!;
    for (let j = offset; j < offset + size; j++) {
      const a = fwd.act[i * N + j]!;
      const first = l === L ? g[j]! : a;
      const second = l === 0 ? a : g[j]!;
      factors[(i * N + j) * 2] = first;
      factors[(i * N + j) * 2 + 1] = second;
    }
  }
}

/** out += ∇_θ from factors (a of example i, g): W_l += g^l a^{l-1}ᵀ, b_l += g^l. */
function accumulateRankOne(layout: TargetLayout, act: Float64Array, i: number, g: Float64Array, out: Float64Array): void {
  const N = layout.neuronCount;
  for (const block of layout.params) {
    const rowOff = layout.segments[block.rowSegment]!.offset;
    if (block.cols === null) {
      for (let p = 0; p < block.rows; p++) out[block.offset + p] += g[rowOff + p]!;
      continue;
    }
    const colOff = i * N + layout.segments[block.colSegment!]!.offset;
    for (let p = 0; p < block.rows; p++) {
      const gp = g[rowOff + p]!;
      const row = block.offset + p * block.cols;
      for (let q = 0; q < block.cols; q++) out[row + q] += gp * act[colOff + q]!;
    }
  }
}

function mlpSpec(layout: TargetLayout): MlpSpec {
  if (layout.spec.kind !== 'mlp') throw new Error(`internal: ${layout.name} is not an mlp target`);
  return layout.spec;
}

/** Throws a DataError for inputs or θ that do not fit the target (shared with the GPU path). */
export function checkMlpBatch(layout: TargetLayout, spec: MlpSpec, batch: MlpBatch): void {
  const P = layout.paramCount;
  checkWidth(batch.inputs, batch.count, spec.widths[0]!, 'inputs');
  checkFinite(batch.inputs, spec.widths[0]!, 'inputs');
  if (batch.theta.length !== P && batch.theta.length !== batch.count * P) {
    throw new DataError('data/wrong-parameter-count',
      `${layout.name} has ${P} parameters, but θ holds ${batch.theta.length} numbers (neither ${P} nor ${batch.count} × ${P})`,
      `pass one parameter vector in layout order, or one per batch element`);
  }
  checkParameters(layout, batch.theta);
}

/** Throws a DataError for a loss whose targets or labels do not fit the batch. */
export function checkMlpLoss(loss: MlpLoss, count: number, dL: number): void {
  switch (loss.kind) {
    case 'output':
      if (dL !== 1) {
        throw new DataError('data/output-not-scalar', `the output loss needs a scalar output, but the target has ${dL} outputs`,
          'use the mse or cross_entropy loss, or an mlp whose last width is 1');
      }
      return;
    case 'mse':
      checkWidth(loss.targets, count, dL, 'regression targets');
      checkFinite(loss.targets, dL, 'regression targets');
      return;
    case 'cross_entropy':
      if (loss.labels.length !== count) {
        throw new DataError('data/wrong-dimension', `${loss.labels.length} labels for ${count} batch elements`, 'give exactly one class label per batch element');
      }
      checkLabels(loss.labels, dL, 'label of batch element');
  }
}
