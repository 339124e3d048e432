import { describe, expect, it } from 'vitest';
import { mlpLayout, type MlpSpec } from '../../compiler/spaces/target.js';
import { empiricalFisherDiagonal, fisherLabels, fisherTrace, obdSaliency, trueFisherDiagonal, type Likelihood } from '../../runtime/targets/fisher.js';
import { mlpGradients, mlpOutputModel, mlpPerExampleGradients } from '../../runtime/targets/mlp.js';
import { initMlp } from '../../runtime/targets/mlp-init.js';
import { Rng } from '../../runtime/util/rng.js';
import { finiteDifferences, naiveMlp, randomArray, relError } from './oracle.js';

interface Case { label: string; spec: MlpSpec; likelihood: Likelihood }
const cases: Case[] = [
  { label: 'relu 3→6→5→4, softmax', spec: { kind: 'mlp', widths: [3, 6, 5, 4], activation: { kind: 'relu' }, init: 'kaiming' }, likelihood: 'softmax' },
  { label: 'relu 3→6→5→2, gaussian', spec: { kind: 'mlp', widths: [3, 6, 5, 2], activation: { kind: 'relu' }, init: 'kaiming' }, likelihood: 'gaussian' },
  { label: 'SIREN 1→32→32→1, gaussian', spec: { kind: 'mlp', widths: [1, 32, 32, 1], activation: { kind: 'sine', omega0: 30 }, init: 'siren' }, likelihood: 'gaussian' },
  { label: 'SIREN 2→32→32→1, gaussian', spec: { kind: 'mlp', widths: [2, 32, 32, 1], activation: { kind: 'sine', omega0: 30 }, init: 'siren' }, likelihood: 'gaussian' },
];
const n = 6;

const softmax = (z: number[]): number[] => {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};

describe('Fisher labels of MLPs against dense brute force', () => {
  for (const c of cases) {
    it(`true and empirical Fisher diagonals, trace and OBD match dense outer products (${c.label})`, () => {
      const layout = mlpLayout('M', c.spec);
      const P = layout.paramCount;
      const rng = new Rng(11);
      const theta = initMlp(layout, rng);
      const d0 = c.spec.widths[0]!;
      const K = c.spec.widths.at(-1)!;
      const inputs = Float64Array.from({ length: n * d0 }, () => rng.range(-1, 1));
      const targets = randomArray(n * K, rng);
      const labels = Array.from({ length: n }, () => rng.int(K));

      // Dense oracle: J_i by finite differences of the naive forward pass; F = mean_i J_iᵀ H_i J_i.
      const F = new Float64Array(P * P);
      const E = new Float64Array(P * P);
      for (let i = 0; i < n; i++) {
        const x = Array.from(inputs.subarray(i * d0, (i + 1) * d0));
        const J = Array.from({ length: K }, (_, k) => finiteDifferences((t) => naiveMlp(c.spec, t, x)[k]!, theta, 1e-6));
        const f = naiveMlp(c.spec, theta, x);
        const p = softmax(f);
        const H = (k: number, m: number) => (c.likelihood === 'gaussian' ? (k === m ? 1 : 0) : (k === m ? p[k]! : 0) - p[k]! * p[m]!);
        const r = c.likelihood === 'gaussian' ? f.map((v, k) => targets[i * K + k]! - v) : p.map((v, k) => (k === labels[i] ? 1 : 0) - v);
        const score = new Float64Array(P);
        for (let k = 0; k < K; k++) for (let q = 0; q < P; q++) score[q] += J[k]![q]! * r[k]!;
        for (let a = 0; a < P; a++) {
          for (let b = 0; b < P; b++) {
            let s = 0;
            for (let k = 0; k < K; k++) for (let m = 0; m < K; m++) s += J[k]![a]! * H(k, m) * J[m]![b]!;
            F[a * P + b] += s / n;
            E[a * P + b] += (score[a]! * score[b]!) / n;
          }
        }
      }
      const diag = (M: Float64Array) => Float64Array.from({ length: P }, (_, a) => M[a * P + a]!);

      const model = mlpOutputModel(layout, { count: n, inputs, theta });
      const trueDiag = trueFisherDiagonal(model, c.likelihood);
      expect(relError(trueDiag, diag(F))).toBeLessThan(1e-6);
      expect(fisherTrace(trueDiag)).toBeCloseTo(fisherTrace(diag(F)), 6);
      expect(relError(obdSaliency(theta, trueDiag), diag(F).map((v, a) => theta[a]! ** 2 * v))).toBeLessThan(1e-6);
      const observed = c.likelihood === 'gaussian' ? { kind: 'gaussian' as const, targets } : { kind: 'softmax' as const, labels };
      expect(relError(empiricalFisherDiagonal(model, observed), diag(E))).toBeLessThan(1e-6);
      const bundle = fisherLabels(model, c.likelihood, theta, observed);
      expect(Array.from(bundle.trueDiagonal)).toEqual(Array.from(trueDiag));
      expect(bundle.trace).toBe(fisherTrace(trueDiag));
      expect(Array.from(bundle.obd)).toEqual(Array.from(obdSaliency(theta, trueDiag)));
      expect(Array.from(bundle.empiricalDiagonal!)).toEqual(Array.from(empiricalFisherDiagonal(model, observed)));
    });
  }

  it('the empirical Fisher is the mean of squared per-example loss gradients (mse and cross-entropy)', () => {
    for (const c of cases.slice(0, 2)) {
      const layout = mlpLayout('M', c.spec);
      const rng = new Rng(12);
      const theta = initMlp(layout, rng);
      const K = c.spec.widths.at(-1)!;
      const inputs = randomArray(n * 3, rng);
      const targets = randomArray(n * K, rng);
      const labels = Array.from({ length: n }, () => rng.int(K));
      const grads = mlpGradients(layout, { count: n, inputs, theta },
        c.likelihood === 'gaussian' ? { kind: 'mse', targets } : { kind: 'cross_entropy', labels });
      const perExample = mlpPerExampleGradients(layout, grads);
      const P = layout.paramCount;
      const expected = Float64Array.from({ length: P }, (_, q) => {
        let s = 0;
        for (let i = 0; i < n; i++) s += perExample[i * P + q]! ** 2;
        return s / n;
      });
      const model = mlpOutputModel(layout, { count: n, inputs, theta });
      const observed = c.likelihood === 'gaussian' ? { kind: 'gaussian' as const, targets } : { kind: 'softmax' as const, labels };
      expect(relError(empiricalFisherDiagonal(model, observed), expected)).toBeLessThan(1e-12);
    }
  });
});
