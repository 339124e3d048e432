import { describe, expect, it } from 'vitest';
import type { TargetLayout } from '../../compiler/spaces/target.js';
import { isLayerNormGain } from '../../compiler/spaces/transformer.js';
import { gradientsFromFactors, meanGradient } from '../../runtime/targets/factors.js';
import { transformerForward, transformerGradients } from '../../runtime/targets/transformer.js';
import { actOnNeurons, actOnParams, finiteDifferences, logSoftmax, randomGroupElement, relError } from './oracle.js';
import { naiveTransformerLogits } from './transformer-oracle.js';
import { B, sampleCoordinates, setup, T, V } from './transformer-fixture.js';

const sequenceLoss = (layout: TargetLayout, tokens: number[], targets: number[], s: number) => (theta: Float64Array): number =>
  naiveTransformerLogits(layout, theta, tokens.slice(s * T, (s + 1) * T))
    .reduce((sum, z, t) => sum - logSoftmax(z)[targets[s * T + t]!]!, 0);

describe('transformer targets', () => {
  for (const norm of ['pre', 'post'] as const) {
    it(`computes the same logits as a naive implementation (${norm}-LN)`, () => {
      const { layout, theta, tokens } = setup(norm, 1);
      const logits = transformerForward(layout, { sequences: B, length: T, tokens, theta });
      for (let s = 0; s < B; s++) {
        const naive = naiveTransformerLogits(layout, theta, tokens.slice(s * T, (s + 1) * T)).flat();
        expect(relError(logits.subarray(s * T * V, (s + 1) * T * V), naive)).toBeLessThan(1e-12);
      }
    });

    it(`per-sequence and mean gradients equal finite differences of the naive loss (${norm}-LN)`, () => {
      const { layout, theta, tokens, targets, rng } = setup(norm, 2);
      const grads = transformerGradients(layout, { sequences: B, length: T, tokens, theta }, targets);
      const P = layout.paramCount;
      const coords = sampleCoordinates(layout, rng, 2);
      const fdPerSeq = Array.from({ length: B }, (_, s) => finiteDifferences(sequenceLoss(layout, tokens, targets, s), theta, 1e-5, coords));
      for (let s = 0; s < B; s++) {
        expect(grads.losses[s]).toBeCloseTo(sequenceLoss(layout, tokens, targets, s)(theta), 10);
        expect(relError(coords.map((p) => grads.perExample[s * P + p]!), fdPerSeq[s]!)).toBeLessThan(1e-6);
      }
      // The batch loss is the mean of sequence losses: its gradient is the mean gradient.
      const mean = meanGradient(grads.perExample, B, P);
      const fdMean = coords.map((_, k) => fdPerSeq.reduce((acc, fd) => acc + fd[k]!, 0) / B);
      expect(relError(coords.map((p) => mean[p]!), fdMean)).toBeLessThan(1e-6);
    });

    it(`Σ over tokens of g aᵀ per linear map reproduces every per-sequence gradient (${norm}-LN)`, () => {
      const { layout, theta, tokens, targets } = setup(norm, 3);
      const grads = transformerGradients(layout, { sequences: B, length: T, tokens, theta }, targets);
      const fromFactors = gradientsFromFactors(layout, grads.factors, B, T, (k) => isLayerNormGain(layout.params[k]!));
      const P = layout.paramCount;
      const N = layout.neuronCount;
      for (let s = 0; s < B; s++) {
        for (const b of layout.params) {
          const size = b.rows * (b.cols ?? 1);
          const got = grads.perExample.subarray(s * P + b.offset, s * P + b.offset + size);
          if (!isLayerNormGain(b)) {
            expect(relError(fromFactors.subarray(s * P + b.offset, s * P + b.offset + size), got), b.name).toBeLessThan(1e-12);
            continue;
          }
          // Gains: Σ_t g_t ⊙ x̂_t with x̂ = (a − bias)/gain, read from the same segment.
          const bias = layout.params.find((x) => x.name === b.name.replace(/gain$/, 'bias'))!;
          const base = layout.segments[b.rowSegment]!.offset;
          const expected = Array.from({ length: b.rows }, (_, p) => {
            let sum = 0;
            for (let t = s * T; t < (s + 1) * T; t++) {
              const a = grads.factors[(t * N + base + p) * 2]!;
              const g = grads.factors[(t * N + base + p) * 2 + 1]!;
              sum += g * (a - theta[bias.offset + p]!) / theta[b.offset + p]!;
            }
            return sum;
          });
          expect(relError(got, expected), b.name).toBeLessThan(1e-10);
        }
      }
    });

    it(`permuting residual, value and FFN neurons leaves the function unchanged and permutes Γ (${norm}-LN)`, () => {
      const { layout, theta, tokens, targets, rng } = setup(norm, 4);
      const before = transformerGradients(layout, { sequences: B, length: T, tokens, theta }, targets);
      for (let trial = 0; trial < 2; trial++) {
        const g = randomGroupElement(layout, rng);
        expect([...g.keys()].length).toBe(1 + 2 * 4 + 2);
        const after = transformerGradients(layout, { sequences: B, length: T, tokens, theta: actOnParams(layout, g, theta) }, targets);
        expect(relError(after.logits, before.logits)).toBeLessThan(1e-12);
        expect(relError(after.factors, actOnNeurons(layout, g, before.factors, 2))).toBeLessThan(1e-11);
        const P = layout.paramCount;
        for (let s = 0; s < B; s++) {
          const moved = actOnParams(layout, g, before.perExample.slice(s * P, (s + 1) * P));
          expect(relError(after.perExample.subarray(s * P, (s + 1) * P), moved)).toBeLessThan(1e-11);
        }
      }
    });
  }

  it('factors of one sequence do not depend on the other sequences of the batch', () => {
    const { layout, theta, tokens, targets } = setup('pre', 5);
    const batch = transformerGradients(layout, { sequences: B, length: T, tokens, theta }, targets);
    const N = layout.neuronCount;
    const single = transformerGradients(layout, { sequences: 1, length: T, tokens: tokens.slice(T, 2 * T), theta }, targets.slice(T, 2 * T));
    expect(Array.from(single.factors)).toEqual(Array.from(batch.factors.subarray(T * N * 2, 2 * T * N * 2)));
  });

  it('is causal: changing the last token leaves the logits of earlier positions unchanged', () => {
    const { layout, theta, tokens } = setup('post', 6);
    const one = tokens.slice(0, T);
    const changed = [...one.slice(0, T - 1), (one[T - 1]! + 1) % V];
    const a = transformerForward(layout, { sequences: 1, length: T, tokens: one, theta });
    const b = transformerForward(layout, { sequences: 1, length: T, tokens: changed, theta });
    expect(Array.from(b.subarray(0, (T - 1) * V))).toEqual(Array.from(a.subarray(0, (T - 1) * V)));
    expect(relError(b.subarray((T - 1) * V), a.subarray((T - 1) * V))).toBeGreaterThan(1e-6);
  });

  it('reads sequences shorter than the declared seq', () => {
    const { layout, theta, tokens } = setup('pre', 7);
    const short = tokens.slice(0, 5);
    const logits = transformerForward(layout, { sequences: 1, length: 5, tokens: short, theta });
    expect(relError(logits, naiveTransformerLogits(layout, theta, short).flat())).toBeLessThan(1e-12);
  });
});
