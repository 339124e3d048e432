// The transformer target on the GPU (float32 WGSL): forward, next-token cross-entropy seed, backward
// and per-token factor extraction of a batch of sequences, recorded as one step (one submit, one
// readback). Same equations, loss convention and Γ layout ([B·T, N, 2]) as the float64 code in
// transformer.ts, its test oracle; no parameter gradients are formed (they are rebuilt from Γ).
//
// Memory: one f32 work buffer holds every intermediate, addressed by offsets in uniforms, so each
// kernel binds θ, the work buffer and at most one index buffer:
//   act  [R, N]  channel-0 values per neuron (R = B·T rows, one per token, sequence-major)
//   grad [R, N]  channel-1 values per neuron
//   aux  [R, A]  per-token vectors that are no segment's channel (V, P, x̂, 1/σ, g_O, g_S, logits)
//   probs, gs    [blocks, heads, B, T, T] attention weights and their score tangents
//   loss [B]
// Kernels are simple (one invocation per output element or per row, plain loops); dispatches of a
// step are ordered by WebGPU, so no barriers are needed.
import type { TargetLayout, TransformerSpec } from '../../compiler/spaces/target.js';
import { header, linearGrid, linearMain, type Kernel, type UniformField } from '../../compiler/wgsl/kernel.js';
import type { GpuDevice } from '../device/index.js';
import { pipelineOf, record } from '../gpu/launch.js';
import { activationWgsl, TANH } from '../../compiler/wgsl/activation.js';
import { checkBatch, checkTokens, LAYER_NORM_EPS, type TransformerBatch } from './transformer.js';

export interface GpuTransformerResult {
  /** [B, T, V]. */
  logits: Float32Array;
  /** [B]: ℓ_s = −Σ_t log p(y_t | x_{≤t}). */
  losses: Float32Array;
  /** [B·T, N, 2]: per-token factors (docs/grad-format.md). */
  factors: Float32Array;
}

const u32 = (name: string): UniformField => ({ name, type: 'u32' });
const f32 = (name: string): UniformField => ({ name, type: 'f32' });
const THETA = { name: 'theta', element: 'f32', access: 'read' as const };
const WORK = { name: 'work', element: 'f32', access: 'read_write' as const };

function kernel(name: string, uniforms: UniformField[], bindings: Kernel['bindings'], body: string, prelude = ''): Kernel {
  return { name: `transformer_${name}`, source: header(uniforms, bindings) + prelude + linearMain('u.count', body), uniforms, bindings, workgroup: [64, 1] };
}

/** One invocation per (token r, i): H⁰[r, i] = E[i, x_r] + Pos[i, t_r]. */
const embedKernel = kernel('embed',
  ['count', 'd', 'V', 'seq', 'T', 'eOff', 'pOff', 'outOff', 'outStride'].map(u32),
  [THETA, { name: 'ids', element: 'u32', access: 'read' }, WORK],
  `  let r = i / u.d;
  let k = i % u.d;
  work[u.outOff + r * u.outStride + k] = theta[u.eOff + k * u.V + ids[r]] + theta[u.pOff + k * u.seq + r % u.T];`);

/** One invocation per (row r, output p): Y = acc·Y + b + W X (W [rows × cols] row-major in θ). */
const linearKernel = kernel('linear',
  ['count', 'rows', 'cols', 'wOff', 'bOff', 'hasBias', 'acc', 'inOff', 'inStride', 'outOff', 'outStride'].map(u32),
  [THETA, WORK],
  `  let r = i / u.rows;
  let p = i % u.rows;
  let o = u.outOff + r * u.outStride + p;
  var s = select(0.0, work[o], u.acc == 1u) + select(0.0, theta[u.bOff + p], u.hasBias == 1u);
  for (var q = 0u; q < u.cols; q++) { s += theta[u.wOff + p * u.cols + q] * work[u.inOff + r * u.inStride + q]; }
  work[o] = s;`);

/** One invocation per (row r, input q): gX = acc·gX + Wᵀ gY. */
const linearBackKernel = kernel('linear_back',
  ['count', 'rows', 'cols', 'wOff', 'acc', 'inOff', 'inStride', 'outOff', 'outStride'].map(u32),
  [THETA, WORK],
  `  let r = i / u.cols;
  let q = i % u.cols;
  let o = u.outOff + r * u.outStride + q;
  var s = select(0.0, work[o], u.acc == 1u);
  for (var p = 0u; p < u.rows; p++) { s += theta[u.wOff + p * u.cols + q] * work[u.inOff + r * u.inStride + p]; }
  work[o] = s;`);

/** One invocation per (row, k): dst = acc·dst + src (copies and residual sums). */
const combineKernel = kernel('combine',
  ['count', 'width', 'acc', 'srcOff', 'srcStride', 'dstOff', 'dstStride'].map(u32),
  [WORK],
  `  let r = i / u.width;
  let k = i % u.width;
  let o = u.dstOff + r * u.dstStride + k;
  work[o] = select(0.0, work[o], u.acc == 1u) + work[u.srcOff + r * u.srcStride + k];`);

const NORM_UNIFORMS = [...['count', 'd', 'gainOff', 'biasOff', 'acc', 'inOff', 'inStride', 'outOff', 'outStride', 'xhatOff', 'auxStride', 'rstdOff'].map(u32), f32('eps')];

/** One invocation per row: out = gain ⊙ x̂ + bias, keeping x̂ and 1/σ for the backward pass. */
const layerNormKernel = kernel('layer_norm', NORM_UNIFORMS, [THETA, WORK],
  `  let x = u.inOff + i * u.inStride;
  var mean = 0.0;
  for (var k = 0u; k < u.d; k++) { mean += work[x + k]; }
  mean /= f32(u.d);
  var v = 0.0;
  for (var k = 0u; k < u.d; k++) { let c = work[x + k] - mean; v += c * c; }
  let rstd = 1.0 / sqrt(v / f32(u.d) + u.eps);
  work[u.rstdOff + i * u.auxStride] = rstd;
  for (var k = 0u; k < u.d; k++) {
    let xh = (work[x + k] - mean) * rstd;
    work[u.xhatOff + i * u.auxStride + k] = xh;
    work[u.outOff + i * u.outStride + k] = theta[u.gainOff + k] * xh + theta[u.biasOff + k];
  }`);

/** One invocation per row: gX = acc·gX + (1/σ)(ĝ − mean ĝ − x̂ · mean(ĝ ⊙ x̂)), ĝ = gain ⊙ gY. */
const layerNormBackKernel = kernel('layer_norm_back', NORM_UNIFORMS, [THETA, WORK],
  `  let gy = u.inOff + i * u.inStride;
  let xh = u.xhatOff + i * u.auxStride;
  var mg = 0.0;
  var mgx = 0.0;
  for (var k = 0u; k < u.d; k++) {
    let gh = work[gy + k] * theta[u.gainOff + k];
    mg += gh;
    mgx += gh * work[xh + k];
  }
  mg /= f32(u.d);
  mgx /= f32(u.d);
  let rstd = work[u.rstdOff + i * u.auxStride];
  for (var k = 0u; k < u.d; k++) {
    let o = u.outOff + i * u.outStride + k;
    let v = rstd * (work[gy + k] * theta[u.gainOff + k] - mg - work[xh + k] * mgx);
    work[o] = select(0.0, work[o], u.acc == 1u) + v;
  }`);

const GELU = activationWgsl({ kind: 'gelu' });

/** One invocation per (row, k): S = gelu(P). */
const geluKernel = kernel('gelu', ['count', 'width', 'inOff', 'inStride', 'outOff', 'outStride'].map(u32), [WORK],
  `  let r = i / u.width;
  let k = i % u.width;
  let s = work[u.inOff + r * u.inStride + k];
  work[u.outOff + r * u.outStride + k] = ${GELU.value};`, TANH);

/** One invocation per (row, k): g_P = gelu'(P) ⊙ g_S. */
const geluBackKernel = kernel('gelu_back', ['count', 'width', 'gOff', 'preOff', 'auxStride', 'outOff', 'outStride'].map(u32), [WORK],
  `  let r = i / u.width;
  let k = i % u.width;
  let s = work[u.preOff + r * u.auxStride + k];
  work[u.outOff + r * u.outStride + k] = work[u.gOff + r * u.auxStride + k] * (${GELU.derivative});`, TANH);

// One head of one block: Q, K (act rows, stride N), V (aux rows, stride A), weights [B, T, T].
const HEAD_UNIFORMS = [...['count', 'T', 'dk', 'qOff', 'kOff', 'vOff', 'oOff', 'gqOff', 'gkOff', 'gvOff', 'goOff', 'N', 'A', 'probOff', 'gsOff'].map(u32), f32('scale')];

/** One invocation per token (b, t): A[t, u ≤ t] = softmax(Q_t·K_u · scale), O_t = Σ_u A[t, u] V_u. */
const attentionKernel = kernel('attention', HEAD_UNIFORMS, [WORK],
  `  let t = i % u.T;
  let r0 = i - t;
  let pr = u.probOff + i * u.T;
  var m = -3.0e38;
  for (var v = 0u; v <= t; v++) {
    var s = 0.0;
    for (var c = 0u; c < u.dk; c++) { s += work[u.qOff + i * u.N + c] * work[u.kOff + (r0 + v) * u.N + c]; }
    s *= u.scale;
    work[pr + v] = s;
    m = max(m, s);
  }
  var z = 0.0;
  for (var v = 0u; v <= t; v++) { let e = exp(work[pr + v] - m); work[pr + v] = e; z += e; }
  for (var c = 0u; c < u.dk; c++) { work[u.oOff + i * u.N + c] = 0.0; }
  for (var v = 0u; v <= t; v++) {
    let a = work[pr + v] / z;
    work[pr + v] = a;
    for (var c = 0u; c < u.dk; c++) { work[u.oOff + i * u.N + c] += a * work[u.vOff + (r0 + v) * u.A + c]; }
  }`);

/**
 * One invocation per token (b, t): g_S[t, u] = A[t, u] (g_O,t·V_u − Σ_v A[t, v] g_O,t·V_v) · scale
 * for u ≤ t, and g_Q,t = Σ_u g_S[t, u] K_u.
 */
const attentionBackQueryKernel = kernel('attention_back_query', HEAD_UNIFORMS, [WORK],
  `  let t = i % u.T;
  let r0 = i - t;
  let pr = u.probOff + i * u.T;
  let gs = u.gsOff + i * u.T;
  var dot = 0.0;
  for (var v = 0u; v <= t; v++) {
    var s = 0.0;
    for (var c = 0u; c < u.dk; c++) { s += work[u.goOff + i * u.A + c] * work[u.vOff + (r0 + v) * u.A + c]; }
    work[gs + v] = s;
    dot += work[pr + v] * s;
  }
  for (var c = 0u; c < u.dk; c++) { work[u.gqOff + i * u.N + c] = 0.0; }
  for (var v = 0u; v <= t; v++) {
    let g = work[pr + v] * (work[gs + v] - dot) * u.scale;
    work[gs + v] = g;
    for (var c = 0u; c < u.dk; c++) { work[u.gqOff + i * u.N + c] += g * work[u.kOff + (r0 + v) * u.N + c]; }
  }`);

/** One invocation per token (b, v): g_K,v = Σ_{t ≥ v} g_S[t, v] Q_t and g_V,v = Σ_{t ≥ v} A[t, v] g_O,t. */
const attentionBackKeyValueKernel = kernel('attention_back_key_value', HEAD_UNIFORMS, [WORK],
  `  let v = i % u.T;
  let r0 = i - v;
  for (var c = 0u; c < u.dk; c++) {
    var gk = 0.0;
    var gv = 0.0;
    for (var t = v; t < u.T; t++) {
      let w = (r0 + t) * u.T + v;
      gk += work[u.gsOff + w] * work[u.qOff + (r0 + t) * u.N + c];
      gv += work[u.probOff + w] * work[u.goOff + (r0 + t) * u.A + c];
    }
    work[u.gkOff + i * u.N + c] = gk;
    work[u.gvOff + i * u.N + c] = gv;
  }`);

/** One invocation per sequence b: ℓ_b = Σ_t lse(z_t) − z_t[y_t], and g_logits = softmax(z_t) − e_{y_t}. */
const seedKernel = kernel('seed', ['count', 'T', 'V', 'zOff', 'A', 'gOff', 'N', 'lossOff'].map(u32),
  [{ name: 'targets', element: 'u32', access: 'read' }, WORK],
  `  var loss = 0.0;
  for (var t = 0u; t < u.T; t++) {
    let r = i * u.T + t;
    let z = u.zOff + r * u.A;
    var m = work[z];
    for (var k = 1u; k < u.V; k++) { m = max(m, work[z + k]); }
    var s = 0.0;
    for (var k = 0u; k < u.V; k++) { s += exp(work[z + k] - m); }
    let y = targets[r];
    loss += m + log(s) - work[z + y];
    for (var k = 0u; k < u.V; k++) {
      work[u.gOff + r * u.N + k] = exp(work[z + k] - m) / s - select(0.0, 1.0, k == y);
    }
  }
  work[u.lossOff + i] = loss;`);

/** One invocation per (token, neuron): (a, g), with a one-hot repeated on the inputs and g_logits on the output. */
const factorsKernel = kernel('factors', ['count', 'actOff', 'gradOff', 'inEnd', 'outStart', 'N'].map(u32),
  [{ name: 'work', element: 'f32', access: 'read' }, { name: 'factors', element: 'f32', access: 'read_write' }],
  `  let j = i % u.N;
  let a = work[u.actOff + i];
  let g = work[u.gradOff + i];
  factors[2u * i] = select(a, g, j >= u.outStart);
  factors[2u * i + 1u] = select(g, a, j < u.inEnd);`);

/** Per-row slots of the aux section, allocated by name. */
class AuxPlan {
  private readonly slots = new Map<string, number>();
  width = 0;
  add(name: string, size: number): void {
    this.slots.set(name, this.width);
    this.width += size;
  }
  at(name: string): number {
    const s = this.slots.get(name);
    if (s === undefined) throw new Error(`internal: no aux slot ${name}`);
    return s;
  }
}

/** Logits, sequence losses and Γ of a batch on the GPU, in one submit. Validates data as the float64 path does. */
export async function gpuTransformerGradients(
  gpu: GpuDevice, layout: TargetLayout, batch: TransformerBatch, targets: ArrayLike<number>,
): Promise<GpuTransformerResult> {
  if (layout.spec.kind !== 'transformer') throw new Error(`internal: ${layout.name} is not a transformer target`);
  const spec: TransformerSpec = layout.spec;
  checkBatch(layout, spec, batch);
  const { sequences: B, length: T } = batch;
  checkTokens(targets, B, T, spec.vocab, 'target');
  const { dModel: d, heads, headDim: dk, blocks, ffn, vocab: V, seq, norm } = spec;
  const R = B * T;
  const N = layout.neuronCount;

  const segOff = new Map(layout.segments.map((s) => [s.name, s.offset]));
  const seg = (name: string): number => {
    const o = segOff.get(name);
    if (o === undefined) throw new Error(`internal: no segment ${name}`);
    return o;
  };
  const param = new Map(layout.params.map((p) => [p.name, p]));
  const p = (name: string): number => {
    const b = param.get(name);
    if (b === undefined) throw new Error(`internal: no parameter block ${name}`);
    return b.offset;
  };
  // H^l lives in one residual segment for both norms: pre embed | block{l-1}.ffn_out; post block{l}.attn_in | final.
  const hSeg = (l: number): string => norm === 'pre' ? (l === 0 ? 'embed' : `block${l - 1}.ffn_out`) : (l < blocks ? `block${l}.attn_in` : 'final');

  const aux = new AuxPlan();
  const norms: string[] = [];
  for (let l = 0; l < blocks; l++) {
    const b = `block${l}`;
    norms.push(`${b}.lnffn`);
    if (norm === 'pre') norms.push(`${b}.ln1`);
    else norms.push(`${b}.ln2`);
    for (let j = 0; j < heads; j++) {
      aux.add(`${b}.head${j}.v`, dk);
      aux.add(`${b}.head${j}.gO`, dk);
    }
    aux.add(`${b}.pre`, ffn);
    aux.add(`${b}.gHidden`, ffn);
  }
  if (norm === 'pre') norms.push('lnf');
  for (const n of norms) {
    aux.add(`${n}.xhat`, d);
    aux.add(`${n}.rstd`, 1);
  }
  aux.add('logits', V);
  const A = aux.width;
  const ACT = 0;
  const GRAD = R * N;
  const AUX = 2 * R * N;
  const headArea = R * T;
  const PROBS = AUX + R * A;
  const GS = PROBS + blocks * heads * headArea;
  const LOSS = GS + blocks * heads * headArea;
  const total = LOSS + B;

  // One-hot token and position inputs are data, written on the host into the act section.
  const work = new Float32Array(total);
  for (let r = 0; r < R; r++) {
    work[ACT + r * N + seg('tokens') + batch.tokens[r]!] = 1;
    work[ACT + r * N + seg('positions') + (r % T)] = 1;
  }
  const buffers = {
    theta: gpu.upload(Float32Array.from(batch.theta), 'theta'),
    ids: gpu.upload(Uint32Array.from(Array.from({ length: R }, (_, r) => batch.tokens[r]!)), 'tokens'),
    targets: gpu.upload(Uint32Array.from(Array.from({ length: R }, (_, r) => targets[r]!)), 'targets'),
    work: gpu.upload(work, 'work'),
    factors: gpu.scratch(R * N * 2 * 4, 'factors'),
  };
  const all = [embedKernel, linearKernel, linearBackKernel, combineKernel, layerNormKernel, layerNormBackKernel, geluKernel,
    geluBackKernel, attentionKernel, attentionBackQueryKernel, attentionBackKeyValueKernel, seedKernel, factorsKernel];
  const pipelines = new Map<Kernel, GPUComputePipeline>();
  for (const k of all) pipelines.set(k, await pipelineOf(gpu, k));

  const step = gpu.step();
  const run = (k: Kernel, count: number, uniforms: Record<string, number>, buffers: GPUBuffer[], label?: string): void => {
    record(step, { kernel: k, pipeline: pipelines.get(k)!, uniforms: { count, ...uniforms }, buffers, workgroups: linearGrid(count), ...(label === undefined ? {} : { label }) });
  };
  const tw = [buffers.theta, buffers.work];
  const w = [buffers.work];
  const act = (s: string): number => ACT + seg(s);
  const grad = (s: string): number => GRAD + seg(s);
  const auxAt = (s: string): number => AUX + aux.at(s);
  const linear = (W: string, bias: string | null, acc: boolean, inOff: number, inStride: number, outOff: number, outStride: number): void => {
    const blk = param.get(W)!;
    run(linearKernel, R * blk.rows, {
      rows: blk.rows, cols: blk.cols!, wOff: blk.offset, bOff: bias === null ? 0 : p(bias), hasBias: bias === null ? 0 : 1,
      acc: acc ? 1 : 0, inOff, inStride, outOff, outStride,
    }, tw, W);
  };
  const linearBack = (W: string, acc: boolean, inOff: number, inStride: number, outOff: number, outStride: number): void => {
    const blk = param.get(W)!;
    run(linearBackKernel, R * blk.cols!, { rows: blk.rows, cols: blk.cols!, wOff: blk.offset, acc: acc ? 1 : 0, inOff, inStride, outOff, outStride }, tw, W);
  };
  const combine = (width: number, acc: boolean, srcOff: number, srcStride: number, dstOff: number, dstStride: number): void => {
    run(combineKernel, R * width, { width, acc: acc ? 1 : 0, srcOff, srcStride, dstOff, dstStride }, w);
  };
  // `prefix` names θ's gain/bias, `slot` the aux x̂ / 1/σ slots.
  const normUniforms = (prefix: string, slot: string, acc: boolean, inOff: number, inStride: number, outOff: number, outStride: number) => ({
    d, gainOff: p(`${prefix}.gain`), biasOff: p(`${prefix}.bias`), acc: acc ? 1 : 0, inOff, inStride, outOff, outStride,
    xhatOff: auxAt(`${slot}.xhat`), auxStride: A, rstdOff: auxAt(`${slot}.rstd`), eps: LAYER_NORM_EPS,
  });
  const layerNorm = (prefix: string, slot: string, inOff: number, outOff: number): void => {
    run(layerNormKernel, R, normUniforms(prefix, slot, false, inOff, N, outOff, N), tw, prefix);
  };
  const layerNormBack = (prefix: string, slot: string, acc: boolean, inOff: number, outOff: number): void => {
    run(layerNormBackKernel, R, normUniforms(prefix, slot, acc, inOff, N, outOff, N), tw, prefix);
  };
  const headUniforms = (l: number, j: number) => {
    const hd = `block${l}.head${j}`;
    const area = (l * heads + j) * headArea;
    return {
      T, dk, N, A, scale: 1 / Math.sqrt(dk),
      qOff: act(`${hd}.query`), kOff: act(`${hd}.key`), vOff: auxAt(`${hd}.v`), oOff: act(`${hd}.value`),
      gqOff: grad(`${hd}.query`), gkOff: grad(`${hd}.key`), gvOff: grad(`${hd}.value`), goOff: auxAt(`${hd}.gO`),
      probOff: PROBS + area, gsOff: GS + area,
    };
  };

  // Forward.
  run(embedKernel, R * d, { d, V, seq, T, eOff: p('token_embed'), pOff: p('pos_embed'), outOff: act(hSeg(0)), outStride: N },
    [buffers.theta, buffers.ids, buffers.work]);
  for (let l = 0; l < blocks; l++) {
    const b = `block${l}`;
    const h = act(hSeg(l));
    if (norm === 'pre') layerNorm(`${b}.ln1`, `${b}.ln1`, h, act(`${b}.attn_in`));
    const attnIn = act(`${b}.attn_in`);
    for (let j = 0; j < heads; j++) {
      const hd = `${b}.head${j}`;
      linear(`${hd}.W_Q`, `${hd}.b_Q`, false, attnIn, N, act(`${hd}.query`), N);
      linear(`${hd}.W_K`, `${hd}.b_K`, false, attnIn, N, act(`${hd}.key`), N);
      linear(`${hd}.W_V`, `${hd}.b_V`, false, attnIn, N, auxAt(`${hd}.v`), A);
      run(attentionKernel, R, headUniforms(l, j), w, hd);
    }
    combine(d, false, h, N, act(`${b}.attn_out`), N);
    for (let j = 0; j < heads; j++) {
      linear(`${b}.head${j}.W_O`, j === 0 ? `${b}.b_O` : null, true, act(`${b}.head${j}.value`), N, act(`${b}.attn_out`), N);
    }
    const lnFfn = norm === 'pre' ? `${b}.ln2` : `${b}.ln1`;
    layerNorm(lnFfn, `${b}.lnffn`, act(`${b}.attn_out`), act(`${b}.ffn_in`));
    linear(`${b}.W_1`, `${b}.b_1`, false, act(`${b}.ffn_in`), N, auxAt(`${b}.pre`), A);
    run(geluKernel, R * ffn, { width: ffn, inOff: auxAt(`${b}.pre`), inStride: A, outOff: act(`${b}.ffn`), outStride: N }, w);
    combine(d, false, act(norm === 'pre' ? `${b}.attn_out` : `${b}.ffn_in`), N, act(`${b}.ffn_out`), N);
    linear(`${b}.W_2`, `${b}.b_2`, true, act(`${b}.ffn`), N, act(`${b}.ffn_out`), N);
    if (norm === 'post') layerNorm(`${b}.ln2`, `${b}.ln2`, act(`${b}.ffn_out`), act(hSeg(l + 1)));
  }
  if (norm === 'pre') layerNorm('lnf', 'lnf', act(hSeg(blocks)), act('final'));
  linear('W_out', 'b_out', false, act('final'), N, auxAt('logits'), A);
  run(seedKernel, B, { T, V, zOff: auxAt('logits'), A, gOff: grad('vocab_out'), N, lossOff: LOSS }, [buffers.targets, buffers.work]);

  // Backward: the tangent of H^l is written to grad(hSeg(l)), as the float64 code's factors have it.
  linearBack('W_out', false, grad('vocab_out'), N, grad('final'), N);
  if (norm === 'pre') layerNormBack('lnf', 'lnf', false, grad('final'), grad(hSeg(blocks)));
  for (let l = blocks - 1; l >= 0; l--) {
    const b = `block${l}`;
    if (norm === 'post') layerNormBack(`${b}.ln2`, `${b}.ln2`, false, grad(hSeg(l + 1)), grad(`${b}.ffn_out`));
    linearBack(`${b}.W_2`, false, grad(`${b}.ffn_out`), N, auxAt(`${b}.gHidden`), A);
    run(geluBackKernel, R * ffn, { width: ffn, gOff: auxAt(`${b}.gHidden`), preOff: auxAt(`${b}.pre`), auxStride: A, outOff: grad(`${b}.ffn`), outStride: N }, w);
    // post-LN: X2 also feeds the residual add X2 + U.
    if (norm === 'post') combine(d, false, grad(`${b}.ffn_out`), N, grad(`${b}.ffn_in`), N);
    linearBack(`${b}.W_1`, norm === 'post', grad(`${b}.ffn`), N, grad(`${b}.ffn_in`), N);
    // pre-LN: M also feeds H' = M + U directly.
    if (norm === 'pre') combine(d, false, grad(`${b}.ffn_out`), N, grad(`${b}.attn_out`), N);
    layerNormBack(norm === 'pre' ? `${b}.ln2` : `${b}.ln1`, `${b}.lnffn`, norm === 'pre', grad(`${b}.ffn_in`), grad(`${b}.attn_out`));
    // post-LN: Q/K/V read H itself, whose tangent also has the residual path; pre-LN: LN1's output.
    if (norm === 'post') combine(d, false, grad(`${b}.attn_out`), N, grad(`${b}.attn_in`), N);
    for (let j = 0; j < heads; j++) {
      const hd = `${b}.head${j}`;
      linearBack(`${hd}.W_O`, false, grad(`${b}.attn_out`), N, auxAt(`${hd}.gO`), A);
      run(attentionBackQueryKernel, R, headUniforms(l, j), w, hd);
      run(attentionBackKeyValueKernel, R, headUniforms(l, j), w, hd);
      const first = norm === 'pre' && j === 0;
      linearBack(`${hd}.W_Q`, !first, grad(`${hd}.query`), N, grad(`${b}.attn_in`), N);
      linearBack(`${hd}.W_K`, true, grad(`${hd}.key`), N, grad(`${b}.attn_in`), N);
      linearBack(`${hd}.W_V`, true, grad(`${hd}.value`), N, grad(`${b}.attn_in`), N);
    }
    if (norm === 'pre') {
      combine(d, false, grad(`${b}.attn_out`), N, grad(hSeg(l)), N);
      layerNormBack(`${b}.ln1`, `${b}.ln1`, true, grad(`${b}.attn_in`), grad(hSeg(l)));
    }
  }
  const inEnd = seg('positions') + seq;
  run(factorsKernel, R * N, { actOff: ACT, gradOff: GRAD, inEnd, outStart: seg('vocab_out'), N }, [buffers.work, buffers.factors]);

  const { data } = await gpu.validated('transformer gradients', () => step.submit([
    { buffer: buffers.work, bytes: total * 4 },
    { buffer: buffers.factors, bytes: R * N * 2 * 4 },
  ]));
  for (const buffer of Object.values(buffers)) gpu.pool.release(buffer);
  const out = new Float32Array(data[0]!);
  const logits = new Float32Array(R * V);
  for (let r = 0; r < R; r++) logits.set(out.subarray(AUX + r * A + aux.at('logits'), AUX + r * A + aux.at('logits') + V), r * V);
  return { logits, losses: out.slice(LOSS, LOSS + B), factors: new Float32Array(data[1]!) };
}
