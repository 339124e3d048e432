// Transformer targets in float64 (layout and forward equations: compiler/spaces/transformer.ts):
// forward, backward for next-token prediction, per-token rank-1 factors of every linear map, and
// per-sequence gradients in Θ.
//
// One *example* is one sequence of T ≤ seq tokens with its T next-token targets; its loss is its
// negative log-likelihood ℓ_s = −Σ_t log softmax(z_t)_{y_t} (a sum over tokens, so ℓ_s is the NLL of
// the example, as for an MLP); the batch loss is the mean over sequences.
// Γ has one item per token: [B·T, N, 2] (sequence-major), with g taken from the sequence's loss, so
// Σ_{t ∈ s} Γ-outer-products reproduce the gradient of ℓ_s for every weight and bias block. No
// segment needs more than the two channels (a, g), so nothing is padded. LayerNorm gains are
// filled from the backward pass directly.
import type { ParamBlock, TargetLayout, TransformerSpec } from '../../compiler/spaces/target.js';
import { isLayerNormGain } from '../../compiler/spaces/transformer.js';
import type { Rng } from '../util/rng.js';
import { gelu, geluDerivative } from './activations.js';
import { checkParameters, DataError } from './errors.js';
import type { OutputModel } from './fisher.js';
import { logSumExp } from './mlp.js';

export interface TransformerBatch {
  /** Number of sequences B. */
  sequences: number;
  /** Tokens per sequence T (at most the target's `seq`). */
  length: number;
  /** [B, T] input token ids. */
  tokens: ArrayLike<number>;
  /** θ in layout order, [P]. */
  theta: Float64Array;
}

export interface TransformerGradients {
  sequences: number;
  length: number;
  /** [B, T, V]. */
  logits: Float64Array;
  /** [B]: ℓ_s = −Σ_t log p(y_t | x_{≤t}). */
  losses: Float64Array;
  /** [B·T, N, 2]: per-token factors. */
  factors: Float64Array;
  /** [B, P]: ∇_θ ℓ_s per sequence. */
  perExample: Float64Array;
}

/** LayerNorm's ε (inside the square root). */
export const LAYER_NORM_EPS = 1e-5;

/**
 * θ: embeddings N(0, 1); every other weight block N(0, 1/cols) (unit-variance outputs for unit
 * inputs); biases 0; LayerNorm gains 1.
 */
export function initTransformer(layout: TargetLayout, rng: Rng): Float64Array {
  const theta = new Float64Array(layout.paramCount);
  for (const block of layout.params) {
    const count = block.rows * (block.cols ?? 1);
    const std = block.cols === null ? 0 : block.name.endsWith('_embed') ? 1 : 1 / Math.sqrt(block.cols);
    for (let i = 0; i < count; i++) theta[block.offset + i] = isLayerNormGain(block) ? 1 : std * rng.normal();
  }
  return theta;
}

export function transformerForward(layout: TargetLayout, batch: TransformerBatch): Float64Array {
  const net = new Net(layout, batch);
  const V = net.spec.vocab;
  const logits = new Float64Array(batch.sequences * batch.length * V);
  for (let s = 0; s < batch.sequences; s++) logits.set(net.forward(s).logits, s * batch.length * V);
  return logits;
}

/** Forward, next-token loss against `targets` ([B, T]) and backward, with per-token factors. */
export function transformerGradients(layout: TargetLayout, batch: TransformerBatch, targets: ArrayLike<number>): TransformerGradients {
  const net = new Net(layout, batch);
  const { sequences: B, length: T } = batch;
  checkTokens(targets, B, T, net.spec.vocab, 'target');
  const V = net.spec.vocab;
  const N = layout.neuronCount;
  const P = layout.paramCount;
  const logits = new Float64Array(B * T * V);
  const losses = new Float64Array(B);
  const factors = new Float64Array(B * T * N * 2);
  const perExample = new Float64Array(B * P);
  for (let s = 0; s < B; s++) {
    const tape = net.forward(s);
    logits.set(tape.logits, s * T * V);
    const seed = new Float64Array(T * V);
    for (let t = 0; t < T; t++) {
      const z = tape.logits.subarray(t * V, (t + 1) * V);
      const lse = logSumExp(z);
      const y = targets[s * T + t]!;
      losses[s] += lse - z[y]!;
      for (let k = 0; k < V; k++) seed[t * V + k] = Math.exp(z[k]! - lse) - (k === y ? 1 : 0);
    }
    net.backward(tape, seed, perExample.subarray(s * P, (s + 1) * P), factors.subarray(s * T * N * 2, (s + 1) * T * N * 2));
  }
  return { sequences: B, length: T, logits, losses, factors, perExample };
}

/** The transformer as an `OutputModel` (fisher.ts): T positions of V logits per sequence. */
export function transformerOutputModel(layout: TargetLayout, batch: TransformerBatch): OutputModel {
  const net = new Net(layout, batch);
  const tapes = Array.from({ length: batch.sequences }, (_, s) => net.forward(s));
  const V = net.spec.vocab;
  const outputs = new Float64Array(batch.sequences * batch.length * V);
  tapes.forEach((tape, s) => outputs.set(tape.logits, s * batch.length * V));
  return {
    paramCount: layout.paramCount,
    examples: batch.sequences,
    positions: batch.length,
    width: V,
    outputs,
    vjp: (example, seed, out) => net.backward(tapes[example]!, seed, out, null),
  };
}

/** What LayerNorm's backward needs: normalised input and 1/σ per token. */
interface NormTape { xhat: Float64Array; rstd: Float64Array; out: Float64Array }

interface HeadTape { q: Float64Array; k: Float64Array; v: Float64Array; attn: Float64Array; o: Float64Array }

interface BlockTape {
  /** Input of Q/K/V (pre: LN1(H), post: H). */
  attnIn: Float64Array;
  ln1: NormTape | null;
  heads: HeadTape[];
  /** Residual stream after attention, M = H + Ō. */
  attnOut: Float64Array;
  lnFfn: NormTape;
  pre: Float64Array;
  hidden: Float64Array;
  /** pre: H' = M + U; post: X2 + U (before LN2). */
  ffnOut: Float64Array;
  ln2: NormTape | null;
}

interface Tape {
  seq: number;
  h0: Float64Array;
  blocks: BlockTape[];
  lnFinal: NormTape | null;
  /** Input of the output layer. */
  final: Float64Array;
  logits: Float64Array;
}

/** A transformer bound to one batch: forward tapes per sequence, backward from any logit seed. */
class Net {
  readonly spec: TransformerSpec;
  private readonly block: Map<string, ParamBlock>;
  private readonly seg: Map<string, number>;
  private readonly T: number;

  constructor(private readonly layout: TargetLayout, private readonly batch: TransformerBatch) {
    if (layout.spec.kind !== 'transformer') throw new Error(`internal: ${layout.name} is not a transformer target`);
    this.spec = layout.spec;
    this.block = new Map(layout.params.map((b) => [b.name, b]));
    this.seg = new Map(layout.segments.map((s) => [s.name, s.offset]));
    this.T = batch.length;
    checkBatch(layout, this.spec, batch);
  }

  private p(name: string): ParamBlock {
    const b = this.block.get(name);
    if (b === undefined) throw new Error(`internal: no parameter block ${name}`);
    return b;
  }

  forward(s: number): Tape {
    const { dModel: d, heads, blocks, norm, vocab: V } = this.spec;
    const T = this.T;
    const theta = this.batch.theta;
    const E = this.p('token_embed');
    const Pos = this.p('pos_embed');
    const h0 = new Float64Array(T * d);
    for (let t = 0; t < T; t++) {
      const x = this.batch.tokens[s * T + t]!;
      for (let i = 0; i < d; i++) h0[t * d + i] = theta[E.offset + i * V + x]! + theta[Pos.offset + i * this.spec.seq + t]!;
    }
    let h: Float64Array = h0;
    const blockTapes: BlockTape[] = [];
    for (let l = 0; l < blocks; l++) {
      const b = `block${l}`;
      const ln1 = norm === 'pre' ? this.layerNorm(h, `${b}.ln1`) : null;
      const attnIn = ln1 === null ? h : ln1.out;
      const headTapes: HeadTape[] = [];
      const attnOut = Float64Array.from(h);
      for (let j = 0; j < heads; j++) {
        const hd = `${b}.head${j}`;
        const head = this.attention(attnIn, hd);
        headTapes.push(head);
        this.linear(head.o, this.p(`${hd}.W_O`), null, attnOut);
      }
      this.addBias(attnOut, this.p(`${b}.b_O`));
      const lnFfn = this.layerNorm(attnOut, norm === 'pre' ? `${b}.ln2` : `${b}.ln1`);
      const pre = new Float64Array(T * this.spec.ffn);
      this.linear(lnFfn.out, this.p(`${b}.W_1`), this.p(`${b}.b_1`), pre);
      const hidden = pre.map(gelu);
      const ffnOut = Float64Array.from(norm === 'pre' ? attnOut : lnFfn.out);
      this.linear(hidden, this.p(`${b}.W_2`), this.p(`${b}.b_2`), ffnOut);
      const ln2 = norm === 'post' ? this.layerNorm(ffnOut, `${b}.ln2`) : null;
      blockTapes.push({ attnIn, ln1, heads: headTapes, attnOut, lnFfn, pre, hidden, ffnOut, ln2 });
      h = ln2 === null ? ffnOut : ln2.out;
    }
    const lnFinal = norm === 'pre' ? this.layerNorm(h, 'lnf') : null;
    const final = lnFinal === null ? h : lnFinal.out;
    const logits = new Float64Array(T * V);
    this.linear(final, this.p('W_out'), this.p('b_out'), logits);
    return { seq: s, h0, blocks: blockTapes, lnFinal, final, logits };
  }

  /**
   * Backward from seed = ∂ℓ/∂logits ([T, V]): grad[P] += ∇_θ ℓ; when `factors` ([T, N, 2]) is given,
   * writes every token's (a, g) per segment.
   */
  backward(tape: Tape, seed: Float64Array, grad: Float64Array, factors: Float64Array | null): void {
    const { dModel: d, heads, blocks, norm, vocab: V, seq } = this.spec;
    const T = this.T;
    const put = (segment: string, width: number, a: Float64Array, g: Float64Array): void => {
      if (factors === null) return;
      const base = this.seg.get(segment)!;
      const N = this.layout.neuronCount;
      for (let t = 0; t < T; t++) {
        for (let i = 0; i < width; i++) {
          factors[(t * N + base + i) * 2] = a[t * width + i]!;
          factors[(t * N + base + i) * 2 + 1] = g[t * width + i]!;
        }
      }
    };
    put('vocab_out', V, seed, seed);
    let g: Float64Array = new Float64Array(T * d);
    this.linearBack(tape.final, seed, this.p('W_out'), this.p('b_out'), grad, g);
    put('final', d, tape.final, g);
    if (tape.lnFinal !== null) g = this.layerNormBack(tape.lnFinal, g, 'lnf', grad);
    for (let l = blocks - 1; l >= 0; l--) {
      const b = `block${l}`;
      const bt = tape.blocks[l]!;
      // g is now the tangent of the block's output (H^{l+1}).
      let gFfnOut: Float64Array = g;
      if (bt.ln2 !== null) gFfnOut = this.layerNormBack(bt.ln2, g, `${b}.ln2`, grad);
      put(`${b}.ffn_out`, d, bt.ffnOut, gFfnOut);
      const gHidden = new Float64Array(T * this.spec.ffn);
      this.linearBack(bt.hidden, gFfnOut, this.p(`${b}.W_2`), this.p(`${b}.b_2`), grad, gHidden);
      const gPre = gHidden.map((v, i) => v * geluDerivative(bt.pre[i]!));
      put(`${b}.ffn`, this.spec.ffn, bt.hidden, gPre);
      // pre-LN: X2 feeds only W_1; post-LN: X2 also feeds the residual add X2 + U.
      const gX2 = norm === 'post' ? Float64Array.from(gFfnOut) : new Float64Array(T * d);
      this.linearBack(bt.lnFfn.out, gPre, this.p(`${b}.W_1`), this.p(`${b}.b_1`), grad, gX2);
      put(`${b}.ffn_in`, d, bt.lnFfn.out, gX2);
      const gM = this.layerNormBack(bt.lnFfn, gX2, norm === 'pre' ? `${b}.ln2` : `${b}.ln1`, grad);
      if (norm === 'pre') for (let i = 0; i < gM.length; i++) gM[i] += gFfnOut[i]!;
      put(`${b}.attn_out`, d, bt.attnOut, gM);
      this.biasBack(gM, this.p(`${b}.b_O`), grad);
      const gAttnIn = new Float64Array(T * d);
      for (let j = 0; j < heads; j++) {
        const hd = `${b}.head${j}`;
        const ht = bt.heads[j]!;
        const gO = new Float64Array(T * this.spec.headDim);
        this.linearBack(ht.o, gM, this.p(`${hd}.W_O`), null, grad, gO);
        this.attentionBack(ht, gO, bt.attnIn, hd, grad, gAttnIn, put);
      }
      // pre-LN: attn_in is LN1's output, read by Q/K/V only; post-LN: it is H itself, which also
      // feeds the residual add, so its tangent is the total one.
      if (bt.ln1 !== null) {
        put(`${b}.attn_in`, d, bt.attnIn, gAttnIn);
        g = this.layerNormBack(bt.ln1, gAttnIn, `${b}.ln1`, grad);
        for (let i = 0; i < g.length; i++) g[i] += gM[i]!;
      } else {
        g = gAttnIn;
        for (let i = 0; i < g.length; i++) g[i] += gM[i]!;
        put(`${b}.attn_in`, d, bt.attnIn, g);
      }
    }
    if (norm === 'pre') put('embed', d, tape.h0, g);
    const E = this.p('token_embed');
    const Pos = this.p('pos_embed');
    const oneHot = (segment: string, width: number, index: (t: number) => number): void => {
      const hot = new Float64Array(T * width);
      for (let t = 0; t < T; t++) hot[t * width + index(t)] = 1;
      put(segment, width, hot, hot);
    };
    oneHot('tokens', V, (t) => this.batch.tokens[tape.seq * T + t]!);
    oneHot('positions', seq, (t) => t);
    for (let t = 0; t < T; t++) {
      const x = this.batch.tokens[tape.seq * T + t]!;
      for (let i = 0; i < d; i++) {
        grad[E.offset + i * V + x] += g[t * d + i]!;
        grad[Pos.offset + i * seq + t] += g[t * d + i]!;
      }
    }
  }

  /** out[t, p] += W[p, :]·X[t, :] (+ b[p]). */
  private linear(X: Float64Array, W: ParamBlock, b: ParamBlock | null, out: Float64Array): void {
    const theta = this.batch.theta;
    const cols = W.cols!;
    for (let t = 0; t < this.T; t++) {
      for (let p = 0; p < W.rows; p++) {
        let u = b === null ? 0 : theta[b.offset + p]!;
        const row = W.offset + p * cols;
        for (let q = 0; q < cols; q++) u += theta[row + q]! * X[t * cols + q]!;
        out[t * W.rows + p] += u;
      }
    }
  }

  private addBias(out: Float64Array, b: ParamBlock): void {
    for (let t = 0; t < this.T; t++) for (let p = 0; p < b.rows; p++) out[t * b.rows + p] += this.batch.theta[b.offset + p]!;
  }

  /** grad W += Σ_t gY_t X_tᵀ, grad b += Σ_t gY_t, gX += Wᵀ gY. */
  private linearBack(X: Float64Array, gY: Float64Array, W: ParamBlock, b: ParamBlock | null, grad: Float64Array, gX: Float64Array): void {
    const theta = this.batch.theta;
    const cols = W.cols!;
    for (let t = 0; t < this.T; t++) {
      for (let p = 0; p < W.rows; p++) {
        const gp = gY[t * W.rows + p]!;
        if (gp === 0) continue;
        const row = W.offset + p * cols;
        for (let q = 0; q < cols; q++) {
          grad[row + q] += gp * X[t * cols + q]!;
          gX[t * cols + q] += theta[row + q]! * gp;
        }
      }
    }
    if (b !== null) this.biasBack(gY, b, grad);
  }

  private biasBack(gY: Float64Array, b: ParamBlock, grad: Float64Array): void {
    for (let t = 0; t < this.T; t++) for (let p = 0; p < b.rows; p++) grad[b.offset + p] += gY[t * b.rows + p]!;
  }

  private layerNorm(x: Float64Array, prefix: string): NormTape {
    const d = this.spec.dModel;
    const theta = this.batch.theta;
    const gain = this.p(`${prefix}.gain`).offset;
    const bias = this.p(`${prefix}.bias`).offset;
    const xhat = new Float64Array(this.T * d);
    const rstd = new Float64Array(this.T);
    const out = new Float64Array(this.T * d);
    for (let t = 0; t < this.T; t++) {
      let mean = 0;
      for (let i = 0; i < d; i++) mean += x[t * d + i]!;
      mean /= d;
      let variance = 0;
      for (let i = 0; i < d; i++) variance += (x[t * d + i]! - mean) ** 2;
      const r = 1 / Math.sqrt(variance / d + LAYER_NORM_EPS);
      rstd[t] = r;
      for (let i = 0; i < d; i++) {
        const xh = (x[t * d + i]! - mean) * r;
        xhat[t * d + i] = xh;
        out[t * d + i] = theta[gain + i]! * xh + theta[bias + i]!;
      }
    }
    return { xhat, rstd, out };
  }

  /** Returns ∂ℓ/∂x; grad gain += Σ_t gY ⊙ x̂, grad bias += Σ_t gY. */
  private layerNormBack(tape: NormTape, gY: Float64Array, prefix: string, grad: Float64Array): Float64Array {
    const d = this.spec.dModel;
    const theta = this.batch.theta;
    const gain = this.p(`${prefix}.gain`).offset;
    const bias = this.p(`${prefix}.bias`).offset;
    const gX = new Float64Array(this.T * d);
    for (let t = 0; t < this.T; t++) {
      let meanG = 0;
      let meanGX = 0;
      for (let i = 0; i < d; i++) {
        const gy = gY[t * d + i]!;
        const xh = tape.xhat[t * d + i]!;
        grad[gain + i] += gy * xh;
        grad[bias + i] += gy;
        const gxh = gy * theta[gain + i]!;
        meanG += gxh;
        meanGX += gxh * xh;
      }
      meanG /= d;
      meanGX /= d;
      for (let i = 0; i < d; i++) {
        const gxh = gY[t * d + i]! * theta[gain + i]!;
        gX[t * d + i] = tape.rstd[t]! * (gxh - meanG - tape.xhat[t * d + i]! * meanGX);
      }
    }
    return gX;
  }

  /** One causal head: Q/K/V projections, softmax(QKᵀ/√d_k) over u ≤ t, O = A V. */
  private attention(X: Float64Array, hd: string): HeadTape {
    const T = this.T;
    const dk = this.spec.headDim;
    const proj = (w: string, b: string): Float64Array => {
      const out = new Float64Array(T * dk);
      this.linear(X, this.p(`${hd}.${w}`), this.p(`${hd}.${b}`), out);
      return out;
    };
    const q = proj('W_Q', 'b_Q');
    const k = proj('W_K', 'b_K');
    const v = proj('W_V', 'b_V');
    const attn = new Float64Array(T * T);
    const o = new Float64Array(T * dk);
    const scale = 1 / Math.sqrt(dk);
    for (let t = 0; t < T; t++) {
      let max = -Infinity;
      for (let u = 0; u <= t; u++) {
        let sc = 0;
        for (let c = 0; c < dk; c++) sc += q[t * dk + c]! * k[u * dk + c]!;
        attn[t * T + u] = sc * scale;
        max = Math.max(max, sc * scale);
      }
      let sum = 0;
      for (let u = 0; u <= t; u++) sum += (attn[t * T + u] = Math.exp(attn[t * T + u]! - max));
      for (let u = 0; u <= t; u++) {
        const a = (attn[t * T + u] /= sum);
        for (let c = 0; c < dk; c++) o[t * dk + c] += a * v[u * dk + c]!;
      }
    }
    return { q, k, v, attn, o };
  }

  private attentionBack(
    ht: HeadTape, gO: Float64Array, X: Float64Array, hd: string, grad: Float64Array, gX: Float64Array,
    put: (segment: string, width: number, a: Float64Array, g: Float64Array) => void,
  ): void {
    const T = this.T;
    const dk = this.spec.headDim;
    const scale = 1 / Math.sqrt(dk);
    const gq = new Float64Array(T * dk);
    const gk = new Float64Array(T * dk);
    const gv = new Float64Array(T * dk);
    for (let t = 0; t < T; t++) {
      const gA = new Float64Array(t + 1);
      let dot = 0;
      for (let u = 0; u <= t; u++) {
        const a = ht.attn[t * T + u]!;
        let s = 0;
        for (let c = 0; c < dk; c++) {
          s += gO[t * dk + c]! * ht.v[u * dk + c]!;
          gv[u * dk + c] += a * gO[t * dk + c]!;
        }
        gA[u] = s;
        dot += a * s;
      }
      for (let u = 0; u <= t; u++) {
        const gs = ht.attn[t * T + u]! * (gA[u]! - dot) * scale;
        for (let c = 0; c < dk; c++) {
          gq[t * dk + c] += gs * ht.k[u * dk + c]!;
          gk[u * dk + c] += gs * ht.q[t * dk + c]!;
        }
      }
    }
    put(`${hd}.query`, dk, ht.q, gq);
    put(`${hd}.key`, dk, ht.k, gk);
    put(`${hd}.value`, dk, ht.o, gv);
    this.linearBack(X, gq, this.p(`${hd}.W_Q`), this.p(`${hd}.b_Q`), grad, gX);
    this.linearBack(X, gk, this.p(`${hd}.W_K`), this.p(`${hd}.b_K`), grad, gX);
    this.linearBack(X, gv, this.p(`${hd}.W_V`), this.p(`${hd}.b_V`), grad, gX);
  }
}

/** θ, sequence length and token ids of a batch; throws a DataError naming the first bad element. */
export function checkBatch(layout: TargetLayout, spec: TransformerSpec, batch: TransformerBatch): void {
  if (!Number.isInteger(batch.length) || batch.length < 1 || batch.length > spec.seq) {
    throw new DataError('data/wrong-dimension', `sequences of ${batch.length} tokens do not fit ${layout.name}, which reads at most ${spec.seq}`,
      `cut the sequences to at most ${spec.seq} tokens, or declare the target with seq: ${batch.length}`);
  }
  checkTokens(batch.tokens, batch.sequences, batch.length, spec.vocab, 'token');
  if (batch.theta.length !== layout.paramCount) {
    throw new DataError('data/wrong-parameter-count', `${layout.name} has ${layout.paramCount} parameters, but θ holds ${batch.theta.length} numbers`,
      'pass one parameter vector in layout order');
  }
  checkParameters(layout, batch.theta);
}

/** Token ids ([B, T]) must be integers in [0, V); names the sequence and position of a bad one. */
export function checkTokens(ids: ArrayLike<number>, B: number, T: number, V: number, what: string): void {
  if (ids.length !== B * T) {
    throw new DataError('data/wrong-dimension', `${ids.length} ${what}s given for ${B} sequences of ${T} tokens`,
      `give ${B} × ${T} ${what} ids, sequence by sequence`);
  }
  for (let i = 0; i < ids.length; i++) {
    const x = ids[i]!;
    if (!Number.isInteger(x) || x < 0 || x >= V) {
      const s = Math.floor(i / T);
      throw new DataError('data/label-out-of-range', `${what} ${i % T} of sequence ${s} is ${x}, outside the vocabulary 0..${V - 1}`,
        `fix sequence ${s}, or declare the target with vocab: ${Number.isInteger(x) && x >= V ? x + 1 : V} or more`, s);
    }
  }
}
