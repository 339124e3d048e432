// The small transformer of the checks (2 blocks, d = 32, 4 heads, FFN 128, sequence 8, vocabulary 11).
import type { TargetLayout, TransformerSpec } from '../../compiler/spaces/target.js';
import { isLayerNormGain, transformerLayout } from '../../compiler/spaces/transformer.js';
import { initTransformer } from '../../runtime/targets/transformer.js';
import { Rng } from '../../runtime/util/rng.js';

export const B = 3;
export const T = 8;
export const V = 11;
const spec = (norm: 'pre' | 'post'): TransformerSpec => ({
  kind: 'transformer', vocab: V, dModel: 32, heads: 4, headDim: 8, blocks: 2, ffn: 128, seq: T, norm,
});

/** θ from the init with every gain and bias perturbed, so no parameter sits at a special value. */
export function setup(norm: 'pre' | 'post', seed: number) {
  const layout = transformerLayout('T', spec(norm));
  const rng = new Rng(seed);
  const theta = initTransformer(layout, rng);
  for (const b of layout.params) {
    if (b.cols !== null) continue;
    for (let p = 0; p < b.rows; p++) theta[b.offset + p] += (isLayerNormGain(b) ? 0.3 : 0.1) * rng.normal();
  }
  const tokens = Array.from({ length: B * T }, () => rng.int(V));
  const targets = Array.from({ length: B * T }, () => rng.int(V));
  return { layout, theta, tokens, targets, rng };
}

/** A few coordinates of every parameter block (FD over all ~22k parameters would be slow). */
export function sampleCoordinates(layout: TargetLayout, rng: Rng, perBlock: number): number[] {
  return layout.params.flatMap((b) => Array.from({ length: perBlock }, () => b.offset + rng.int(b.rows * (b.cols ?? 1))));
}

