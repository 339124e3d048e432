// The planner's pre-pass: identical ops merge (CSE) and values no output needs are dropped (DCE).
import { describe, expect, it } from 'vitest';
import type { Graph, Node, Op, ValueId } from '../../compiler/ir/ops.js';
import type { TensorType } from '../../compiler/ir/types.js';
import { prune } from '../../compiler/wgsl/prune.js';

const span = { file: 't.gmn', start: { offset: 0, line: 1, col: 1 }, end: { offset: 0, line: 1, col: 1 } } as unknown as Node['span'];

describe('prune', () => {
  it('merges a repeated reduction, rewires its users, and drops a dead branch', () => {
    const nodes: Node[] = [];
    const add = (op: Op, type: TensorType): ValueId => nodes.push({ id: nodes.length, op, type, span, label: op.op }) - 1;
    const set = { name: 'b', size: 4 };
    const x = add({ op: 'input', name: 'x' }, { set, site: null, channels: 3 });
    const s1 = add({ op: 'reduce', fn: 'sum', x, axes: ['set'] }, { set: null, site: null, channels: 3 });
    const s2 = add({ op: 'reduce', fn: 'sum', x, axes: ['set'] }, { set: null, site: null, channels: 3 });
    const dead = add({ op: 'unary', fn: 'exp', x: s2 }, { set: null, site: null, channels: 3 });
    const out = add({ op: 'binary', fn: 'mul', a: s1, b: s2 }, { set: null, site: null, channels: 3 });
    const graph: Graph = { name: 'g', nodes, inputs: new Map([['x', x]]), output: out, declaredBreaks: [] };
    const { nodes: kept, alias } = prune(graph, [out]);
    expect(kept.map((n) => n.id)).toEqual([x, s1, out]);
    expect(alias.get(s2)).toBe(s1);
    expect(kept.find((n) => n.id === out)!.op).toEqual({ op: 'binary', fn: 'mul', a: s1, b: s1 });
    expect(kept.some((n) => n.id === dead)).toBe(false);
    // Asking for the dead value keeps it, computed from the surviving reduction.
    expect(prune(graph, [dead]).nodes.find((n) => n.id === dead)!.op).toEqual({ op: 'unary', fn: 'exp', x: s1 });
  });

  it('reads relu_grad from the ReLU output, so the pre-activation has one reader', () => {
    const nodes: Node[] = [];
    const add = (op: Op): ValueId => nodes.push({ id: nodes.length, op, type: { set: null, site: null, channels: 2 }, span, label: op.op }) - 1;
    const x = add({ op: 'input', name: 'x' });
    const pre = add({ op: 'unary', fn: 'sin', x });
    const post = add({ op: 'unary', fn: 'relu', x: pre });
    const grad = add({ op: 'unary', fn: 'relu_grad', x: pre });
    const out = add({ op: 'binary', fn: 'mul', a: post, b: grad });
    const graph: Graph = { name: 'g', nodes, inputs: new Map([['x', x]]), output: out, declaredBreaks: [] };
    const kept = prune(graph, [out]).nodes;
    expect(kept.find((n) => n.id === grad)!.op).toEqual({ op: 'unary', fn: 'relu_grad', x: post });
    expect(kept.filter((n) => JSON.stringify(n.op).includes(`"x":${pre}`)).map((n) => n.id)).toEqual([post]);
  });

  it('a mean over set and site of a value already averaged over the set averages that result', () => {
    const nodes: Node[] = [];
    const add = (op: Op, type: TensorType): ValueId => nodes.push({ id: nodes.length, op, type, span, label: op.op }) - 1;
    const set = { name: 'b', size: 4 };
    const site = { kind: 'fixed' as const, size: 5, label: 'p' };
    const x = add({ op: 'input', name: 'x' }, { set, site, channels: 2 });
    const overSet = add({ op: 'reduce', fn: 'mean', x, axes: ['set'] }, { set: null, site, channels: 2 });
    const both = add({ op: 'reduce', fn: 'mean', x, axes: ['set', 'site'] }, { set: null, site: null, channels: 2 });
    const sumBoth = add({ op: 'reduce', fn: 'sum', x, axes: ['site', 'set'] }, { set: null, site: null, channels: 2 });
    const out = add({ op: 'binary', fn: 'add', a: both, b: sumBoth }, { set: null, site: null, channels: 2 });
    const graph: Graph = { name: 'g', nodes, inputs: new Map([['x', x]]), output: out, declaredBreaks: [] };
    const kept = prune(graph, [out, overSet]).nodes;
    expect(kept.find((n) => n.id === both)!.op).toEqual({ op: 'reduce', fn: 'mean', x: overSet, axes: ['site'] });
    // No sum over one axis exists, so the sum stays a full reduction.
    expect(kept.find((n) => n.id === sumBoth)!.op).toEqual({ op: 'reduce', fn: 'sum', x, axes: ['site', 'set'] });
  });
});
