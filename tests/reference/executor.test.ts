import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../compiler/ir/graph-builder.js';
import type { Instantiation, TensorType } from '../../compiler/ir/types.js';
import { mlpLayout } from '../../compiler/spaces/target.js';
import { executeGraph, tensor, type Tensor } from '../../runtime/reference/index.js';
import { Rng } from '../../runtime/util/rng.js';
import { attention64, layernorm64, matmul64 } from '../wgsl/oracle.js';

const layout = mlpLayout('T', { kind: 'mlp', widths: [2, 3, 1], activation: { kind: 'relu' }, init: 'kaiming' });
const inst: Instantiation = { targets: new Map([['T', layout]]) };
const rng = new Rng(7);
const random = (shape: number[]): Tensor => tensor(shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()));
const grads = (c: number): TensorType => ({ set: { name: 'b', size: 4 }, site: { kind: 'neurons', target: 'T' }, channels: c });

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('reference executor', () => {
  it('matmul (plain and transposed) and contract match explicit matrix products', () => {
    const g = new GraphBuilder('m', inst);
    const x = g.input('x', grads(3));
    const w = g.param('w', [3, 5], { kind: 'zeros' });
    const y = g.matmul(x, w);
    const yt = g.matmul(y, w, true);
    const c = g.contract(x, y);
    const graph = g.finish(y, { outputs: new Map([['yt', yt], ['c', c]]) });
    const xs = random([2, 4, 6, 3]);
    const ws = random([3, 5]).data;
    const run = executeGraph(graph, inst, new Map([['x', xs]]), new Map([['w', ws]]));
    const rows = 2 * 4 * 6;
    expect(run.output.shape).toEqual([2, 4, 6, 5]);
    expect(maxDiff(run.output.data, matmul64(xs.data, ws, rows, 3, 5))).toBeLessThan(1e-12);
    expect(maxDiff(run.outputs.get('yt')!.data, matmul64(run.output.data, ws, rows, 5, 3, false, true))).toBeLessThan(1e-12);
    const cRun = run.outputs.get('c')!;
    expect(cRun.shape).toEqual([3, 5]); // no batch axis: contract sums it
    expect(maxDiff(cRun.data, matmul64(xs.data, run.output.data, 3, rows, 5, true))).toBeLessThan(1e-12);
  });

  it("keep: 'outputs' drops each value after its last reader and returns the same outputs", () => {
    const g = new GraphBuilder('k', inst);
    const x = g.input('x', grads(3));
    const w = g.param('w', [3, 3], { kind: 'zeros' });
    const h = g.matmul(g.matmul(x, w), w);
    const graph = g.finish(g.matmul(h, w), { outputs: new Map([['h', h]]) });
    const inputs = new Map([['x', random([2, 4, 6, 3])]]);
    const params = new Map([['w', random([3, 3]).data]]);
    const all = executeGraph(graph, inst, inputs, params);
    const lean = executeGraph(graph, inst, inputs, params, { keep: 'outputs' });
    expect(lean.output.data).toEqual(all.output.data);
    expect(lean.outputs.get('h')!.data).toEqual(all.outputs.get('h')!.data);
    expect([...lean.values.keys()].sort()).toEqual([graph.output, h].sort());
    expect(all.values.size).toBe(graph.nodes.length);
  });

  it('layernorm and attention (set and site axes) match the independent float64 oracles', () => {
    const g = new GraphBuilder('a', inst);
    const q = g.input('q', grads(6));
    const k = g.input('k', grads(6));
    const v = g.input('v', grads(6));
    const overSet = g.attention(q, k, v, 'set', 2);
    const overSite = g.attention(q, k, v, 'site', 3);
    const ln = g.layernorm(q, 1e-5);
    const graph = g.finish(overSet, { outputs: new Map([['site', overSite], ['ln', ln]]) });
    const [qs, ks, vs] = [random([2, 4, 6, 6]), random([2, 4, 6, 6]), random([2, 4, 6, 6])];
    const run = executeGraph(graph, inst, new Map([['q', qs], ['k', ks], ['v', vs]]), new Map());
    const dy = new Float64Array(qs.data.length);
    const setSeqs: number[][] = [];
    const siteSeqs: number[][] = [];
    for (let b = 0; b < 2; b++) {
      for (let t = 0; t < 6; t++) setSeqs.push([0, 1, 2, 3].map((s) => (b * 4 + s) * 6 + t));
      for (let s = 0; s < 4; s++) siteSeqs.push([0, 1, 2, 3, 4, 5].map((t) => (b * 4 + s) * 6 + t));
    }
    expect(maxDiff(run.output.data, attention64(qs.data, ks.data, vs.data, dy, setSeqs, 6, 2).y)).toBeLessThan(1e-12);
    expect(maxDiff(run.outputs.get('site')!.data, attention64(qs.data, ks.data, vs.data, dy, siteSeqs, 6, 3).y)).toBeLessThan(1e-12);
    expect(maxDiff(run.outputs.get('ln')!.data, layernorm64(qs.data, 2 * 4 * 6, 6, 1e-5).y)).toBeLessThan(1e-12);
  });

  it('gather and scatter are adjoint; gather reads the incident neuron (0 for a bias column)', () => {
    const g = new GraphBuilder('i', inst);
    const x = g.input('x', grads(2));
    const cols = g.gather(x, 'cols');
    const p = g.input('p', { ...grads(2), site: { kind: 'params', target: 'T' } });
    const back = g.scatter(p, 'cols');
    const graph = g.finish(cols, { outputs: new Map([['back', back]]) });
    const xs = random([1, 4, 6, 2]);
    const ps = random([1, 4, 13, 2]);
    const run = executeGraph(graph, inst, new Map([['x', xs], ['p', ps]]), new Map());
    // parameter 10 is W2[0, 1], reading neuron 3; parameter 6 is b1[0], reading nothing
    expect(run.output.data[(0 * 13 + 10) * 2 + 1]).toBe(xs.data[(0 * 6 + 3) * 2 + 1]);
    expect(run.output.data[(2 * 13 + 6) * 2]).toBe(0);
    const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, v, i) => s + v * b[i]!, 0);
    expect(dot(run.output.data, ps.data)).toBeCloseTo(dot(xs.data, run.outputs.get('back')!.data), 12);
  });

  it('broadcasting, fold/unfold layout, reductions, select, tanh-GELU', () => {
    const g = new GraphBuilder('s', inst);
    const x = g.input('x', grads(2));
    const gate = g.input('gate', { set: null, site: null, channels: 1 });
    const prod = g.binary('mul', x, gate);
    const folded = g.fold(x, 'set');
    const back = g.unfold(folded, { set: { name: 'b', size: 4 } });
    const mean = g.reduce('mean', x, ['set', 'site']);
    const mask = g.const({ kind: 'bias_mask', target: 'T' });
    const sel = g.select(mask, g.gather(x, 'rows'), g.scale(g.gather(x, 'rows'), -1));
    const gelu = g.unary('gelu', x);
    const graph = g.finish(prod, { outputs: new Map([['folded', folded], ['back', back], ['mean', mean], ['sel', sel], ['gelu', gelu]]) });
    const xs = random([3, 4, 6, 2]);
    const gs = random([3, 1]);
    const run = executeGraph(graph, inst, new Map([['x', xs], ['gate', gs]]), new Map());
    const at = (b: number, s: number, t: number, c: number) => xs.data[((b * 4 + s) * 6 + t) * 2 + c]!;
    expect(run.output.data[((2 * 4 + 1) * 6 + 5) * 2 + 1]).toBe(at(2, 1, 5, 1) * gs.data[2]!);
    expect(run.outputs.get('folded')!.shape).toEqual([3, 6, 8]);
    expect(run.outputs.get('folded')!.data[(1 * 6 + 4) * 8 + 3 * 2 + 1]).toBe(at(1, 3, 4, 1));
    expect([...run.outputs.get('back')!.data]).toEqual([...xs.data]);
    let m = 0;
    for (let s = 0; s < 4; s++) for (let t = 0; t < 6; t++) m += at(1, s, t, 0) / 24;
    expect(run.outputs.get('mean')!.data[1 * 2]).toBeCloseTo(m, 14);
    // parameter 7 is b1[1] (a bias: selected as is), parameter 3 is W1[1, 1] (negated); both write to neuron 3
    expect(run.outputs.get('sel')!.data[((0 * 4 + 2) * 13 + 7) * 2]).toBe(at(0, 2, 3, 0));
    expect(run.outputs.get('sel')!.data[((0 * 4 + 2) * 13 + 3) * 2]).toBe(-at(0, 2, 3, 0));
    const x0 = at(0, 0, 0, 0);
    expect(run.outputs.get('gelu')!.data[0]).toBeCloseTo(0.5 * x0 * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x0 + 0.044715 * x0 ** 3))), 15);
  });
});
