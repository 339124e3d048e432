// The layout of a decoder-only transformer target (paper spec §2.4, appendix B.2/B.3).
//
// Forward convention (column vectors, y = W x + b, W stored [out × in] row-major like an MLP's):
//   H⁰_t = E·onehot(x_t) + Pos·onehot(t)                       token + learned position embedding
//   pre-LN block l:  X1 = LN1(H), Q/K/V_j = W_{Q/K/V,j} X1 + b, O_j = causal-softmax(Q Kᵀ/√d_k) V_j,
//                    M = H + Σ_j W_{O,j} O_j + b_O,  X2 = LN2(M),  S = gelu(W_1 X2 + b_1),
//                    H' = M + W_2 S + b_2;            after the last block X_f = LN_f(H^L)
//   post-LN block l: M = H + Σ_j W_{O,j} O_j + b_O (Q/K/V read H itself),  X2 = LN1(M),
//                    H' = LN2(X2 + W_2 S + b_2);     no final LayerNorm (X_f = H^L)
//   logits_t = W_out X_f + b_out                                untied output layer
//
// Neuron segments. Every segment carries the two channels of a per-token factor, (a, g):
//   a = the activation that the param blocks *reading* from this segment (cols) take as input,
//   g = the tangent of the tensor that the param blocks *writing* to it (rows) produce.
// So for every weight block ∇W[p, q] = Σ_t Γ[t, row p, 1] · Γ[t, col q, 0] and for every bias block
// ∇b[p] = Σ_t Γ[t, row p, 1], exactly as for an MLP, with one exception: LayerNorm gains (below).
//
//   tokens (V, fixed), positions (seq, fixed)    input boundary, (onehot, onehot) like an MLP's layer 0
//   embed (d)                                    pre-LN only: (H⁰, g_H⁰); post-LN feeds block0.attn_in
//   block{l}.attn_in (d)                         (input of Q/K/V, its tangent): pre X1, post H^l (block l reads H^l; H⁰ is the embedding)
//   block{l}.head{j}.query / .key (d_k, fixed)   (Q_j, g_Q), (K_j, g_K)
//   block{l}.head{j}.value (d_k)                 (O_j = head output, input of W_O; g_V) — the paper's
//                                                (S_{d_k})^h acts on V and the head output together
//   block{l}.attn_out (d)                        (M, g_M): the residual stream after attention
//   block{l}.ffn_in (d)                          (X2, g_X2): input of W_1 (pre: LN2(M), post: LN1(M))
//   block{l}.ffn (d_ff)                          (gelu(P), g_P)
//   block{l}.ffn_out (d)                         pre: (H^{l+1}, g); post: (X2 + U, g) before LN2
//   final (d)                                    (X_f, g_{X_f}): input of the output layer
//   vocab_out (V, fixed)                         output boundary, (g_logits, g_logits)
//
// Groups (choices documented here, see paper spec §2.4 "Symmetry (B.2)"):
//   - every residual segment shares one group id `<name>.residual`: S_d acts on the d-axis of all
//     residual tensors of all blocks at once (residual adds and LayerNorm commute with it). The
//     paper's "single residual neuron space" is this tied group; keeping one segment per tensor keeps
//     2 channels everywhere (no zero padding is ever needed).
//   - `<name>.block{l}.head{j}` acts on the head's value segment only (V rows and W_O columns).
//   - `<name>.block{l}.ffn` acts on the FFN hidden neurons.
//   - Q/K coordinates are fixed segments. Permuting them jointly within a head is a true symmetry
//     (Q·K is invariant), as are head permutations and GL(d_k); like the paper, we do not model
//     them, so a metanetwork on this layout is only required to respect the subgroup above.
//   - Vocabulary (input and output) and positions are fixed.
//
// Parameter blocks, in this order (names are the block names):
//   token_embed [d × V] (rows embed|block0.attn_in, cols tokens), pos_embed [d × seq] (cols positions);
//   per block: [pre: ln1.gain, ln1.bias (rows attn_in)], per head: W_Q, b_Q, W_K, b_K, W_V, b_V
//   ([d_k × d], cols attn_in), per head W_O [d × d_k] (rows attn_out, cols the head's value),
//   b_O, ln gains/biases (pre: ln2 on ffn_in; post: ln1 on ffn_in), W_1 [d_ff × d], b_1,
//   W_2 [d × d_ff], b_2 (rows ffn_out), [post: ln2.gain, ln2.bias on the next attn_in, or final];
//   [pre: lnf.gain, lnf.bias on final]; W_out [V × d] (rows vocab_out, cols final), b_out.
// LayerNorm parameters are vectors over residual neurons, so they are bias-shaped blocks
// (`cols === null`) on the segment holding the LayerNorm's *output*: the bias rule above holds for
// `*.bias`; a gain's gradient is Σ_t g_t ⊙ x̂_t with x̂ = (a − bias) / gain, recoverable from the
// same segment and θ (see `isLayerNormGain`).
import type { NeuronSegment, ParamBlock, TargetLayout, TransformerSpec } from './target.js';

/** True for LayerNorm gain blocks, the one block kind whose gradient is not Σ_t g_t (see header). */
export function isLayerNormGain(block: ParamBlock): boolean {
  return block.name.endsWith('.gain');
}

export function transformerLayout(name: string, spec: TransformerSpec): TargetLayout {
  const { vocab, dModel: d, heads, headDim: dk, blocks, ffn, seq, norm } = spec;
  const segments: NeuronSegment[] = [];
  let neuronOffset = 0;
  const segment = (segName: string, size: number, group: string | null): number => {
    segments.push({ name: segName, offset: neuronOffset, size, group });
    neuronOffset += size;
    return segments.length - 1;
  };
  const params: ParamBlock[] = [];
  let paramOffset = 0;
  const weight = (blockName: string, rowSegment: number, colSegment: number): void => {
    const rows = segments[rowSegment]!.size;
    const cols = segments[colSegment]!.size;
    params.push({ name: blockName, offset: paramOffset, rows, cols, rowSegment, colSegment });
    paramOffset += rows * cols;
  };
  const bias = (blockName: string, rowSegment: number): void => {
    const rows = segments[rowSegment]!.size;
    params.push({ name: blockName, offset: paramOffset, rows, cols: null, rowSegment, colSegment: null });
    paramOffset += rows;
  };
  const layerNorm = (prefix: string, rowSegment: number): void => {
    bias(`${prefix}.gain`, rowSegment);
    bias(`${prefix}.bias`, rowSegment);
  };
  const residual = `${name}.residual`;

  const tokens = segment('tokens', vocab, null);
  const positions = segment('positions', seq, null);
  // Segments are appended in forward order; parameter blocks follow the same walk.
  let stream = segment(norm === 'pre' ? 'embed' : 'block0.attn_in', d, residual);
  weight('token_embed', stream, tokens);
  weight('pos_embed', stream, positions);
  for (let l = 0; l < blocks; l++) {
    const p = `block${l}`;
    let attnIn = stream;
    if (norm === 'pre') {
      attnIn = segment(`${p}.attn_in`, d, residual);
      layerNorm(`${p}.ln1`, attnIn);
    }
    const values: number[] = [];
    for (let j = 0; j < heads; j++) {
      const h = `${p}.head${j}`;
      const query = segment(`${h}.query`, dk, null);
      const key = segment(`${h}.key`, dk, null);
      const value = segment(`${h}.value`, dk, `${name}.${h}`);
      values.push(value);
      weight(`${h}.W_Q`, query, attnIn);
      bias(`${h}.b_Q`, query);
      weight(`${h}.W_K`, key, attnIn);
      bias(`${h}.b_K`, key);
      weight(`${h}.W_V`, value, attnIn);
      bias(`${h}.b_V`, value);
    }
    const attnOut = segment(`${p}.attn_out`, d, residual);
    values.forEach((value, j) => weight(`${p}.head${j}.W_O`, attnOut, value));
    bias(`${p}.b_O`, attnOut);
    const ffnIn = segment(`${p}.ffn_in`, d, residual);
    layerNorm(norm === 'pre' ? `${p}.ln2` : `${p}.ln1`, ffnIn);
    const hidden = segment(`${p}.ffn`, ffn, `${name}.${p}.ffn`);
    weight(`${p}.W_1`, hidden, ffnIn);
    bias(`${p}.b_1`, hidden);
    const ffnOut = segment(`${p}.ffn_out`, d, residual);
    weight(`${p}.W_2`, ffnOut, hidden);
    bias(`${p}.b_2`, ffnOut);
    stream = ffnOut;
    if (norm === 'post') {
      stream = segment(l + 1 < blocks ? `block${l + 1}.attn_in` : 'final', d, residual);
      layerNorm(`${p}.ln2`, stream);
    }
  }
  let final = stream;
  if (norm === 'pre') {
    final = segment('final', d, residual);
    layerNorm('lnf', final);
  }
  const vocabOut = segment('vocab_out', vocab, null);
  weight('W_out', vocabOut, final);
  bias('b_out', vocabOut);
  return { name, spec, segments, neuronCount: neuronOffset, params, paramCount: paramOffset };
}
