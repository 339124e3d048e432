// `eqlinear(..., terms: ...)`: the subsets of the basis, counted on an MLP by hand and on the
// learned-optimizer LM (Lm1b), each a subset of the complete basis (so each term is one the
// basis test proves equivariant), with basisSize counting what basis enumerates.
import { describe, expect, it } from 'vitest';
import { mlpLayout, type TargetLayout } from '../../compiler/spaces/target.js';
import { transformerLayout } from '../../compiler/spaces/transformer.js';
import { basis, basisSize } from '../../compiler/symmetry/basis.js';
import { fineCells, POINT, siteModel, type AxisModel, type GroupChoice } from '../../compiler/symmetry/site-model.js';
import { cellPairFilter, TERM_SUBSETS, type TermSubset } from '../../compiler/symmetry/term-subset.js';

const mlp = (widths: number[]): TargetLayout => mlpLayout('T', { kind: 'mlp', widths, activation: { kind: 'relu' }, init: 'kaiming' });
// The learned-optimizer LM (dsl-examples/learned_optimizer.gmn): 80 parameter blocks, 67,520 parameters.
const lm1b = transformerLayout('Lm1b', { kind: 'transformer', vocab: 256, dModel: 32, heads: 4, headDim: 32, blocks: 2, ffn: 128, seq: 8, norm: 'pre' });

const params = (layout: TargetLayout, group: GroupChoice = 'np'): AxisModel => siteModel({ kind: 'params', target: layout.name }, layout, group);
const neurons = (layout: TargetLayout, group: GroupChoice = 'np'): AxisModel => siteModel({ kind: 'neurons', target: layout.name }, layout, group);

function terms(layout: TargetLayout, out: AxisModel, inp: AxisModel, subset: TermSubset): string[] {
  const pairs = cellPairFilter(subset, layout);
  const labels = basis(POINT, POINT, out, inp, pairs).map((t) => t.label);
  expect(basisSize(POINT, POINT, out, inp, pairs)).toBe(labels.length);
  return labels;
}

describe('eqlinear terms: subsets of the np basis Θ → Θ', () => {
  it('mlp [2,3,3,2]: all 62, shared_neurons 46 (the 8 pairs of blocks on no common layer lose their 2·8 global means), within_block 18 (4 per W_l, 2 per b_l)', () => {
    const m = params(mlp([2, 3, 3, 2]));
    expect(TERM_SUBSETS.map((s) => terms(mlp([2, 3, 3, 2]), m, m, s).length)).toEqual([62, 46, 18]);
  });
  it('the learned-optimizer MLP [64,32,10]: shared_neurons drops only W_1 ↔ b_2 and b_1 ↔ b_2 (28 of 32)', () => {
    const m = params(mlp([64, 32, 10]));
    expect(TERM_SUBSETS.map((s) => terms(mlp([64, 32, 10]), m, m, s).length)).toEqual([32, 28, 12]);
  });
  it('Lm1b: all 9428 (over the 4096 eqlinear builds), shared_neurons 1322, within_block 238 (4 per weight block × 39, 2 per vector block × 41)', () => {
    const m = params(lm1b);
    expect(TERM_SUBSETS.map((s) => basisSize(POINT, POINT, m, m, cellPairFilter(s, lm1b)))).toEqual([9428, 1322, 238]);
    expect(4 * lm1b.params.filter((p) => p.colSegment !== null).length + 2 * lm1b.params.filter((p) => p.colSegment === null).length).toBe(238);
  });
  it('each subset is a subset of the complete basis, and within_block of shared_neurons', () => {
    for (const layout of [mlp([2, 3, 3, 2]), lm1b]) {
      const m = params(layout);
      const [all, shared, within] = TERM_SUBSETS.map((s) => terms(layout, m, m, s));
      const full = new Set(all);
      expect(full.size).toBe(all!.length);
      expect(shared!.every((t) => full.has(t))).toBe(true);
      expect(within!.every((t) => new Set(shared).has(t))).toBe(true);
    }
  });
});

describe('eqlinear terms between neurons and parameters', () => {
  it('Γ → Θ, shared_neurons: each block reads only its own rows\' and columns\' segments; within_block keeps no pair', () => {
    const layout = mlp([2, 3, 3, 2]);
    const kept = basis(POINT, POINT, params(layout), neurons(layout), cellPairFilter('shared_neurons', layout));
    const cells = fineCells(layout, 'params');
    for (const t of kept) {
      const block = layout.params[cells.findIndex((c) => c.name === t.site.out.name)]!;
      expect([block.rowSegment, block.colSegment]).toContain(t.site.in.ref!.index);
    }
    expect(kept.length).toBe(basisSize(POINT, POINT, params(layout), neurons(layout), cellPairFilter('shared_neurons', layout)));
    expect(basisSize(POINT, POINT, params(layout), neurons(layout), cellPairFilter('within_block', layout))).toBe(0);
  });
  it('the fine group (fixed segments pinned) filters the same cell pairs', () => {
    const layout = mlp([2, 3, 2]);
    const m = params(layout, 'fine');
    const all = new Set(terms(layout, m, m, 'all'));
    expect(terms(layout, m, m, 'shared_neurons').every((t) => all.has(t))).toBe(true);
    expect(terms(layout, m, m, 'shared_neurons').length).toBeLessThan(all.size);
  });
});
