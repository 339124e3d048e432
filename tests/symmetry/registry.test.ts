// Every IR op kind has a typing rule, and the rules that judge symmetry say the right thing.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RULES } from '../../compiler/symmetry/rules/registry.js';
import { lowerSource } from '../ir/lower-helpers.js';
import { checkGraph } from '../../compiler/symmetry/check.js';
import { optimizeNet, optimizeStep } from '../../compiler/optimize/passes.js';

describe('rule registry', () => {
  it('covers every Op kind declared in compiler/ir/ops.ts', () => {
    // Read the op names from the contract's source, so a new op without a rule fails here too.
    const src = readFileSync(resolve(import.meta.dirname, '../../compiler/ir/ops.ts'), 'utf8');
    const ops = [...src.matchAll(/\{ op: '([a-z_]+)'/g)].map((m) => m[1]!);
    expect(ops.length).toBeGreaterThan(20);
    for (const op of new Set(ops)) expect(Object.keys(RULES), op).toContain(op);
  });
});

describe('certificates', () => {
  const span = { file: 'x', start: { offset: 0, line: 1, column: 1 }, end: { offset: 0, line: 1, column: 1 } };
  it('states invariance in the set and equivariance in the hidden layers for GradMetaNet', () => {
    const r = lowerSource('use std/gradmetanet\n', 'gradmetanet', { b: 8 });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const c = checkGraph(r.value, span).certificate!;
    expect(c.statement).toBe('S_8-invariant and S_3×S_4-equivariant: grads(T, b=8)[2] → weights(T)[1]');
    expect(c.eqlinears.map((e) => e.terms.length)).toEqual([4, 4, 2, 2]);
    const eq = c.ops.find((o) => o.op === 'gather')!;
    expect(eq.rule).toContain('incidence rows');
    expect(c.paramCount).toBe(r.value.graph.nodes.reduce((n, x) => n + (x.op.op === 'param' ? x.op.shape.reduce((a, b) => a * b, 1) : 0), 0));
  });
  it('certifies a step-pass graph whose np layer is one site_terms, and names a breaking term inside one', () => {
    const r = lowerSource('net f(x: weights(T)[4]) -> weights(T)[1] {\n  return eqlinear(x, 1, group: np)\n}\n', 'f');
    if (!r.ok) throw new Error('lowering failed');
    const step = optimizeStep(optimizeNet(r.value.graph, r.value.instantiation), r.value.instantiation).graph;
    const stacked = step.nodes.find((n) => n.op.op === 'site_terms')!;
    expect(stacked).toBeDefined();
    const c = checkGraph({ ...r.value, graph: step }, span).certificate!;
    expect(c.ops.find((o) => o.op === 'site_terms')!.rule).toMatch(/^sum of \d+ eqlinear basis terms/);
    expect(c.statement).toBe(checkGraph(r.value, span).certificate!.statement);
    // A term pinning a hidden neuron (position 0 of W1's rows) breaks the group, inside the sum too.
    const op = stacked.op;
    if (op.op !== 'site_terms') throw new Error('unreachable');
    const pinned = { ...op.terms[0]!, labels: [{ at: 0 }, ...op.terms[0]!.labels.slice(1)] };
    const broken = step.nodes.map((n) => (n.id === stacked.id ? { ...n, op: { ...op, terms: [...op.terms.slice(1), pinned] } } : n));
    const { diagnostics } = checkGraph({ ...r.value, graph: { ...step, nodes: broken } }, span);
    expect(diagnostics.map((d) => d.message).join('\n')).toContain('ties positions the group moves independently');
  });
  it('warns when a declared breakage does not happen', () => {
    const r = lowerSource('@breaks(set)\nnet f(grads: grads(T, b)[2]) -> neurons(T)[1] {\n  return linear(mean(grads, over: set), 1)\n}\n', 'f');
    if (!r.ok) throw new Error('lowering failed');
    const { certificate, diagnostics } = checkGraph(r.value, span);
    expect(diagnostics.map((d) => [d.severity, d.message])).toEqual([['warning', 'net f declares @breaks(set) but respects that symmetry']]);
    expect(certificate!.statement).toBe('S_4-invariant and S_3×S_4-equivariant: grads(T, b=4)[2] → neurons(T)[1]');
  });
  it('says what a declared baseline does not respect', () => {
    const r = lowerSource('use std/baselines\n', 'mlp_concat');
    if (!r.ok) throw new Error('lowering failed');
    expect(checkGraph(r.value, span).certificate!.statement).toBe(
      'not S_4-symmetric (declared @breaks) and not S_3×S_4-symmetric (declared @breaks): grads(T, b=4)[2] → weights(T)[1]');
  });
});
