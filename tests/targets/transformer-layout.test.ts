import { describe, expect, it } from 'vitest';
import type { TransformerSpec } from '../../compiler/spaces/target.js';
import { isLayerNormGain, transformerLayout } from '../../compiler/spaces/transformer.js';

const spec = (norm: 'pre' | 'post'): TransformerSpec => ({
  kind: 'transformer', vocab: 11, dModel: 32, heads: 4, headDim: 8, blocks: 2, ffn: 128, seq: 8, norm,
});

describe('transformer layout', () => {
  for (const norm of ['pre', 'post'] as const) {
    it(`tiles neurons and parameters contiguously, with sizes matching the spec (${norm}-LN)`, () => {
      const layout = transformerLayout('T', spec(norm));
      let n = 0;
      for (const s of layout.segments) {
        expect(s.offset).toBe(n);
        n += s.size;
      }
      expect(layout.neuronCount).toBe(n);
      let p = 0;
      for (const b of layout.params) {
        expect(b.offset).toBe(p);
        expect(b.rows).toBe(layout.segments[b.rowSegment]!.size);
        if (b.cols !== null) expect(b.cols).toBe(layout.segments[b.colSegment!]!.size);
        p += b.rows * (b.cols ?? 1);
      }
      expect(layout.paramCount).toBe(p);
      // Parameter count of the architecture written out by hand.
      const d = 32, V = 11, T = 8, h = 4, dk = 8, f = 128;
      const perBlock = 2 * 2 * d + h * 3 * (dk * d + dk) + h * d * dk + d + f * d + f + d * f + d;
      expect(layout.paramCount).toBe(V * d + T * d + 2 * perBlock + (norm === 'pre' ? 2 * d : 0) + V * d + V);
    });
  }

  it('ties every residual segment to one group and gives each head and FFN its own group', () => {
    const layout = transformerLayout('T', spec('pre'));
    const d = layout.segments.filter((s) => s.group === 'T.residual');
    expect(d.map((s) => s.name)).toEqual([
      'embed', 'block0.attn_in', 'block0.attn_out', 'block0.ffn_in', 'block0.ffn_out',
      'block1.attn_in', 'block1.attn_out', 'block1.ffn_in', 'block1.ffn_out', 'final',
    ]);
    expect(layout.segments.find((s) => s.name === 'block1.head3.value')!.group).toBe('T.block1.head3');
    expect(layout.segments.find((s) => s.name === 'block1.head3.query')!.group).toBeNull();
    expect(layout.segments.find((s) => s.name === 'block0.ffn')!.group).toBe('T.block0.ffn');
    const groups = new Set(layout.segments.map((s) => s.group).filter((g) => g !== null));
    expect(groups.size).toBe(1 + 2 * 4 + 2);
    expect(layout.segments.filter((s) => s.group === null).map((s) => s.name)).toContain('vocab_out');
  });

  it('attaches LayerNorm gains and biases to the segment of the LayerNorm output', () => {
    const pre = transformerLayout('T', spec('pre'));
    const seg = (name: string) => pre.segments[pre.params.find((b) => b.name === name)!.rowSegment]!.name;
    expect(seg('block0.ln1.gain')).toBe('block0.attn_in');
    expect(seg('block1.ln2.bias')).toBe('block1.ffn_in');
    expect(seg('lnf.gain')).toBe('final');
    const post = transformerLayout('T', spec('post'));
    const segPost = (name: string) => post.segments[post.params.find((b) => b.name === name)!.rowSegment]!.name;
    expect(segPost('block0.ln2.gain')).toBe('block1.attn_in');
    expect(segPost('block1.ln2.gain')).toBe('final');
    expect(post.params.filter(isLayerNormGain).map((b) => b.name)).toEqual(['block0.ln1.gain', 'block0.ln2.gain', 'block1.ln1.gain', 'block1.ln2.gain']);
  });
});
