// Lowering `eqlinear(..., terms: ...)` on the learned-optimizer LM: the complete np layer is refused
// with a hint naming the subsets and their sizes; a subset lowers one site term per kept term and
// records its choice (what `gmn explain` prints).
import { describe, expect, it } from 'vitest';
import { transformerLayout } from '../../compiler/spaces/transformer.js';
import { lowerSource } from './lower-helpers.js';

const lm1b = transformerLayout('T', { kind: 'transformer', vocab: 256, dModel: 32, heads: 4, headDim: 32, blocks: 2, ffn: 128, seq: 8, norm: 'pre' });
const layer = (options: string) => `net f(h: weights(T)[4]) -> weights(T)[1] {\n  return eqlinear(h, 1, ${options})\n}\n`;

describe('eqlinear terms on Lm1b', () => {
  it('the complete np basis is too large, and the hint names `terms:` with the sizes it would give', () => {
    const r = lowerSource(layer('group: np'), 'f', { target: lm1b });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.diagnostics[0]!.code).toBe('ir/eqlinear-too-large');
    expect(r.diagnostics[0]!.message).toContain('has 9428 basis terms');
    expect(r.diagnostics[0]!.hint).toBe('keep a subset of the basis, still equivariant: `terms: shared_neurons` (1322 terms) or `terms: within_block` (238 terms)');
  });
  for (const [subset, count] of [['shared_neurons', 1322], ['within_block', 238]] as const) {
    it(`terms: ${subset} lowers ${count} site terms, each with its own channel matrix`, () => {
      const r = lowerSource(layer(`group: np, terms: ${subset}`), 'f', { target: lm1b });
      if (!r.ok) throw new Error(r.diagnostics[0]!.message);
      const e = r.value.eqlinears[0]!;
      expect([e.subset, e.terms.length]).toEqual([subset, count]);
      expect(r.value.graph.nodes.filter((n) => n.op.op === 'site_term')).toHaveLength(count);
      expect(r.value.graph.nodes.filter((n) => n.op.op === 'param' && n.op.shape.join() === '4,1')).toHaveLength(count);
    });
  }
  it('terms: all is the default', () => {
    const small = transformerLayout('T', { kind: 'transformer', vocab: 3, dModel: 2, heads: 1, headDim: 2, blocks: 1, ffn: 2, seq: 2, norm: 'pre' });
    const sizes = ['group: np', 'group: np, terms: all'].map((o) => {
      const r = lowerSource(layer(o), 'f', { target: small });
      if (!r.ok) throw new Error(r.diagnostics[0]!.message);
      return [r.value.eqlinears[0]!.subset, r.value.eqlinears[0]!.terms.length];
    });
    expect(sizes[0]).toEqual(sizes[1]);
  });
  it('terms on a net without a target site is an error at the argument', () => {
    const r = lowerSource('net f(v: vector[4]) -> vector[1] {\n  return eqlinear(v, 1, terms: within_block)\n}\n', 'f');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.diagnostics[0]!.code).toBe('ir/eqlinear-terms');
    expect([r.diagnostics[0]!.span.start.line, r.diagnostics[0]!.span.start.column]).toEqual([2, 32]);
  });
});
