// The GPU executor runs a hand-built IR graph (a Hartford set layer, pooling, positional encoding,
// segment means, gather/concat/select/scatter, layer norm, fold, contract, attention, batch_sum,
// channel_sum, pad) and agrees with the float64 reference executor on every value it reads back.
import { afterAll, describe, expect, it } from 'vitest';
import type { Graph, Node, Op, ValueId } from '../../compiler/ir/ops.js';
import type { Instantiation, TensorType } from '../../compiler/ir/types.js';
import { mlpLayout } from '../../compiler/spaces/target.js';
import { planGraph } from '../../compiler/wgsl/plan.js';
import { GpuExecutor, layoutTables } from '../../runtime/gpu/index.js';
import { Rng } from '../../runtime/util/rng.js';
import { executeGraph, tensor } from '../../runtime/reference/index.js';
import { randomArray } from '../wgsl/oracle.js';
import { expectClose, openTestGpu } from './gpu-fixture.js';

const gpu = await openTestGpu();
afterAll(() => gpu?.destroy());

const T = mlpLayout('T', { kind: 'mlp', widths: [1, 3, 2], activation: { kind: 'relu' }, init: 'gaussian' });
const inst: Instantiation = { targets: new Map([['T', T]]) };
const N = T.neuronCount; // 6
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
  const oracle = (g: Float64Array) => executeGraph(graph, inst, new Map([['g', tensor([B, b, N, 2], g)]]), hostParams).values;
  const want = oracle(input);

  it('plans with fusion and slot reuse', () => {
    const plan = planGraph(graph, inst, { batch: B, tables: layoutTables(inst), outputs: [ids['out']!] });
    // matmul → add → bias → relu is one kernel (the matmul's epilogue): neither the product nor
    // the sum is ever stored. The scale is fused into the select.
    // Dispatches name values of the optimised graph; the caller's ids map to them.
    const kernelOf = (id: ValueId) => plan.kernels[plan.dispatches.find((d) => d.node === plan.optimizedIds.get(id))!.kernel]!;
    expect(kernelOf(ids['h']!).name).toMatch(/^matmul_fast.*_fused$/);
    expect(kernelOf(ids['h']!).source).toContain('max(');
    for (const fused of ['x0', 'sum', 'biased', 'half']) expect(plan.values.has(ids[fused]!)).toBe(false);
    expect(kernelOf(ids['out']!).name).toBe('fused');
    // The mean over the set of 2 channels on 6 neurons reads vec4 runs of site·channels (12 floats).
    expect(kernelOf(ids['pooled']!).name).toBe('reduce_middle');
    // With the Gram matrix requested too, the product has two readers and is stored again.
    const both = planGraph(graph, inst, { batch: B, tables: layoutTables(inst), outputs: [ids['out']!, ids['gram']!] });
    expect(both.values.has(ids['x0']!)).toBe(true);
    // Fewer value slots than values: dead intermediates hand their slot on.
    const slots = plan.buffers.filter((bf) => bf.role === 'value').length;
    expect(slots).toBeLessThan(plan.values.size - plan.inputs.size - plan.params.size);
  });

  it('matches the float64 evaluation on every requested value', async () => {
    const exec = new GpuExecutor(gpu!, graph, inst, { tables: layoutTables(inst) });
    exec.setParams(hostParams);
    const names = ['pooled', 'h', 'z', 'out', 'scattered', 'normed', 'folded', 'gram', 'att', 'bs', 'cs', 'padded'] as const;
    const { values } = await exec.run(new Map([['g', input]]), B, names.map((n) => ids[n]!));
    for (const name of names) expectClose(values.get(ids[name]!)!, want.get(ids[name]!)!.data, 1e-4, 1e-5);
    // A second run with other inputs reuses the plan and its buffers.
    const input2 = randomArray(rng, B * b * N * 2);
    const again = await exec.run(new Map([['g', input2]]), B, [ids['out']!]);
    expectClose(again.values.get(ids['out']!)!, oracle(input2).get(ids['out']!)!.data, 1e-4, 1e-5);
    exec.release();
  });
});
