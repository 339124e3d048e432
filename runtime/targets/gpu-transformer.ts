// The transformer target on the GPU (float32 WGSL): forward, next-token cross-entropy seed, backward
// and per-token factor extraction of a batch of sequences, recorded into a step or bound once for
// replay (`Emit`). Same equations, loss convention and Γ layout ([B·T, N, 2]) as the float64 code
// in transformer.ts, its test oracle; no parameter gradients are formed (they are rebuilt from Γ,
// the LayerNorm gains from x̂: gainGradKernel).
// Several θ can run at once (the learned optimizer's inner runs): the rows of `runs` runs are
// stacked run-major, and the kernels that read θ take θ [runs, P] with thetaStride = P and perTheta
// = the rows of one run (thetaStride 0: one θ for every row).
//
// Memory: one f32 work buffer holds every intermediate, addressed by offsets in uniforms, so each
// kernel binds θ, the work buffer and at most one index buffer:
//   act  [R, N]  channel-0 values per neuron (R = runs·B·T rows, one per token, sequence-major)
//   grad [R, N]  channel-1 values per neuron
//   aux  [R, A]  per-token vectors that are no segment's channel (V, P, x̂, 1/σ, g_O, g_S, logits)
//   probs, gs    [blocks, heads, R, T] attention weights and their score tangents
// and the sequences' losses ℓ_s [runs·B] have their own buffer.
// Kernels are simple (one invocation per output element or per row, plain loops); dispatches of a
// step are ordered by WebGPU, so no barriers are needed.
import type { TargetLayout, TransformerSpec } from '../../compiler/spaces/target.js';
import { header, linearGrid, linearMain, type Kernel, type UniformField } from '../../compiler/wgsl/kernel.js';
import type { GpuDevice, Step } from '../device/index.js';
import { pipelineOf, record, type Launch } from '../gpu/launch.js';
import { activationWgsl, TANH } from '../../compiler/wgsl/activation.js';
import { checkBatch, checkTokens, LAYER_NORM_EPS, type TransformerBatch } from './transformer.js';

/** The buffers a recorded step reads and writes (see the header for the work layout). */
export interface GpuTransformerBuffers {
  /** [runs, P]. */
  theta: GPUBuffer;
  /** [R] input token ids (u32). */
  ids: GPUBuffer;
  /** [R] next-token targets (u32). */
  targets: GPUBuffer;
  work: GPUBuffer;
  /** [runs·B]: ℓ_s. */
  losses: GPUBuffer;
  /** [R, N, 2]. */
  factors: GPUBuffer;
}

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

/** Uniforms and helper of the kernels that read θ: th(r) is the θ offset of row r's run. */
const PER_THETA = ['thetaStride', 'perTheta'];
const TH = 'fn th(r: u32) -> u32 { return (r / u.perTheta) * u.thetaStride; }\n';

/** One invocation per (token r, j < V + seq): the one-hot token and position inputs of row r (sequence length T). */
const inputsKernel = kernel('inputs', ['count', 'V', 'width', 'T', 'tokOff', 'posOff', 'N'].map(u32),
  [{ name: 'ids', element: 'u32', access: 'read' }, WORK],
  `  let r = i / u.width;
  let j = i % u.width;
  if (j < u.V) { work[r * u.N + u.tokOff + j] = select(0.0, 1.0, ids[r] == j); }
  else { work[r * u.N + u.posOff + j - u.V] = select(0.0, 1.0, r % u.T == j - u.V); }`);

/** One invocation per (token r, i): H⁰[r, i] = E[i, x_r] + Pos[i, t_r]. */
const embedKernel = kernel('embed',
  ['count', 'd', 'V', 'seq', 'T', 'eOff', 'pOff', 'outOff', 'outStride', ...PER_THETA].map(u32),
  [THETA, { name: 'ids', element: 'u32', access: 'read' }, WORK],
  `  let r = i / u.d;
  let k = i % u.d;
  let t0 = th(r);
  work[u.outOff + r * u.outStride + k] = theta[t0 + u.eOff + k * u.V + ids[r]] + theta[t0 + u.pOff + k * u.seq + r % u.T];`, TH);

/** One invocation per (row r, output p): Y = acc·Y + b + W X (W [rows × cols] row-major in θ). */
const linearKernel = kernel('linear',
  ['count', 'rows', 'cols', 'wOff', 'bOff', 'hasBias', 'acc', 'inOff', 'inStride', 'outOff', 'outStride', ...PER_THETA].map(u32),
  [THETA, WORK],
  `  let r = i / u.rows;
  let p = i % u.rows;
  let t0 = th(r);
  let o = u.outOff + r * u.outStride + p;
  var s = select(0.0, work[o], u.acc == 1u) + select(0.0, theta[t0 + u.bOff + p], u.hasBias == 1u);
  for (var q = 0u; q < u.cols; q++) { s += theta[t0 + u.wOff + p * u.cols + q] * work[u.inOff + r * u.inStride + q]; }
  work[o] = s;`, TH);

/** One invocation per (row r, input q): gX = acc·gX + Wᵀ gY. */
const linearBackKernel = kernel('linear_back',
  ['count', 'rows', 'cols', 'wOff', 'acc', 'inOff', 'inStride', 'outOff', 'outStride', ...PER_THETA].map(u32),
  [THETA, WORK],
  `  let r = i / u.cols;
  let q = i % u.cols;
  let t0 = th(r);
  let o = u.outOff + r * u.outStride + q;
  var s = select(0.0, work[o], u.acc == 1u);
  for (var p = 0u; p < u.rows; p++) { s += theta[t0 + u.wOff + p * u.cols + q] * work[u.inOff + r * u.inStride + p]; }
  work[o] = s;`, TH);

/** One invocation per (row, k): dst = acc·dst + src (copies and residual sums). */
const combineKernel = kernel('combine',
  ['count', 'width', 'acc', 'srcOff', 'srcStride', 'dstOff', 'dstStride'].map(u32),
  [WORK],
  `  let r = i / u.width;
  let k = i % u.width;
  let o = u.dstOff + r * u.dstStride + k;
  work[o] = select(0.0, work[o], u.acc == 1u) + work[u.srcOff + r * u.srcStride + k];`);

const NORM_UNIFORMS = [...['count', 'd', 'gainOff', 'biasOff', 'acc', 'inOff', 'inStride', 'outOff', 'outStride', 'xhatOff', 'auxStride', 'rstdOff', ...PER_THETA].map(u32), f32('eps')];

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
  let t0 = th(i);
  for (var k = 0u; k < u.d; k++) {
    let xh = (work[x + k] - mean) * rstd;
    work[u.xhatOff + i * u.auxStride + k] = xh;
    work[u.outOff + i * u.outStride + k] = theta[t0 + u.gainOff + k] * xh + theta[t0 + u.biasOff + k];
  }`, TH);

/** One invocation per row: gX = acc·gX + (1/σ)(ĝ − mean ĝ − x̂ · mean(ĝ ⊙ x̂)), ĝ = gain ⊙ gY. */
const layerNormBackKernel = kernel('layer_norm_back', NORM_UNIFORMS, [THETA, WORK],
  `  let gy = u.inOff + i * u.inStride;
  let xh = u.xhatOff + i * u.auxStride;
  let g0 = th(i) + u.gainOff;
  var mg = 0.0;
  var mgx = 0.0;
  for (var k = 0u; k < u.d; k++) {
    let gh = work[gy + k] * theta[g0 + k];
    mg += gh;
    mgx += gh * work[xh + k];
  }
  mg /= f32(u.d);
  mgx /= f32(u.d);
  let rstd = work[u.rstdOff + i * u.auxStride];
  for (var k = 0u; k < u.d; k++) {
    let o = u.outOff + i * u.outStride + k;
    let v = rstd * (work[gy + k] * theta[g0 + k] - mg - work[xh + k] * mgx);
    work[o] = select(0.0, work[o], u.acc == 1u) + v;
  }`, TH);

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
const seedKernel = kernel('seed', ['count', 'T', 'V', 'zOff', 'A', 'gOff', 'N'].map(u32),
  [{ name: 'targets', element: 'u32', access: 'read' }, WORK, { name: 'losses', element: 'f32', access: 'read_write' }],
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
  losses[i] = loss;`);

/** One invocation per (token, neuron): (a, g), with a one-hot repeated on the inputs and g_logits on the output. */
const factorsKernel = kernel('factors', ['count', 'actOff', 'gradOff', 'inEnd', 'outStart', 'N'].map(u32),
  [{ name: 'work', element: 'f32', access: 'read' }, { name: 'factors', element: 'f32', access: 'read_write' }],
  `  let j = i % u.N;
  let a = work[u.actOff + i];
  let g = work[u.gradOff + i];
  factors[2u * i] = select(a, g, j >= u.outStart);
  factors[2u * i + 1u] = select(g, a, j < u.inEnd);`);

/**
 * One invocation per (run, k < d) of one LayerNorm: grad[run, gain k] = scale · Σ_rows g_out[row, k] · x̂[row, k]
 * over the run's rows (the gain's gradient, which is no product of a and g; transformer.ts layerNormBack).
 */
const gainGradKernel = kernel('gain_grad', [...['count', 'd', 'perTheta', 'P', 'gainOff', 'gOff', 'N', 'xhatOff', 'A'].map(u32), f32('scale')],
  [{ name: 'work', element: 'f32', access: 'read' }, { name: 'grad', element: 'f32', access: 'read_write' }],
  `  let run = i / u.d;
  let k = i % u.d;
  var s = 0.0;
  for (var r = run * u.perTheta; r < (run + 1u) * u.perTheta; r++) { s += work[u.gOff + r * u.N + k] * work[u.xhatOff + r * u.A + k]; }
  grad[run * u.P + u.gainOff + k] = u.scale * s;`);

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

/** The shape of a recorded step: `runs` runs (one θ each) of `sequences` sequences of `length` tokens. */
export interface TransformerShape {
  runs: number;
  sequences: number;
  length: number;
}

const KERNELS = [inputsKernel, embedKernel, linearKernel, linearBackKernel, combineKernel, layerNormKernel, layerNormBackKernel, geluKernel,
  geluBackKernel, attentionKernel, attentionBackQueryKernel, attentionBackKeyValueKernel, seedKernel, factorsKernel, gainGradKernel];

type Uniforms = Record<string, number>;

/** Where recorded launches go: into a step (`into`), or into a list bound once and replayed (the inner runs). */
export type Emit = (launch: Launch) => void;

/** Launches recorded straight into `step`. */
export function into(step: Step): Emit {
  return (launch) => record(step, launch);
}

/**
 * A transformer target's forward (with the loss seed) and backward (with Γ) as dispatch series over
 * the buffers of one shape: the offsets of the work layout, computed once, and the pipelines.
 */
export class GpuTransformer {
  /** Token rows R = runs · sequences · length. */
  readonly rows: number;
  /** Floats of the work buffer. */
  readonly workSize: number;
  private readonly spec: TransformerSpec;
  private readonly N: number;
  private readonly A: number;
  private readonly aux = new AuxPlan();
  private readonly norms: string[] = [];
  private readonly segOff: Map<string, number>;
  private readonly param: Map<string, { offset: number; rows: number; cols: number | null }>;
  private readonly GRAD: number;
  private readonly AUX: number;
  private readonly PROBS: number;
  private readonly GS: number;

  private constructor(private readonly layout: TargetLayout, readonly shape: TransformerShape, private readonly pipelines: Map<Kernel, GPUComputePipeline>) {
    if (layout.spec.kind !== 'transformer') throw new Error(`internal: ${layout.name} is not a transformer target`);
    this.spec = layout.spec;
    const { heads, headDim: dk, blocks, ffn, vocab: V, norm, dModel: d } = this.spec;
    const T = shape.length;
    this.rows = shape.runs * shape.sequences * T;
    this.N = layout.neuronCount;
    this.segOff = new Map(layout.segments.map((s) => [s.name, s.offset]));
    this.param = new Map(layout.params.map((p) => [p.name, p]));
    const aux = this.aux;
    for (let l = 0; l < blocks; l++) {
      const b = `block${l}`;
      this.norms.push(`${b}.lnffn`);
      if (norm === 'pre') this.norms.push(`${b}.ln1`);
      else this.norms.push(`${b}.ln2`);
      for (let j = 0; j < heads; j++) {
        aux.add(`${b}.head${j}.v`, dk);
        aux.add(`${b}.head${j}.gO`, dk);
      }
      aux.add(`${b}.pre`, ffn);
      aux.add(`${b}.gHidden`, ffn);
    }
    if (norm === 'pre') this.norms.push('lnf');
    for (const n of this.norms) {
      aux.add(`${n}.xhat`, d);
      aux.add(`${n}.rstd`, 1);
    }
    aux.add('logits', V);
    this.A = aux.width;
    const R = this.rows;
    this.GRAD = R * this.N;
    this.AUX = 2 * R * this.N;
    const headArea = R * T;
    this.PROBS = this.AUX + R * this.A;
    this.GS = this.PROBS + blocks * heads * headArea;
    this.workSize = this.GS + blocks * heads * headArea;
  }

  static async create(gpu: GpuDevice, layout: TargetLayout, shape: TransformerShape): Promise<GpuTransformer> {
    const pipelines = new Map<Kernel, GPUComputePipeline>();
    for (const k of KERNELS) pipelines.set(k, await pipelineOf(gpu, k));
    return new GpuTransformer(layout, shape, pipelines);
  }

  /** Where row r's logits [V] start in the work buffer. */
  logitsAt(r: number): number {
    return this.AUX + r * this.A + this.aux.at('logits');
  }

  private seg(name: string): number {
    const o = this.segOff.get(name);
    if (o === undefined) throw new Error(`internal: no segment ${name}`);
    return o;
  }

  private p(name: string): number {
    const b = this.param.get(name);
    if (b === undefined) throw new Error(`internal: no parameter block ${name}`);
    return b.offset;
  }

  private run(emit: Emit, k: Kernel, count: number, uniforms: Uniforms, buffers: GPUBuffer[], label?: string): void {
    emit({ kernel: k, pipeline: this.pipelines.get(k)!, uniforms: { count, ...uniforms }, buffers, workgroups: linearGrid(count), ...(label === undefined ? {} : { label }) });
  }

  /** θ's addressing: one θ per run. */
  private get perTheta(): Uniforms {
    return { thetaStride: this.shape.runs === 1 ? 0 : this.layout.paramCount, perTheta: this.shape.sequences * this.shape.length };
  }

  // H^l lives in one residual segment for both norms: pre embed | block{l-1}.ffn_out; post block{l}.attn_in | final.
  private hSeg(l: number): string {
    const { norm, blocks } = this.spec;
    return norm === 'pre' ? (l === 0 ? 'embed' : `block${l - 1}.ffn_out`) : (l < blocks ? `block${l}.attn_in` : 'final');
  }

  private act(s: string): number {
    return this.seg(s);
  }

  private grad(s: string): number {
    return this.GRAD + this.seg(s);
  }

  private auxAt(s: string): number {
    return this.AUX + this.aux.at(s);
  }

  private linear(emit: Emit, B: Pick<GpuTransformerBuffers, 'theta' | 'work'>, W: string, bias: string | null, acc: boolean, inOff: number, inStride: number, outOff: number, outStride: number): void {
    const blk = this.param.get(W)!;
    this.run(emit, linearKernel, this.rows * blk.rows, {
      rows: blk.rows, cols: blk.cols!, wOff: blk.offset, bOff: bias === null ? 0 : this.p(bias), hasBias: bias === null ? 0 : 1,
      acc: acc ? 1 : 0, inOff, inStride, outOff, outStride, ...this.perTheta,
    }, [B.theta, B.work], W);
  }

  private linearBack(emit: Emit, B: Pick<GpuTransformerBuffers, 'theta' | 'work'>, W: string, acc: boolean, inOff: number, inStride: number, outOff: number, outStride: number): void {
    const blk = this.param.get(W)!;
    this.run(emit, linearBackKernel, this.rows * blk.cols!, { rows: blk.rows, cols: blk.cols!, wOff: blk.offset, acc: acc ? 1 : 0, inOff, inStride, outOff, outStride, ...this.perTheta }, [B.theta, B.work], W);
  }

  private combine(emit: Emit, B: Pick<GpuTransformerBuffers, 'work'>, width: number, acc: boolean, srcOff: number, srcStride: number, dstOff: number, dstStride: number): void {
    this.run(emit, combineKernel, this.rows * width, { width, acc: acc ? 1 : 0, srcOff, srcStride, dstOff, dstStride }, [B.work]);
  }

  // `prefix` names θ's gain/bias, `slot` the aux x̂ / 1/σ slots.
  private normUniforms(prefix: string, slot: string, acc: boolean, inOff: number, outOff: number): Uniforms {
    const N = this.N;
    return {
      d: this.spec.dModel, gainOff: this.p(`${prefix}.gain`), biasOff: this.p(`${prefix}.bias`), acc: acc ? 1 : 0, inOff, inStride: N, outOff, outStride: N,
      xhatOff: this.auxAt(`${slot}.xhat`), auxStride: this.A, rstdOff: this.auxAt(`${slot}.rstd`), eps: LAYER_NORM_EPS, ...this.perTheta,
    };
  }

  private layerNorm(emit: Emit, B: Pick<GpuTransformerBuffers, 'theta' | 'work'>, prefix: string, slot: string, inOff: number, outOff: number): void {
    this.run(emit, layerNormKernel, this.rows, this.normUniforms(prefix, slot, false, inOff, outOff), [B.theta, B.work], prefix);
  }

  private layerNormBack(emit: Emit, B: Pick<GpuTransformerBuffers, 'theta' | 'work'>, prefix: string, slot: string, acc: boolean, inOff: number, outOff: number): void {
    this.run(emit, layerNormBackKernel, this.rows, this.normUniforms(prefix, slot, acc, inOff, outOff), [B.theta, B.work], prefix);
  }

  private headUniforms(l: number, j: number): Uniforms {
    const { heads, headDim: dk } = this.spec;
    const T = this.shape.length;
    const hd = `block${l}.head${j}`;
    const area = (l * heads + j) * this.rows * T;
    return {
      T, dk, N: this.N, A: this.A, scale: 1 / Math.sqrt(dk),
      qOff: this.act(`${hd}.query`), kOff: this.act(`${hd}.key`), vOff: this.auxAt(`${hd}.v`), oOff: this.act(`${hd}.value`),
      gqOff: this.grad(`${hd}.query`), gkOff: this.grad(`${hd}.key`), gvOff: this.grad(`${hd}.value`), goOff: this.auxAt(`${hd}.gO`),
      probOff: this.PROBS + area, gsOff: this.GS + area,
    };
  }

  /** Forward from the token ids: the one-hot inputs, logits, ℓ_s into `losses` and g_logits into vocab_out's grad. */
  recordForward(emit: Emit, B: Omit<GpuTransformerBuffers, 'factors'>): void {
    const { dModel: d, heads, blocks, ffn, vocab: V, seq, norm } = this.spec;
    const { rows: R, N, A } = this;
    const T = this.shape.length;
    const w = [B.work];
    const act = (s: string) => this.act(s);
    const auxAt = (s: string) => this.auxAt(s);
    this.run(emit, inputsKernel, R * (V + seq), { V, width: V + seq, T, tokOff: this.seg('tokens'), posOff: this.seg('positions'), N }, [B.ids, B.work]);
    this.run(emit, embedKernel, R * d, { d, V, seq, T, eOff: this.p('token_embed'), pOff: this.p('pos_embed'), outOff: act(this.hSeg(0)), outStride: N, ...this.perTheta },
      [B.theta, B.ids, B.work]);
    for (let l = 0; l < blocks; l++) {
      const b = `block${l}`;
      const h = act(this.hSeg(l));
      if (norm === 'pre') this.layerNorm(emit, B, `${b}.ln1`, `${b}.ln1`, h, act(`${b}.attn_in`));
      const attnIn = act(`${b}.attn_in`);
      for (let j = 0; j < heads; j++) {
        const hd = `${b}.head${j}`;
        this.linear(emit, B, `${hd}.W_Q`, `${hd}.b_Q`, false, attnIn, N, act(`${hd}.query`), N);
        this.linear(emit, B, `${hd}.W_K`, `${hd}.b_K`, false, attnIn, N, act(`${hd}.key`), N);
        this.linear(emit, B, `${hd}.W_V`, `${hd}.b_V`, false, attnIn, N, auxAt(`${hd}.v`), A);
        this.run(emit, attentionKernel, R, this.headUniforms(l, j), w, hd);
      }
      this.combine(emit, B, d, false, h, N, act(`${b}.attn_out`), N);
      for (let j = 0; j < heads; j++) {
        this.linear(emit, B, `${b}.head${j}.W_O`, j === 0 ? `${b}.b_O` : null, true, act(`${b}.head${j}.value`), N, act(`${b}.attn_out`), N);
      }
      const lnFfn = norm === 'pre' ? `${b}.ln2` : `${b}.ln1`;
      this.layerNorm(emit, B, lnFfn, `${b}.lnffn`, act(`${b}.attn_out`), act(`${b}.ffn_in`));
      this.linear(emit, B, `${b}.W_1`, `${b}.b_1`, false, act(`${b}.ffn_in`), N, auxAt(`${b}.pre`), A);
      this.run(emit, geluKernel, R * ffn, { width: ffn, inOff: auxAt(`${b}.pre`), inStride: A, outOff: act(`${b}.ffn`), outStride: N }, w);
      this.combine(emit, B, d, false, act(norm === 'pre' ? `${b}.attn_out` : `${b}.ffn_in`), N, act(`${b}.ffn_out`), N);
      this.linear(emit, B, `${b}.W_2`, `${b}.b_2`, true, act(`${b}.ffn`), N, act(`${b}.ffn_out`), N);
      if (norm === 'post') this.layerNorm(emit, B, `${b}.ln2`, `${b}.ln2`, act(`${b}.ffn_out`), act(this.hSeg(l + 1)));
    }
    if (norm === 'pre') this.layerNorm(emit, B, 'lnf', 'lnf', act(this.hSeg(blocks)), act('final'));
    this.linear(emit, B, 'W_out', 'b_out', false, act('final'), N, auxAt('logits'), A);
    this.run(emit, seedKernel, R / T, { T, V, zOff: auxAt('logits'), A, gOff: this.grad('vocab_out'), N }, [B.targets, B.work, B.losses]);
  }

  /** Backward from the seed of `recordForward`: the tangent of H^l is written to grad(hSeg(l)), as the float64 code's factors have it; then Γ. */
  recordBackward(emit: Emit, B: GpuTransformerBuffers): void {
    const { dModel: d, heads, blocks, ffn, seq, norm } = this.spec;
    const { rows: R, N, A } = this;
    const w = [B.work];
    const grad = (s: string) => this.grad(s);
    const auxAt = (s: string) => this.auxAt(s);
    const hSeg = (l: number) => this.hSeg(l);
    this.linearBack(emit, B, 'W_out', false, grad('vocab_out'), N, grad('final'), N);
    if (norm === 'pre') this.layerNormBack(emit, B, 'lnf', 'lnf', false, grad('final'), grad(hSeg(blocks)));
    for (let l = blocks - 1; l >= 0; l--) {
      const b = `block${l}`;
      if (norm === 'post') this.layerNormBack(emit, B, `${b}.ln2`, `${b}.ln2`, false, grad(hSeg(l + 1)), grad(`${b}.ffn_out`));
      this.linearBack(emit, B, `${b}.W_2`, false, grad(`${b}.ffn_out`), N, auxAt(`${b}.gHidden`), A);
      this.run(emit, geluBackKernel, R * ffn, { width: ffn, gOff: auxAt(`${b}.gHidden`), preOff: auxAt(`${b}.pre`), auxStride: A, outOff: grad(`${b}.ffn`), outStride: N }, w);
      // post-LN: X2 also feeds the residual add X2 + U.
      if (norm === 'post') this.combine(emit, B, d, false, grad(`${b}.ffn_out`), N, grad(`${b}.ffn_in`), N);
      this.linearBack(emit, B, `${b}.W_1`, norm === 'post', grad(`${b}.ffn`), N, grad(`${b}.ffn_in`), N);
      // pre-LN: M also feeds H' = M + U directly.
      if (norm === 'pre') this.combine(emit, B, d, false, grad(`${b}.ffn_out`), N, grad(`${b}.attn_out`), N);
      this.layerNormBack(emit, B, norm === 'pre' ? `${b}.ln2` : `${b}.ln1`, `${b}.lnffn`, norm === 'pre', grad(`${b}.ffn_in`), grad(`${b}.attn_out`));
      // post-LN: Q/K/V read H itself, whose tangent also has the residual path; pre-LN: LN1's output.
      if (norm === 'post') this.combine(emit, B, d, false, grad(`${b}.attn_out`), N, grad(`${b}.attn_in`), N);
      for (let j = 0; j < heads; j++) {
        const hd = `${b}.head${j}`;
        this.linearBack(emit, B, `${hd}.W_O`, false, grad(`${b}.attn_out`), N, auxAt(`${hd}.gO`), A);
        this.run(emit, attentionBackQueryKernel, R, this.headUniforms(l, j), w, hd);
        this.run(emit, attentionBackKeyValueKernel, R, this.headUniforms(l, j), w, hd);
        const first = norm === 'pre' && j === 0;
        this.linearBack(emit, B, `${hd}.W_Q`, !first, grad(`${hd}.query`), N, grad(`${b}.attn_in`), N);
        this.linearBack(emit, B, `${hd}.W_K`, true, grad(`${hd}.key`), N, grad(`${b}.attn_in`), N);
        this.linearBack(emit, B, `${hd}.W_V`, true, grad(`${hd}.value`), N, grad(`${b}.attn_in`), N);
      }
      if (norm === 'pre') {
        this.combine(emit, B, d, false, grad(`${b}.attn_out`), N, grad(hSeg(l)), N);
        this.layerNormBack(emit, B, `${b}.ln1`, `${b}.ln1`, true, grad(`${b}.attn_in`), grad(hSeg(l)));
      }
    }
    const inEnd = this.seg('positions') + seq;
    this.run(emit, factorsKernel, R * N, { actOff: 0, gradOff: this.GRAD, inEnd, outStart: this.seg('vocab_out'), N }, [B.work, B.factors]);
  }

  /**
   * The LayerNorm gains' entries of every run's gradient grad [runs, P]: scale · Σ over the run's
   * tokens of g ⊙ x̂, with g the tangent of the norm's output segment (after `recordBackward`).
   */
  recordGainGradients(emit: Emit, work: GPUBuffer, grad: GPUBuffer, scale: number): void {
    const { dModel: d, norm } = this.spec;
    const out = (n: string): string => {
      if (n === 'lnf') return 'final';
      const [b, which] = n.split('.') as [string, string];
      if (which === 'lnffn') return `${b}.ffn_in`;
      if (which === 'ln1') return `${b}.attn_in`;
      return this.hSeg(Number(b.slice('block'.length)) + 1);
    };
    const prefix = (n: string): string => n.endsWith('.lnffn') ? `${n.split('.')[0]!}.${norm === 'pre' ? 'ln2' : 'ln1'}` : n;
    for (const n of this.norms) {
      this.run(emit, gainGradKernel, this.shape.runs * d, {
        d, perTheta: this.shape.sequences * this.shape.length, P: this.layout.paramCount, gainOff: this.p(`${prefix(n)}.gain`),
        gOff: this.grad(out(n)), N: this.N, xhatOff: this.auxAt(`${n}.xhat`), A: this.A, scale,
      }, [work, grad], n);
    }
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
  const net = await GpuTransformer.create(gpu, layout, { runs: 1, sequences: B, length: T });
  const R = net.rows;
  const N = layout.neuronCount;
  const buffers: GpuTransformerBuffers = {
    theta: gpu.upload(Float32Array.from(batch.theta), 'theta'),
    ids: gpu.upload(Uint32Array.from(Array.from({ length: R }, (_, r) => batch.tokens[r]!)), 'tokens'),
    targets: gpu.upload(Uint32Array.from(Array.from({ length: R }, (_, r) => targets[r]!)), 'targets'),
    work: gpu.scratch(net.workSize * 4, 'work'),
    losses: gpu.scratch(B * 4, 'losses'),
    factors: gpu.scratch(R * N * 2 * 4, 'factors'),
  };
  const step = gpu.step();
  net.recordForward(into(step), buffers);
  net.recordBackward(into(step), buffers);
  const { data } = await gpu.validated('transformer gradients', () => step.submit([
    { buffer: buffers.work, bytes: net.workSize * 4 },
    { buffer: buffers.losses, bytes: B * 4 },
    { buffer: buffers.factors, bytes: R * N * 2 * 4 },
  ]));
  for (const buffer of Object.values(buffers)) gpu.pool.release(buffer);
  const work = new Float32Array(data[0]!);
  const V = spec.vocab;
  const logits = new Float32Array(R * V);
  for (let r = 0; r < R; r++) logits.set(work.subarray(net.logitsAt(r), net.logitsAt(r) + V), r * V);
  return { logits, losses: new Float32Array(data[1]!), factors: new Float32Array(data[2]!) };
}
