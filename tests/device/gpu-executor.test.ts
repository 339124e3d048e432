// The GPU executor runs a hand-built IR graph (a Hartford set layer, pooling, positional encoding,
// segment means, gather/concat/select/scatter, layer norm, fold, contract and attention) and
// agrees with a float64 evaluation of the same formulas, written out below loop by loop.
import { afterAll, describe, expect, it } from 'vitest';
import type { Graph, Node, Op, ValueId } from '../../compiler/ir/ops.js';
import type { Instantiation, TensorType } from '../../compiler/ir/types.js';
import { constTable, incidence } from '../../compiler/spaces/tables.js';
import { mlpLayout } from '../../compiler/spaces/target.js';
import { planGraph } from '../../compiler/wgsl/plan.js';
import { GpuExecutor, layoutTables } from '../../runtime/gpu/index.js';
import { Rng } from '../../runtime/util/rng.js';
import { attention64, randomArray } from '../wgsl/oracle.js';
import { expectClose, openTestGpu } from './gpu-fixture.js';

const gpu = await openTestGpu();
afterAll(() => gpu?.destroy());

const T = mlpLayout('T', { kind: 'mlp', widths: [1, 3, 2], activation: { kind: 'relu' }, init: 'gaussian' });
const inst: Instantiation = { targets: new Map([['T', T]]) };
const N = T.neuronCount; // 6
const P = T.paramCount; // 14
const b = 4;
const set = { name: 'b', size: b };
const neurons = { kind: 'neurons' as const, target: 'T' };
const params = { kind: 'params' as const, target: 'T' };
const span = { file: 'test.gmn', start: 0, end: 0 } as unknown as Node['span'];

function buildGraph(): { graph: Graph; ids: Record<string, ValueId> } {
  const nodes: Node[] = [];
  const ids: Record<string, ValueId> = {};
  const add = (label: string, op: Op, type: TensorType): ValueId => {
    const id = nodes.length;
    nodes.push({ id, op, type, span, label });
    ids[label] = id;
    return id;
  };
  const fixed = (rows: number) => ({ kind: 'fixed' as const, size: rows, label: 'rows' });
  const g = add('g', { op: 'input', name: 'g' }, { set, site: neurons, channels: 2 });
  const w0 = add('w0', { op: 'param', name: 'w0', shape: [2, 8], init: { kind: 'zeros' } }, { set: null, site: fixed(2), channels: 8 });
  const w1 = add('w1', { op: 'param', name: 'w1', shape: [2, 8], init: { kind: 'zeros' } }, { set: null, site: fixed(2), channels: 8 });
  const bias = add('bias', { op: 'param', name: 'bias', shape: [8], init: { kind: 'zeros' } }, { set: null, site: null, channels: 8 });
  const pe = add('pe', { op: 'const', table: { kind: 'posenc', target: 'T', dim: 4, hiddenIds: 'segment' } }, { set: null, site: neurons, channels: 4 });
  const x0 = add('x0', { op: 'matmul', x: g, w: w0, transposeW: false }, { set, site: neurons, channels: 8 });
  const pooled = add('pooled', { op: 'reduce', fn: 'mean', x: g, axes: ['set'] }, { set: null, site: neurons, channels: 2 });
  const x1 = add('x1', { op: 'matmul', x: pooled, w: w1, transposeW: false }, { set: null, site: neurons, channels: 8 });
  const sum = add('sum', { op: 'binary', fn: 'add', a: x0, b: x1 }, { set, site: neurons, channels: 8 });
  const biased = add('biased', { op: 'bias', x: sum, b: bias }, { set, site: neurons, channels: 8 });
  const h = add('h', { op: 'unary', fn: 'relu', x: biased }, { set, site: neurons, channels: 8 });
  const z = add('z', { op: 'reduce', fn: 'mean', x: h, axes: ['set'] }, { set: null, site: neurons, channels: 8 });
  const zc = add('zc', { op: 'concat', xs: [z, pe] }, { set: null, site: neurons, channels: 12 });
  const segm = add('segm', { op: 'segment_mean', x: zc, target: 'T' }, { set: null, site: neurons, channels: 12 });
  const centred = add('centred', { op: 'binary', fn: 'sub', a: zc, b: segm }, { set: null, site: neurons, channels: 12 });
  const rows = add('rows', { op: 'gather', x: centred, incidence: 'rows', target: 'T' }, { set: null, site: params, channels: 12 });
  const cols = add('cols', { op: 'gather', x: centred, incidence: 'cols', target: 'T' }, { set: null, site: params, channels: 12 });
  const pair = add('pair', { op: 'concat', xs: [rows, cols] }, { set: null, site: params, channels: 24 });
  const wout = add('wout', { op: 'param', name: 'wout', shape: [24, 1], init: { kind: 'zeros' } }, { set: null, site: fixed(24), channels: 1 });
  const y = add('y', { op: 'matmul', x: pair, w: wout, transposeW: false }, { set: null, site: params, channels: 1 });
  const mask = add('mask', { op: 'const', table: { kind: 'bias_mask', target: 'T' } }, { set: null, site: params, channels: 1 });
  const half = add('half', { op: 'scale', x: y, factor: 0.5 }, { set: null, site: params, channels: 1 });
  const out = add('out', { op: 'select', mask, a: y, b: half }, { set: null, site: params, channels: 1 });
  add('scattered', { op: 'scatter', x: out, incidence: 'rows', target: 'T' }, { set: null, site: neurons, channels: 1 });
  add('normed', { op: 'layernorm', x: zc, eps: 1e-5 }, { set: null, site: neurons, channels: 12 });
  add('folded', { op: 'fold', x: h, axis: 'set' }, { set: null, site: neurons, channels: b * 8 });
  add('gram', { op: 'contract', a: h, b: x0 }, { set: null, site: fixed(8), channels: 8 });
  add('att', { op: 'attention', q: h, k: h, v: h, over: 'set', heads: 2 }, { set, site: neurons, channels: 8 });
  add('bs', { op: 'batch_sum', x: h }, { set, site: neurons, channels: 8 });
  add('cs', { op: 'channel_sum', x: h }, { set, site: neurons, channels: 1 });
  add('padded', { op: 'pad', x: z, start: 2, size: 12 }, { set: null, site: neurons, channels: 12 });
  const graph: Graph = { name: 'test', nodes, inputs: new Map([['g', g]]), output: out, declaredBreaks: [] };
  return { graph, ids };
}

describe.skipIf(gpu === null)('GPU executor', () => {
  const rng = new Rng(11);
  const B = 3;
  const hostParams = new Map([
    ['w0', randomArray(rng, 16)],
    ['w1', randomArray(rng, 16)],
    ['bias', randomArray(rng, 8)],
    ['wout', randomArray(rng, 24)],
  ]);
  const input = randomArray(rng, B * b * N * 2);
  const { graph, ids } = buildGraph();
  const want = oracle(input, hostParams, B);

  it('plans with fusion and slot reuse', () => {
    const plan = planGraph(graph, inst, { batch: B, tables: layoutTables(inst), outputs: [ids['out']!] });
    // add → bias → relu is one fused kernel, and the scale is fused into the select.
    expect(plan.dispatches.some((d) => plan.kernels[d.kernel]!.source.includes('max(') && plan.kernels[d.kernel]!.name === 'fused')).toBe(true);
    expect(plan.values.has(ids['sum']!)).toBe(false);
    expect(plan.values.has(ids['half']!)).toBe(false);
    // Fewer value slots than values: dead intermediates hand their slot on.
    const slots = plan.buffers.filter((bf) => bf.role === 'value').length;
    expect(slots).toBeLessThan(plan.values.size - plan.inputs.size - plan.params.size);
  });

  it('matches the float64 evaluation on every requested value', async () => {
    const exec = new GpuExecutor(gpu!, graph, inst, { tables: layoutTables(inst) });
    exec.setParams(hostParams);
    const names = ['h', 'z', 'out', 'scattered', 'normed', 'folded', 'gram', 'att', 'bs', 'cs', 'padded'] as const;
    const { values } = await exec.run(new Map([['g', input]]), B, names.map((n) => ids[n]!));
    for (const name of names) expectClose(values.get(ids[name]!)!, want[name], 1e-4, 1e-5);
    // A second run with other inputs reuses the plan and its buffers.
    const input2 = randomArray(rng, B * b * N * 2);
    const again = await exec.run(new Map([['g', input2]]), B, [ids['out']!]);
    expectClose(again.values.get(ids['out']!)!, oracle(input2, hostParams, B).out, 1e-4, 1e-5);
    exec.release();
  });
});

/** Float64 evaluation of the test graph, formula by formula. */
function oracle(g: Float64Array, prm: Map<string, Float64Array>, B: number) {
  const w0 = prm.get('w0')!, w1 = prm.get('w1')!, bias = prm.get('bias')!, wout = prm.get('wout')!;
  const pe = constTable({ kind: 'posenc', target: 'T', dim: 4, hiddenIds: 'segment' }, T);
  const mask = constTable({ kind: 'bias_mask', target: 'T' }, T);
  const { rows, cols } = incidence(T);
  const gi = (n: number, s: number, t: number, c: number) => ((n * b + s) * N + t) * 2 + c;
  const hi = (n: number, s: number, t: number, c: number) => ((n * b + s) * N + t) * 8 + c;
  const x0 = new Float64Array(B * b * N * 8);
  const h = new Float64Array(B * b * N * 8);
  for (let n = 0; n < B; n++) for (let t = 0; t < N; t++) {
    const pooled = [0, 1].map((c) => { let a = 0; for (let s = 0; s < b; s++) a += g[gi(n, s, t, c)]!; return a / b; });
    for (let s = 0; s < b; s++) for (let o = 0; o < 8; o++) {
      let a0 = 0; let a1 = 0;
      for (let c = 0; c < 2; c++) { a0 += g[gi(n, s, t, c)]! * w0[c * 8 + o]!; a1 += pooled[c]! * w1[c * 8 + o]!; }
      x0[hi(n, s, t, o)] = a0;
      h[hi(n, s, t, o)] = Math.max(a0 + a1 + bias[o]!, 0);
    }
  }
  const z = new Float64Array(B * N * 8);
  const zc = new Float64Array(B * N * 12);
  for (let n = 0; n < B; n++) for (let t = 0; t < N; t++) {
    for (let c = 0; c < 8; c++) { let a = 0; for (let s = 0; s < b; s++) a += h[hi(n, s, t, c)]!; z[(n * N + t) * 8 + c] = a / b; zc[(n * N + t) * 12 + c] = a / b; }
    for (let c = 0; c < 4; c++) zc[(n * N + t) * 12 + 8 + c] = pe[t * 4 + c]!;
  }
  const centred = new Float64Array(B * N * 12);
  for (let n = 0; n < B; n++) for (const seg of T.segments) for (let c = 0; c < 12; c++) {
    let a = 0;
    for (let t = seg.offset; t < seg.offset + seg.size; t++) a += zc[(n * N + t) * 12 + c]!;
    for (let t = seg.offset; t < seg.offset + seg.size; t++) centred[(n * N + t) * 12 + c] = zc[(n * N + t) * 12 + c]! - a / seg.size;
  }
  const out = new Float64Array(B * P);
  const scattered = new Float64Array(B * N);
  for (let n = 0; n < B; n++) for (let p = 0; p < P; p++) {
    let y = 0;
    for (let c = 0; c < 12; c++) {
      y += centred[(n * N + rows[p]!) * 12 + c]! * wout[c]!;
      if (cols[p]! >= 0) y += centred[(n * N + cols[p]!) * 12 + c]! * wout[12 + c]!;
    }
    out[n * P + p] = mask[p] !== 0 ? y : 0.5 * y;
    scattered[n * N + rows[p]!]! += out[n * P + p]!;
  }
  const normed = new Float64Array(B * N * 12);
  for (let r = 0; r < B * N; r++) {
    let m = 0; for (let c = 0; c < 12; c++) m += zc[r * 12 + c]! / 12;
    let v = 0; for (let c = 0; c < 12; c++) v += (zc[r * 12 + c]! - m) ** 2 / 12;
    for (let c = 0; c < 12; c++) normed[r * 12 + c] = (zc[r * 12 + c]! - m) / Math.sqrt(v + 1e-5);
  }
  const folded = new Float64Array(B * N * b * 8);
  for (let n = 0; n < B; n++) for (let s = 0; s < b; s++) for (let t = 0; t < N; t++) for (let c = 0; c < 8; c++) folded[(n * N + t) * b * 8 + s * 8 + c] = h[hi(n, s, t, c)]!;
  const gram = new Float64Array(64);
  for (let r = 0; r < B * b * N; r++) for (let i = 0; i < 8; i++) for (let o = 0; o < 8; o++) gram[i * 8 + o]! += h[r * 8 + i]! * x0[r * 8 + o]!;
  const seqs: number[][] = [];
  for (let n = 0; n < B; n++) for (let t = 0; t < N; t++) seqs.push(Array.from({ length: b }, (_, s) => (n * b + s) * N + t));
  const att = attention64(h, h, h, new Float64Array(h.length), seqs, 8, 2).y;
  const bs = new Float64Array(b * N * 8);
  for (let n = 0; n < B; n++) for (let i = 0; i < b * N * 8; i++) bs[i]! += h[n * b * N * 8 + i]!;
  const cs = new Float64Array(B * b * N);
  for (let r = 0; r < B * b * N; r++) for (let c = 0; c < 8; c++) cs[r]! += h[r * 8 + c]!;
  const padded = new Float64Array(B * N * 12);
  for (let r = 0; r < B * N; r++) for (let c = 0; c < 8; c++) padded[r * 12 + 2 + c] = z[r * 8 + c]!;
  return { h, z, out, scattered, normed, folded, gram, att, bs, cs, padded };
}
