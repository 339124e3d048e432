// Golden IR dumps: the lowering of a std net, of a fine-group eqlinear and of an np one with a
// subset of its terms, byte for byte.
// To accept an intended change, regenerate with GMN_UPDATE_GOLDEN=1 and review the diff.
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dumpGraph } from '../../compiler/ir/dump.js';
import { matchGolden } from '../fixtures/golden.js';
import { lowerSource, probe } from './lower-helpers.js';

const GOLDEN = resolve(import.meta.dirname, 'golden');

function golden(name: string, text: string): void {
  matchGolden(resolve(GOLDEN, `${name}.ir`), text);
}

describe('IR dump goldens', () => {
  it('gradmetanet (k1 = 1, k2 = 1) on mlp [1, 2, 1]', () => {
    const r = lowerSource('use std/gradmetanet\n', 'gradmetanet', { target: probe([1, 2, 1]), b: 3, args: { width: 4, k1: 1, k2: 1, pe: 2 } });
    if (!r.ok) throw new Error(r.diagnostics[0]!.message);
    golden('gradmetanet', dumpGraph(r.value.graph, r.value.instantiation));
  });
  it('a fine-group neuron layer on mlp [1, 2, 1]', () => {
    const src = 'net f(z: neurons(T)[2]) -> neurons(T)[1] {\n  return eqlinear(z, 1, group: fine, bias: false)\n}\n';
    const r = lowerSource(src, 'f', { target: probe([1, 2, 1]) });
    if (!r.ok) throw new Error(r.diagnostics[0]!.message);
    // mlp [1,2,1]: fixed↔fixed 2·2 = 4, fixed↔hidden 2·2 = 4, hidden→hidden 2: 10 terms
    expect(r.value.eqlinears[0]!.terms).toHaveLength(10);
    golden('fine-neuron-layer', dumpGraph(r.value.graph, r.value.instantiation));
  });
});

describe('IR dump goldens: eqlinear terms', () => {
  it('an np weight-space layer with terms: within_block on mlp [1, 2, 1]', () => {
    const src = 'net f(w: weights(T)[2]) -> weights(T)[1] {\n  return eqlinear(w, 1, group: np, bias: false, terms: within_block)\n}\n';
    const r = lowerSource(src, 'f', { target: probe([1, 2, 1]) });
    if (!r.ok) throw new Error(r.diagnostics[0]!.message);
    // each block with itself: W_1 [2×1] and b_1 (hidden index equal or not: 2 each), W_2 [1×2] 2, b_2 1
    expect(r.value.eqlinears[0]!.terms).toHaveLength(7);
    golden('np-within-block', dumpGraph(r.value.graph, r.value.instantiation));
  });
});

describe('lowering diagnostics', () => {
  it('binds b and T from the instantiation and c by unification inside blocks', () => {
    const r = lowerSource('use std/layers\nnet f(g: grads(T, b)[2]) -> grads(T, b)[5] {\n  return set_layer(g, 5)\n}\n', 'f', { b: 7 });
    expect(r.ok && r.value.graph.nodes[r.value.graph.output]!.type).toEqual({ set: { name: 'b', size: 7 }, site: { kind: 'neurons', target: 'T' }, channels: 5 });
  });
  it('names the parameter, the expected and the actual space on a block argument mismatch', () => {
    const r = lowerSource('use std/layers\nnet f(t: weights(T)[2]) -> neurons(T)[5] {\n  return neuron_layer(t, 5)\n}\n', 'f');
    expect(!r.ok && r.diagnostics[0]!.message).toBe('argument `z` of neuron_layer expects `neurons(T)[c]`, got weights(T)[2]: it is a different kind of space');
    expect(!r.ok && r.diagnostics[0]!.span.start).toMatchObject({ line: 3, column: 23 });
  });
  it('unrolls repeat in the enclosing scope', () => {
    const r = lowerSource('net f(z: neurons(T)[2]) -> neurons(T)[2] {\n  repeat 3 {\n    let z = relu(z)\n  }\n  return z\n}\n', 'f');
    expect(r.ok && r.value.graph.nodes.filter((n) => n.op.op === 'unary').length).toBe(3);
  });
});
