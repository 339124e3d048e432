// Each rule of the optimisation stage on a small graph built for it: the golden before/after dump
// (golden/<rule>.ir) shows what it does, and the float64 reference executor shows that it keeps the
// function. The engine's own guarantees (CSE, DCE, where values moved) come first.
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../compiler/ir/graph-builder.js';
import type { Graph, SiteTerm } from '../../compiler/ir/ops.js';
import { andThen, eliminateDeadCode, rewrite, type Rewritten, type Rule } from '../../compiler/optimize/rewrite.js';
import { linearOfConcat, linearOfRowCopy } from '../../compiler/optimize/rules/linear.js';
import { batchSumLast, reduceOfBroadcast, reduceOfConcat, reductionOfPartial, setReductionFirst } from '../../compiler/optimize/rules/reduce.js';
import { pointwiseBeforeBroadcast, pointwiseBeforeGather } from '../../compiler/optimize/rules/pointwise.js';
import { reluGradOfRelu } from '../../compiler/optimize/rules/relu.js';
import { stackedSiteTerms, stackingSiteTerms } from '../../compiler/optimize/rules/site-terms.js';
import { smallTermsFirst } from '../../compiler/optimize/rules/sums.js';
import { gradsType, inst, neuronsType, SET, weightsType } from '../autodiff/fixtures.js';
import { expectGolden, expectSameFunction, expectSameGradients } from './check.js';

const NEURONS = { kind: 'neurons', target: 'T' } as const;

function pass(graph: Graph, rules: Rule[], keep: number[] = []): Rewritten {
  const rewritten = rewrite(graph, rules, inst);
  return andThen(rewritten, (g) => eliminateDeadCode(g, keep.map((id) => rewritten.moved.get(id)!)));
}

const ops = (g: Graph): string[] => g.nodes.map((n) => n.op.op);

describe('the rewrite engine', () => {
  it('merges identical ops (CSE), drops values no output reads (DCE), and says where each value went', () => {
    const g = new GraphBuilder('cse', inst);
    const x = g.input('x', gradsType(3));
    const s1 = g.reduce('sum', x, ['set']);
    const s2 = g.reduce('sum', x, ['set']);
    const dead = g.unary('exp', s2);
    const out = g.binary('mul', s1, s2);
    const graph = g.finish(out);
    const { graph: after, moved } = pass(graph, []);
    expectGolden('cse-dce', graph, after, inst);
    expect(ops(after)).toEqual(['input', 'reduce', 'binary']);
    expect(moved.get(s2)).toBe(moved.get(s1));
    expect(after.nodes[moved.get(out)!]!.op).toEqual({ op: 'binary', fn: 'mul', a: moved.get(s1), b: moved.get(s1) });
    expect(moved.has(dead)).toBe(false);
    // Asking for the dead value keeps it, computed from the surviving reduction.
    const kept = pass(graph, [], [dead]);
    expect(kept.graph.nodes[kept.moved.get(dead)!]!.op).toEqual({ op: 'unary', fn: 'exp', x: kept.moved.get(s1) });
  });

  it('keeps every net input, even one the output no longer reads', () => {
    const g = new GraphBuilder('inputs', inst);
    g.input('unused', neuronsType(2));
    const x = g.input('x', neuronsType(2));
    const { graph } = pass(g.finish(g.unary('neg', x)), []);
    expect([...graph.inputs.keys()]).toEqual(['unused', 'x']);
  });
});

describe('rules (golden before/after, same function in float64)', () => {
  it('linear-of-concat and linear-of-row-copy: the first layer never builds concat(grads, posenc)', () => {
    const g = new GraphBuilder('first_layer', inst);
    const grads = g.input('grads', gradsType(2));
    const pe = g.broadcast(g.const({ kind: 'posenc', target: 'T', dim: 4, hiddenIds: 'segment' }), { set: SET, site: NEURONS });
    const out = g.unary('relu', g.linear(g.concat([grads, pe]), 5, 'layer'));
    const before = g.finish(out);
    const { graph: after } = pass(before, [linearOfConcat, linearOfRowCopy]);
    expect(ops(after)).not.toContain('concat');
    // The positional encoding's share is computed on the neurons alone, then repeated over the set.
    const peMatmul = after.nodes.find((n) => n.op.op === 'matmul' && after.nodes[n.op.x]!.op.op === 'const')!;
    expect(peMatmul.type.set).toBeNull();
    expectGolden('linear-of-concat', before, after, inst);
    expectSameFunction(before, after, inst);
  });

  it('reduce-of-concat and reduce-of-broadcast: a pooled term of the concatenation pools its parts', () => {
    const g = new GraphBuilder('pooled_terms', inst);
    const grads = g.input('grads', gradsType(2));
    const pe = g.broadcast(g.const({ kind: 'posenc', target: 'T', dim: 4, hiddenIds: 'segment' }), { set: SET, site: NEURONS });
    const x = g.concat([grads, pe]);
    // A mean over the site (posenc is reduced once, not per set element), a sum over the set (the
    // repeated posenc becomes b · posenc) and a mean over both.
    const overSite = g.broadcast(g.reduce('mean', x, ['site']), { set: SET, site: NEURONS });
    const overSet = g.broadcast(g.reduce('sum', x, ['set']), { set: SET, site: NEURONS });
    const overBoth = g.broadcast(g.reduce('mean', x, ['set', 'site']), { set: SET, site: NEURONS });
    const before = g.finish(g.binary('add', g.binary('add', overSite, overSet), overBoth));
    const { graph: after } = pass(before, [reduceOfConcat, reduceOfBroadcast]);
    expect(after.nodes.filter((n) => n.op.op === 'reduce').every((n) => after.nodes[(n.op as { x: number }).x]!.op.op !== 'concat')).toBe(true);
    expect(after.nodes.some((n) => n.op.op === 'scale' && n.op.factor === SET.size)).toBe(true);
    expectGolden('reduce-of-concat', before, after, inst);
    expectSameFunction(before, after, inst);
  });

  it('linear-of-row-copy: the pair readout multiplies neurons, then gathers to parameters', () => {
    const g = new GraphBuilder('pair_readout', inst);
    const z = g.input('z', neuronsType(4));
    const before = g.finish(g.unary('relu', g.binary('add', g.linear(g.gather(z, 'rows'), 3, 'rows'), g.linear(g.gather(z, 'cols'), 3, 'cols', false))));
    const { graph: after } = pass(before, [linearOfRowCopy]);
    const matmuls = after.nodes.filter((n) => n.op.op === 'matmul');
    expect(matmuls.map((n) => n.type.site)).toEqual([NEURONS, NEURONS]);
    expectGolden('linear-of-row-copy', before, after, inst);
    expectSameFunction(before, after, inst);
  });

  it('set-reduction-first: a sum over the set moves inside select, bias and matmul', () => {
    const g = new GraphBuilder('readout_sum', inst);
    const w = g.input('w', { set: SET, site: { kind: 'params', target: 'T' }, channels: 3 });
    const mask = g.const({ kind: 'bias_mask', target: 'T' });
    const chosen = g.select(mask, g.linear(w, 2, 'bias_out'), g.linear(w, 2, 'weight_out', false));
    const before = g.finish(g.reduce('sum', chosen, ['set']));
    const { graph: after } = pass(before, [setReductionFirst]);
    // Every channel map now runs on one row per set.
    expect(after.nodes.filter((n) => n.op.op === 'matmul').every((n) => n.type.set === null)).toBe(true);
    expectGolden('set-reduction-first', before, after, inst);
    expectSameFunction(before, after, inst);
  });

  it('set-reduction-first leaves a channel map that another op also reads', () => {
    const g = new GraphBuilder('shared', inst);
    const w = g.input('w', gradsType(3));
    const y = g.linear(w, 2, 'shared', false);
    const before = g.finish(g.binary('add', g.broadcast(g.reduce('mean', y, ['set']), { set: SET, site: NEURONS }), y));
    const { graph: after } = pass(before, [setReductionFirst]);
    expect(ops(after)).toEqual(ops(before));
  });

  it('small-terms-first: a set layer adds its pooled terms and bias among themselves, then repeats two sums', () => {
    const g = new GraphBuilder('set_layer', inst);
    const x = g.input('x', gradsType(3));
    const repeat = (v: number) => g.broadcast(v, { set: SET, site: NEURONS });
    const t0 = g.linear(x, 4, 't0', false);
    const t1 = repeat(g.linear(g.reduce('mean', x, ['site']), 4, 't1', false));
    const t2 = repeat(g.linear(g.reduce('mean', x, ['set']), 4, 't2', false));
    const t3 = repeat(g.linear(g.reduce('mean', x, ['set', 'site']), 4, 't3', false));
    const sum = g.binary('add', g.binary('add', g.binary('add', t0, t1), t2), t3);
    const before = g.finish(g.unary('relu', g.bias(sum, g.param('b', [4], { kind: 'zeros' }))));
    const { graph: after } = pass(before, [smallTermsFirst]);
    // What reaches the full-size sum: the channel map of x and two repeated small sums.
    const relu = after.nodes[after.output]!;
    const top = after.nodes[(relu.op as { x: number }).x]!;
    const terms = (id: number): string[] => {
      const n = after.nodes[id]!;
      return n.op.op === 'binary' && n.op.fn === 'add' && n.type.set !== null && n.type.site !== null ? [...terms(n.op.a), ...terms(n.op.b)] : [n.op.op];
    };
    expect(terms(top.id).sort()).toEqual(['broadcast', 'broadcast', 'matmul']);
    expectGolden('small-terms-first', before, after, inst);
    expectSameFunction(before, after, inst);
  });

  it('pointwise-before-broadcast: a scaled or mapped repeat is the repeat of the scaled or mapped rows', () => {
    const g = new GraphBuilder('scaled_cotangent', inst);
    const dy = g.input('dy', neuronsType(3));
    const x = g.input('x', gradsType(3));
    const before = g.finish(g.binary('add', x, g.unary('tanh', g.scale(g.broadcast(dy, { set: SET, site: NEURONS }), 0.25))));
    const { graph: after } = pass(before, [pointwiseBeforeBroadcast]);
    // The scale and the tanh run on the [N, 3] rows; one broadcast is left, read by the add.
    expect(after.nodes.filter((n) => n.op.op === 'unary' || n.op.op === 'scale').every((n) => n.type.set === null)).toBe(true);
    expect(after.nodes.filter((n) => n.op.op === 'broadcast')).toHaveLength(1);
    expectGolden('pointwise-before-broadcast', before, after, inst);
    expectSameFunction(before, after, inst);
  });

  it('pointwise-before-gather: a mapped, scaled or biased copy of neuron rows is the copy of the mapped rows; over cols only f(0) = 0 moves', () => {
    const g = new GraphBuilder('neuron_rows', inst);
    const z = g.bias(g.input('z', neuronsType(3)), g.param('shift', [3], { kind: 'zeros' }));
    const b = g.param('b', [3], { kind: 'zeros' });
    // rows: every parameter has a neuron, so the bias, the scale and the tanh all run on the neurons.
    const rows = g.unary('tanh', g.scale(g.bias(g.gather(z, 'rows'), b), 0.5));
    // cols reads 0 at a bias: relu(0) = 0 moves, exp(0) = 1 and a bias would not be 0 there, so they stay.
    const cols = g.binary('add', g.unary('relu', g.gather(z, 'cols')), g.binary('add', g.unary('exp', g.gather(z, 'cols')), g.bias(g.gather(z, 'cols'), b)));
    const before = g.finish(g.binary('mul', rows, cols));
    const { graph: after } = pass(before, [pointwiseBeforeGather]);
    const onParams = (op: string) => after.nodes.filter((n) => n.op.op === op && n.type.site?.kind === 'params').length;
    const onNeurons = (op: string) => after.nodes.filter((n) => n.op.op === op && n.type.site?.kind === 'neurons').length;
    expect([onNeurons('unary'), onNeurons('scale'), onNeurons('bias')]).toEqual([2, 1, 2]);
    expect([onParams('unary'), onParams('bias')]).toEqual([1, 1]);
    expectGolden('pointwise-before-gather', before, after, inst);
    expectSameFunction(before, after, inst);
    expectSameGradients(before, after, inst);
  });

  it('stacked-site-terms: an np layer\'s site terms of one input are one site_terms, its product kept where it is small, contracted inside the key sums where not', () => {
    const g = new GraphBuilder('np_layer', inst);
    const x = g.input('x', weightsType(3));
    const term = (out: number, from: number, classes: number[]): SiteTerm => ({ target: 'T', out: { space: 'params', index: out }, in: { space: 'params', index: from }, labels: classes.map((c) => ({ class: c })) });
    // Three keyed terms (W1 ← W1, W1 ← b1, W2 ← W1: the matmuls first, as linear-of-site-term
    // leaves them) and a pooled one, which stays.
    const keyed = [term(0, 0, [0, 1, 0, 1]), term(0, 1, [0, 1, 0]), term(2, 0, [0, 1, 1, 2])].map((t, k) =>
      g.node({ op: 'site_term', x: g.matmul(x, g.param(`t${k}`, [3, 2], { kind: 'uniform_fan_in', fanIn: 12 })), term: t }, weightsType(2), `t${k}`));
    const pooled = g.broadcast(g.linear(g.reduce('mean', x, ['site']), 2, 'pooled', false), { set: null, site: { kind: 'params', target: 'T' } });
    const before = g.finish(g.binary('add', g.binary('add', g.binary('add', keyed[0]!, keyed[1]!), pooled), keyed[2]!));
    const stacks = (graph: typeof before) => graph.nodes.flatMap(({ op }) => {
      if (op.op === 'site_term') return [null];
      return op.op === 'site_terms' ? [{ terms: op.terms.length, x: graph.nodes.find((m) => m.id === op.x)!.op.op, w: op.w !== null }] : [];
    });
    // 30 positions × 6 channels fit: one matmul to the stacked weights, the terms on its channel blocks
    const { graph: product } = pass(before, [stackedSiteTerms]);
    expect(stacks(product)).toEqual([{ terms: 3, x: 'matmul', w: false }]);
    expectGolden('stacked-site-terms', before, product, inst);
    expectSameFunction(before, product, inst);
    // with room for two terms' products (30 × 4), the stacked weights are contracted inside the key sums
    const { graph: contracted } = pass(before, [stackingSiteTerms(30 * 4)]);
    expect(stacks(contracted)).toEqual([{ terms: 3, x: 'input', w: true }]);
    expect(ops(contracted).filter((op) => op === 'matmul')).toHaveLength(1);
    expectGolden('stacked-site-terms-contracted', before, contracted, inst);
    expectSameFunction(before, contracted, inst);
  });

  it('relu-grad-of-relu: the mask reads the ReLU output, so the pre-activation has one reader', () => {
    const g = new GraphBuilder('relu_mask', inst);
    const x = g.input('x', neuronsType(2));
    const pre = g.unary('sin', x);
    const before = g.finish(g.binary('mul', g.unary('relu', pre), g.unary('relu_grad', pre)));
    const { graph: after } = pass(before, [reluGradOfRelu]);
    const readersOfPre = after.nodes.filter((n) => n.op.op === 'unary' && n.op.x === after.nodes.findIndex((m) => m.op.op === 'unary' && m.op.fn === 'sin'));
    expect(readersOfPre.map((n) => n.op.op === 'unary' && n.op.fn)).toEqual(['relu']);
    expectGolden('relu-grad-of-relu', before, after, inst);
    expectSameFunction(before, after, inst);
  });

  it('batch-sum-last: a set reduction of a batch sum reduces first, and merges with the reduction already there', () => {
    const g = new GraphBuilder('batch_sum', inst);
    const dy = g.input('dy', gradsType(3));
    const overSet = g.reduce('sum', dy, ['set']);
    const before = g.finish(g.binary('add', g.batchSum(overSet), g.reduce('sum', g.batchSum(dy), ['set'])));
    const { graph: after } = pass(before, [batchSumLast]);
    // One reduction reads dy; the batch sums read the [B, N, c] result.
    expect(after.nodes.filter((n) => n.op.op === 'reduce').length).toBe(1);
    expect(after.nodes.filter((n) => n.op.op === 'batch_sum').every((n) => n.op.op === 'batch_sum' && after.nodes[n.op.x]!.op.op === 'reduce')).toBe(true);
    expectGolden('batch-sum-last', before, after, inst);
    expectSameFunction(before, after, inst);
  });

  it('reduction-of-partial: a reduction over set and site goes through the partial one, shared with its other readers', () => {
    const g = new GraphBuilder('partial', inst);
    const x = g.input('x', gradsType(2));
    const overSite = g.reduce('mean', x, ['site']);
    const both = g.reduce('mean', x, ['set', 'site']);
    // No sum over one axis exists yet: the sum over set and site creates the one over the set,
    // which the later sum over the set alone reuses.
    const sumBoth = g.reduce('sum', x, ['site', 'set']);
    const sumSet = g.reduce('sum', x, ['set']);
    const before = g.finish(g.binary('add', g.binary('add', both, sumBoth), g.binary('add', g.reduce('mean', overSite, ['set']), g.reduce('sum', sumSet, ['site']))));
    const { graph: after } = pass(before, [reductionOfPartial]);
    const reads = (n: Graph['nodes'][number]): number => (n.op.op === 'reduce' ? n.op.x : -1);
    // The full tensor is read by exactly two reductions: the mean over the site, the sum over the set.
    expect(after.nodes.filter((n) => reads(n) === 0).map((n) => n.op.op === 'reduce' && `${n.op.fn} ${n.op.axes.join()}`)).toEqual(['mean site', 'sum set']);
    expectGolden('reduction-of-partial', before, after, inst);
    expectSameFunction(before, after, inst);
  });
});
