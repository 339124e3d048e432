// Small convolutional targets (issue 30) and the neuron-space layout of their per-example gradients.
//
//   x_0 = image [C_0, H, W];  u_l[c, s] = b_l[c] + Σ_{c', δ} W_l^δ[c, c'] · x_{l-1}[c', s + δ]  (zero padding)
//   x_l = σ(u_l) for every conv layer l = 1..L (stride 1, "same" size, k×k kernels);
//   m = mean_s x_L[:, s] (global average pooling);  then a dense head v_j = V_j h_{j-1} + c_j, h_0 = m,
//   h_j = σ(v_j) for hidden j, the last v_J the output.
//
// A convolution's per-example gradient is not rank-1 but a sum over the P = H·W positions of rank-1
// terms, ∇W_l^δ = Σ_s g_l[:, s] ⊗ x_{l-1}[:, s + δ]. The layout makes every such term a *neuron-space
// item*, exactly as a transformer's tokens are (docs/grad-format.md), so Γ keeps its two channels and
// its [items, N, 2] form with `itemsPerExample = P`:
//   - conv layer l's k² kernel offsets δ each get a *patch segment* of size C_{l-1}, holding the
//     unfolded input x_{l-1}[:, s + δ] at item s; they share the permutation group of layer l-1's
//     channels (fixed for the image's channels), as a transformer's residual segments share one group;
//   - layer l's output channels are one segment (a = x_l[:, s], g = ∂ℓ/∂u_l[:, s]), its own group;
//   - W_l is k² blocks W_l^δ (rows: layer l, columns: patch δ), then the bias b_l;
//   - the head's terms are spread evenly over the positions: g/P at every item, so that the sums over
//     items give the head's gradients exactly (V_1's columns read layer L's a = x_L[:, s], whose mean
//     over s is the pooled m).
// Positions are therefore elements of Γ's set, and a net that mixes positions breaks the set's group.
import type { Activation, NeuronSegment, ParamBlock, TargetLayout } from './target.js';

export interface CnnSpec {
  kind: 'cnn';
  /** Channels C_0 (the image's) … C_L (the last conv layer's). */
  channels: number[];
  /** Odd kernel size k: k×k kernels, stride 1, zero padding (k − 1)/2. */
  kernel: number;
  /** Image height and width; every conv layer keeps them. */
  height: number;
  width: number;
  /** Widths of the dense head after global average pooling: d_1 … d_J (d_J = outputs). */
  head: number[];
  activation: Activation;
}

/** A CNN's layout: the fields of every target layout, with the CNN's own spec. */
export interface CnnLayout extends Omit<TargetLayout, 'spec'> {
  spec: CnnSpec;
  /** Positions per example, H·W: the items of one example in Γ. */
  positions: number;
  convs: ConvLayerLayout[];
  /** Segment index of each head layer (the last is the output). */
  headSegments: number[];
  /** Weight and bias block index of each head layer. */
  headBlocks: { weight: number; bias: number }[];
}

/** Where conv layer l lives in the layout. */
export interface ConvLayerLayout {
  /** Patch segment of each kernel offset, offsets row-major (dy, dx). */
  patchSegments: number[];
  outputSegment: number;
  /** Block of W_l^δ per kernel offset, in the same order as patchSegments. */
  weightBlocks: number[];
  biasBlock: number;
}

/** The kernel offsets (dy, dx) ∈ [−r, r]², row-major, r = (k − 1)/2. */
export function kernelOffsets(kernel: number): { dy: number; dx: number }[] {
  const r = (kernel - 1) / 2;
  const out: { dy: number; dx: number }[] = [];
  for (let dy = -r; dy <= r; dy++) for (let dx = -r; dx <= r; dx++) out.push({ dy, dx });
  return out;
}

export function cnnLayout(name: string, spec: CnnSpec): CnnLayout {
  const segments: NeuronSegment[] = [];
  const params: ParamBlock[] = [];
  let neuronOffset = 0;
  let paramOffset = 0;
  const segment = (segName: string, size: number, group: string | null): number => {
    segments.push({ name: segName, offset: neuronOffset, size, group });
    neuronOffset += size;
    return segments.length - 1;
  };
  const block = (blockName: string, rows: number, cols: number | null, rowSegment: number, colSegment: number | null): number => {
    params.push({ name: blockName, offset: paramOffset, rows, cols, rowSegment, colSegment });
    paramOffset += rows * (cols ?? 1);
    return params.length - 1;
  };
  const channelGroup = (l: number): string | null => (l === 0 ? null : `${name}.conv${l}`);

  const offsets = kernelOffsets(spec.kernel);
  const convs: ConvLayerLayout[] = [];
  for (let l = 1; l < spec.channels.length; l++) {
    const inChannels = spec.channels[l - 1]!;
    const outChannels = spec.channels[l]!;
    const patchSegments = offsets.map(({ dy, dx }) => segment(`conv${l}.patch[${dy},${dx}]`, inChannels, channelGroup(l - 1)));
    const outputSegment = segment(`conv${l}`, outChannels, channelGroup(l));
    const weightBlocks = offsets.map(({ dy, dx }, i) => block(`W${l}[${dy},${dx}]`, outChannels, inChannels, outputSegment, patchSegments[i]!));
    const biasBlock = block(`b${l}`, outChannels, null, outputSegment, null);
    convs.push({ patchSegments, outputSegment, weightBlocks, biasBlock });
  }
  const headSegments: number[] = [];
  const headBlocks: { weight: number; bias: number }[] = [];
  let previous = convs[convs.length - 1]!.outputSegment;
  spec.head.forEach((size, j) => {
    const last = j === spec.head.length - 1;
    const seg = segment(last ? 'output' : `head${j + 1}`, size, last ? null : `${name}.head${j + 1}`);
    const weight = block(`V${j + 1}`, size, segments[previous]!.size, seg, previous);
    const bias = block(`c${j + 1}`, size, null, seg, null);
    headSegments.push(seg);
    headBlocks.push({ weight, bias });
    previous = seg;
  });
  return {
    name, spec, segments, neuronCount: neuronOffset, params, paramCount: paramOffset,
    positions: spec.height * spec.width, convs, headSegments, headBlocks,
  };
}
