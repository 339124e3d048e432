// CNN targets in float64 (compiler/spaces/cnn.ts has the architecture and the layout): forward and
// backward passes of a batch and the per-example factors Γ_b, [b·P, N, 2] with the P positions of one
// example contiguous, from which gradientsFromFactors rebuilds every per-example gradient exactly.
// Losses as for MLPs (output, mse, cross_entropy: runtime/targets/mlp.ts).
import { kernelOffsets, type CnnLayout } from '../../compiler/spaces/cnn.js';
import type { ParamBlock } from '../../compiler/spaces/target.js';
import { activate, activateDerivative } from './activations.js';
import { checkFinite, checkParameters, checkWidth, DataError } from './errors.js';
import { gradientsFromFactors } from './factors.js';
import { outputLoss, type MlpLoss } from './mlp.js';

export interface CnnBatch {
  count: number;
  /** [b, C_0, H, W] row-major (PyTorch's NCHW). */
  inputs: Float64Array;
  /** θ in layout order: [P] shared, or [b, P] one parameter vector per example. */
  theta: Float64Array;
}

export interface CnnGradients {
  count: number;
  /** [b, d_J]: the outputs. */
  outputs: Float64Array;
  /** [b]: per-example losses. */
  losses: Float64Array;
  /** [b·P, N, 2]: Γ_b, P items (positions) per example. */
  factors: Float64Array;
}

/** One example's activations: per conv layer [C_l, P] pre- and post-activations, per head layer vectors. */
interface ExampleForward {
  /** convPre[l − 1] = u_l, convAct[l] = x_l (convAct[0] = the image). */
  convPre: Float64Array[];
  convAct: Float64Array[];
  headPre: Float64Array[];
  /** headAct[0] = the pooled features m, headAct[j] = h_j (the last = the outputs). */
  headAct: Float64Array[];
}

export function cnnGradients(layout: CnnLayout, batch: CnnBatch, loss: MlpLoss): CnnGradients {
  checkCnnBatch(layout, batch);
  const spec = layout.spec;
  const outputsWidth = spec.head[spec.head.length - 1]!;
  const P = layout.positions;
  const N = layout.neuronCount;
  const outputs = new Float64Array(batch.count * outputsWidth);
  const losses = new Float64Array(batch.count);
  const factors = new Float64Array(batch.count * P * N * 2);
  const seed = new Float64Array(outputsWidth);
  for (let i = 0; i < batch.count; i++) {
    const theta = exampleTheta(layout, batch, i);
    const fwd = forward(layout, theta, batch.inputs.subarray(i * spec.channels[0]! * P, (i + 1) * spec.channels[0]! * P));
    const f = fwd.headAct[spec.head.length]!;
    outputs.set(f, i * outputsWidth);
    losses[i] = outputLoss(loss, i, f, seed);
    const signals = backward(layout, theta, fwd, seed);
    writeFactors(layout, fwd, signals, factors.subarray(i * P * N * 2, (i + 1) * P * N * 2));
  }
  return { count: batch.count, outputs, losses, factors };
}

/** Per-example gradients [b, P_params] in layout order, rebuilt from Γ_b. */
export function cnnPerExampleGradients(layout: CnnLayout, grads: CnnGradients): Float64Array {
  return gradientsFromFactors(layout, grads.factors, grads.count, layout.positions);
}

/** Per-example losses only (a forward pass): what finite differences of the gradients are taken of. */
export function cnnLosses(layout: CnnLayout, batch: CnnBatch, loss: MlpLoss): Float64Array {
  checkCnnBatch(layout, batch);
  const spec = layout.spec;
  const inputSize = spec.channels[0]! * layout.positions;
  const seed = new Float64Array(spec.head[spec.head.length - 1]!);
  const out = new Float64Array(batch.count);
  for (let i = 0; i < batch.count; i++) {
    const fwd = forward(layout, exampleTheta(layout, batch, i), batch.inputs.subarray(i * inputSize, (i + 1) * inputSize));
    out[i] = outputLoss(loss, i, fwd.headAct[spec.head.length]!, seed);
  }
  return out;
}

function exampleTheta(layout: CnnLayout, batch: CnnBatch, i: number): Float64Array {
  const P = layout.paramCount;
  return batch.theta.length === P ? batch.theta : batch.theta.subarray(i * P, (i + 1) * P);
}

function forward(layout: CnnLayout, theta: Float64Array, image: Float64Array): ExampleForward {
  const { spec } = layout;
  const convPre: Float64Array[] = [];
  const convAct: Float64Array[] = [image];
  layout.convs.forEach((conv, index) => {
    const u = convolve(layout, theta, conv.weightBlocks, convAct[index]!, spec.channels[index]!, spec.channels[index + 1]!);
    const bias = layout.params[conv.biasBlock]!;
    for (let c = 0; c < bias.rows; c++) {
      for (let s = 0; s < layout.positions; s++) u[c * layout.positions + s] += theta[bias.offset + c]!;
    }
    convPre.push(u);
    convAct.push(u.map((v) => activate(spec.activation, v)));
  });
  const last = convAct[convAct.length - 1]!;
  const pooled = new Float64Array(spec.channels[spec.channels.length - 1]!);
  for (let c = 0; c < pooled.length; c++) {
    let sum = 0;
    for (let s = 0; s < layout.positions; s++) sum += last[c * layout.positions + s]!;
    pooled[c] = sum / layout.positions;
  }
  const headPre: Float64Array[] = [];
  const headAct: Float64Array[] = [pooled];
  layout.headBlocks.forEach(({ weight, bias }, j) => {
    const W = layout.params[weight]!;
    const input = headAct[j]!;
    const v = new Float64Array(W.rows);
    for (let p = 0; p < W.rows; p++) {
      let sum = theta[layout.params[bias]!.offset + p]!;
      for (let q = 0; q < W.cols!; q++) sum += theta[W.offset + p * W.cols! + q]! * input[q]!;
      v[p] = sum;
    }
    headPre.push(v);
    headAct.push(j < spec.head.length - 1 ? v.map((x) => activate(spec.activation, x)) : v);
  });
  return { convPre, convAct, headPre, headAct };
}

/**
 * Every tap of a k×k convolution inside the image: kernel offset k's weight block W, output position s
 * and the input position t = s + δ it reads (taps past the border read zero padding: skipped).
 */
function forEachTap(layout: CnnLayout, weightBlocks: number[], visit: (W: ParamBlock, s: number, t: number) => void): void {
  const { height, width, kernel } = layout.spec;
  kernelOffsets(kernel).forEach(({ dy, dx }, k) => {
    const W = layout.params[weightBlocks[k]!]!;
    for (let y = Math.max(0, -dy); y < Math.min(height, height - dy); y++) {
      for (let x = Math.max(0, -dx); x < Math.min(width, width - dx); x++) visit(W, y * width + x, (y + dy) * width + x + dx);
    }
  });
}

/** Σ_{c', δ} W^δ[c, c'] · x[c', s + δ] over a zero-padded image, [outChannels, P]. */
function convolve(layout: CnnLayout, theta: Float64Array, weightBlocks: number[], x: Float64Array, inChannels: number, outChannels: number): Float64Array {
  const P = layout.positions;
  const u = new Float64Array(outChannels * P);
  forEachTap(layout, weightBlocks, (W, s, t) => {
    for (let c = 0; c < outChannels; c++) {
      let sum = 0;
      for (let ci = 0; ci < inChannels; ci++) sum += theta[W.offset + c * inChannels + ci]! * x[ci * P + t]!;
      u[c * P + s] += sum;
    }
  });
  return u;
}

/** Back-propagated signals: per conv layer ∂ℓ/∂u_l [C_l, P], per head layer ∂ℓ/∂v_j. */
interface Signals {
  conv: Float64Array[];
  head: Float64Array[];
}

function backward(layout: CnnLayout, theta: Float64Array, fwd: ExampleForward, seed: Float64Array): Signals {
  const { spec } = layout;
  const P = layout.positions;
  const J = spec.head.length;
  const head: Float64Array[] = new Array<Float64Array>(J);
  head[J - 1] = Float64Array.from(seed);
  let tangent = new Float64Array(0);
  for (let j = J - 1; j >= 0; j--) {
    const W = layout.params[layout.headBlocks[j]!.weight]!;
    tangent = new Float64Array(W.cols!);
    for (let p = 0; p < W.rows; p++) {
      const g = head[j]![p]!;
      for (let q = 0; q < W.cols!; q++) tangent[q] += theta[W.offset + p * W.cols! + q]! * g;
    }
    if (j > 0) head[j - 1] = tangent.map((t, q) => t * activateDerivative(spec.activation, fwd.headPre[j - 1]![q]!));
  }
  const L = layout.convs.length;
  const conv: Float64Array[] = new Array<Float64Array>(L);
  // The pooled features' tangent spreads evenly over the positions of the last conv layer.
  conv[L - 1] = fwd.convPre[L - 1]!.map((u, i) => (tangent[Math.floor(i / P)]! / P) * activateDerivative(spec.activation, u));
  for (let l = L - 1; l >= 1; l--) {
    const inputTangent = convolveTranspose(layout, theta, layout.convs[l]!.weightBlocks, conv[l]!, spec.channels[l]!, spec.channels[l + 1]!);
    conv[l - 1] = inputTangent.map((t, i) => t * activateDerivative(spec.activation, fwd.convPre[l - 1]![i]!));
  }
  return { conv, head };
}

/** The transpose of convolve: Σ_{c, δ} W^δ[c, c'] · g[c, t − δ], [inChannels, P]. */
function convolveTranspose(layout: CnnLayout, theta: Float64Array, weightBlocks: number[], g: Float64Array, inChannels: number, outChannels: number): Float64Array {
  const P = layout.positions;
  const out = new Float64Array(inChannels * P);
  forEachTap(layout, weightBlocks, (W, s, t) => {
    for (let c = 0; c < outChannels; c++) {
      const gc = g[c * P + s]!;
      if (gc === 0) continue;
      for (let ci = 0; ci < inChannels; ci++) out[ci * P + t] += theta[W.offset + c * inChannels + ci]! * gc;
    }
  });
  return out;
}

/** Γ of one example, [P, N, 2]: the layout's item convention (compiler/spaces/cnn.ts). */
function writeFactors(layout: CnnLayout, fwd: ExampleForward, signals: Signals, out: Float64Array): void {
  const { spec, segments, positions: P, neuronCount: N } = layout;
  const offsets = kernelOffsets(spec.kernel);
  for (let s = 0; s < P; s++) {
    const item = s * N * 2;
    const y = Math.floor(s / spec.width);
    const x = s % spec.width;
    layout.convs.forEach((conv, index) => {
      const input = fwd.convAct[index]!;
      const inChannels = spec.channels[index]!;
      offsets.forEach(({ dy, dx }, k) => {
        const yy = y + dy;
        const xx = x + dx;
        if (yy < 0 || yy >= spec.height || xx < 0 || xx >= spec.width) return; // zero padding
        const base = item + segments[conv.patchSegments[k]!]!.offset * 2;
        for (let c = 0; c < inChannels; c++) {
          const a = input[c * P + yy * spec.width + xx]!;
          out[base + c * 2] = a;
          out[base + c * 2 + 1] = a;
        }
      });
      const base = item + segments[conv.outputSegment]!.offset * 2;
      const act = fwd.convAct[index + 1]!;
      const signal = signals.conv[index]!;
      for (let c = 0; c < spec.channels[index + 1]!; c++) {
        out[base + c * 2] = act[c * P + s]!;
        out[base + c * 2 + 1] = signal[c * P + s]!;
      }
    });
    // The head's terms are one per example; each position carries 1/P of the signal.
    layout.headSegments.forEach((seg, j) => {
      const base = item + segments[seg]!.offset * 2;
      const last = j === spec.head.length - 1;
      const signal = signals.head[j]!;
      for (let k = 0; k < signal.length; k++) {
        const g = signal[k]! / P;
        out[base + k * 2] = last ? g : fwd.headAct[j + 1]![k]!;
        out[base + k * 2 + 1] = g;
      }
    });
  }
}

function checkCnnBatch(layout: CnnLayout, batch: CnnBatch): void {
  const inputSize = layout.spec.channels[0]! * layout.positions;
  checkWidth(batch.inputs, batch.count, inputSize, 'inputs');
  checkFinite(batch.inputs, inputSize, 'inputs');
  const P = layout.paramCount;
  if (batch.theta.length !== P && batch.theta.length !== batch.count * P) {
    throw new DataError('data/wrong-parameter-count', `θ has ${batch.theta.length} numbers; ${layout.name} needs ${P} (shared) or ${batch.count}×${P} (one per example)`,
      'pass θ in the layout order of compiler/spaces/cnn.ts');
  }
  checkParameters(layout, batch.theta);
}
