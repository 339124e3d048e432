import { describe, expect, it } from 'vitest';
import { empiricalFisherDiagonal, trueFisherDiagonal } from '../../runtime/targets/fisher.js';
import { transformerGradients, transformerOutputModel } from '../../runtime/targets/transformer.js';
import { relError } from './oracle.js';
import { B, sampleCoordinates, setup, T, V } from './transformer-fixture.js';
import { naiveTransformerLogits } from './transformer-oracle.js';

const softmax = (z: number[]): number[] => {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};

describe('Fisher labels of a transformer against brute force', () => {
  it('true (exact expectation over the vocabulary) and empirical Fisher diagonals match dense outer products of finite-difference scores', () => {
    const { layout, theta, tokens, targets, rng } = setup('pre', 21);
    const coords = sampleCoordinates(layout, rng, 1);
    const C = coords.length;
    const h = 1e-5;
    // Dense [C × C] Fisher blocks on the sampled coordinates, from explicit per-example score vectors.
    const F = new Float64Array(C * C);
    const E = new Float64Array(C * C);
    for (let s = 0; s < B; s++) {
      const seq = tokens.slice(s * T, (s + 1) * T);
      const J = coords.map((p) => {
        const t = Float64Array.from(theta);
        t[p] = theta[p]! + h;
        const up = naiveTransformerLogits(layout, t, seq).flat();
        t[p] = theta[p]! - h;
        const down = naiveTransformerLogits(layout, t, seq).flat();
        return up.map((u, o) => (u - down[o]!) / (2 * h)); // ∂ logits[o] / ∂θ_p, o = t·V + k
      });
      const probs = naiveTransformerLogits(layout, theta, seq).map(softmax);
      const observed = new Float64Array(C);
      for (let t = 0; t < T; t++) {
        const p = probs[t]!;
        const y = targets[s * T + t]!;
        for (let c = 0; c < C; c++) for (let k = 0; k < V; k++) observed[c] += J[c]![t * V + k]! * ((k === y ? 1 : 0) - p[k]!);
        for (let k = 0; k < V; k++) {
          const score = coords.map((_, c) => J[c]!.slice(t * V, (t + 1) * V).reduce((acc, jv, m) => acc + jv * ((m === k ? 1 : 0) - p[m]!), 0));
          for (let a = 0; a < C; a++) for (let b = 0; b < C; b++) F[a * C + b] += (p[k]! * score[a]! * score[b]!) / B;
        }
      }
      for (let a = 0; a < C; a++) for (let b = 0; b < C; b++) E[a * C + b] += (observed[a]! * observed[b]!) / B;
    }
    const model = transformerOutputModel(layout, { sequences: B, length: T, tokens, theta });
    const trueDiag = trueFisherDiagonal(model, 'softmax');
    const empirical = empiricalFisherDiagonal(model, { kind: 'softmax', labels: targets });
    expect(relError(coords.map((p) => trueDiag[p]!), coords.map((_, c) => F[c * C + c]!))).toBeLessThan(1e-6);
    expect(relError(coords.map((p) => empirical[p]!), coords.map((_, c) => E[c * C + c]!))).toBeLessThan(1e-6);
    // The empirical Fisher is also the mean of squared per-sequence loss gradients.
    const grads = transformerGradients(layout, { sequences: B, length: T, tokens, theta }, targets);
    const P = layout.paramCount;
    const meanSquares = Float64Array.from({ length: P }, (_, p) => {
      let sum = 0;
      for (let s = 0; s < B; s++) sum += grads.perExample[s * P + p]! ** 2;
      return sum / B;
    });
    expect(relError(empirical, meanSquares)).toBeLessThan(1e-12);
  });
});
