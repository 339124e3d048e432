// Targets (the networks whose gradients gmn studies) and the spaces they induce.
//
// A target is elaborated into a *layout*: its neurons as a list of segments, and its parameters as
// a list of blocks that connect segments. Every tensor space of the language is laid out from it:
//   neurons(T)[c]        → [N, c]        N = total neurons, segments concatenated
//   grads(T, b)[c]       → [b, N, c]     (Γ_b: per-example rank-1 factors)
//   weights(T)[c]        → [P, c]        P = total parameters, blocks concatenated row-major
//   weight_grads(T,b)[c] → [b, P, c]     (Θ_b: full per-example gradients)
// The symmetry group of T acts on these axes through the segments' groups.
import type { CnnSpec } from './cnn.js';

export type Activation =
  | { kind: 'relu' }
  | { kind: 'gelu' }
  | { kind: 'tanh' }
  | { kind: 'sine'; omega0: number };

export type Init = 'gaussian' | 'siren' | 'kaiming';

export interface MlpSpec {
  kind: 'mlp';
  /** Layer widths d_0 (inputs) … d_L (outputs). */
  widths: number[];
  activation: Activation;
  init: Init;
}

export interface TransformerSpec {
  kind: 'transformer';
  vocab: number;
  dModel: number;
  heads: number;
  /** Per-head key/value size; defaults to dModel / heads. */
  headDim: number;
  blocks: number;
  ffn: number;
  seq: number;
  norm: 'pre' | 'post';
}

/** One spec per target family (compiler/spaces/families.ts). */
export type TargetSpec = MlpSpec | TransformerSpec | CnnSpec;

/**
 * A contiguous run of neurons that the symmetry group treats alike.
 * `group === null` means the neurons are fixed (inputs, outputs, vocabulary): no permutation acts
 * on them. Segments that share a group id are permuted *together* (the residual stream of a
 * transformer is one group tied across all blocks).
 */
export interface NeuronSegment {
  name: string;
  offset: number;
  size: number;
  group: string | null;
}

/**
 * A parameter tensor W (rows × cols, stored row-major) or a bias (rows only, `cols === null`).
 * Entry [p, q] connects neuron p of segment `rows` to neuron q of segment `cols`.
 */
export interface ParamBlock {
  name: string;
  offset: number;
  rows: number;
  cols: number | null;
  rowSegment: number;
  colSegment: number | null;
}

export interface TargetLayout {
  name: string;
  spec: TargetSpec;
  segments: NeuronSegment[];
  neuronCount: number;
  params: ParamBlock[];
  paramCount: number;
}

/** What the per-example gradient code needs of any layout (MLP, transformer or CNN): its segments and blocks. */
export type LayoutBlocks = Pick<TargetLayout, 'segments' | 'neuronCount' | 'params' | 'paramCount'>;

/** Elaborates an MLP: one segment per layer; hidden layers are permuted independently (paper §3). */
export function mlpLayout(name: string, spec: MlpSpec): TargetLayout {
  const segments: NeuronSegment[] = [];
  let offset = 0;
  spec.widths.forEach((size, l) => {
    const hidden = l > 0 && l < spec.widths.length - 1;
    segments.push({ name: `layer${l}`, offset, size, group: hidden ? `${name}.layer${l}` : null });
    offset += size;
  });
  const params: ParamBlock[] = [];
  let paramOffset = 0;
  for (let l = 1; l < spec.widths.length; l++) {
    const rows = spec.widths[l]!;
    const cols = spec.widths[l - 1]!;
    params.push({ name: `W${l}`, offset: paramOffset, rows, cols, rowSegment: l, colSegment: l - 1 });
    paramOffset += rows * cols;
    params.push({ name: `b${l}`, offset: paramOffset, rows, cols: null, rowSegment: l, colSegment: null });
    paramOffset += rows;
  }
  return { name, spec, segments, neuronCount: offset, params, paramCount: paramOffset };
}
