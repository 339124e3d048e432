// PES against a meta-gradient known in closed form (linear-quadratic.ts): the mean of many
// estimates lies within its confidence interval of ∇F; truncated ES, on the same draws, does not;
// staggered pairs that restart at the horizon estimate ∇F / (T/K) per truncation; the meta-trainer
// descends F and resumes bit-identically.
import { describe, expect, it } from 'vitest';
import { clipByGlobalNorm, PesMetaTrainer } from '../../runtime/tasks/learned-optimizer/meta-trainer.js';
import { PesEstimator, type PesOptions } from '../../runtime/tasks/learned-optimizer/pes.js';
import { linearQuadratic, lqObjective } from './linear-quadratic.js';

const PHI = Float64Array.of(0.3, -0.2, 0.1);
const K = 4;
const T = 3 * K;

/** Mean and standard error per coordinate of samples. */
function meanAndError(samples: readonly Float64Array[]): { mean: number[]; error: number[] } {
  const n = samples.length;
  const mean = [...samples[0]!].map((_, k) => samples.reduce((a, s) => a + s[k]!, 0) / n);
  const error = mean.map((m, k) => Math.sqrt(samples.reduce((a, s) => a + (s[k]! - m) ** 2, 0) / (n - 1) / n));
  return { mean, error };
}

/** Each pair's estimates summed over `truncations` consecutive truncations. */
async function pairSums(options: PesOptions, truncations: number, skip = 0): Promise<Float64Array[]> {
  const pes = new PesEstimator(linearQuadratic, options);
  for (let j = 0; j < skip; j++) await pes.estimate(PHI);
  const sums = Array.from({ length: options.pairs }, () => new Float64Array(3));
  for (let j = 0; j < truncations; j++) {
    (await pes.estimate(PHI)).pairGradients.forEach((g, i) => g.forEach((x, k) => (sums[i]![k] += x)));
  }
  return sums;
}

describe('PES', () => {
  const options: PesOptions = { pairs: 1500, truncation: K, horizon: T, sigma: 0.01, accumulate: true, stagger: false, seed: 7 };
  const truth = lqObjective(PHI, T, K).gradient;

  it('the closed-form gradient agrees with central differences of F', () => {
    for (let k = 0; k < 3; k++) {
      const h = 1e-4;
      const up = Float64Array.from(PHI, (x, i) => (i === k ? x + h : x));
      const down = Float64Array.from(PHI, (x, i) => (i === k ? x - h : x));
      expect(truth[k]).toBeCloseTo((lqObjective(up, T, K).value - lqObjective(down, T, K).value) / (2 * h), 8);
    }
  });

  it('the mean of the estimates over one horizon lies within 4 standard errors of ∇F', async () => {
    const { mean, error } = meanAndError(await pairSums(options, T / K));
    for (let k = 0; k < 3; k++) {
      expect(Math.abs(mean[k]! - truth[k]!), `φ[${k}]: ${mean[k]} ± ${error[k]} vs ${truth[k]}`).toBeLessThan(4 * error[k]!);
      expect(error[k]).toBeLessThan(0.05 * Math.hypot(...truth)); // the interval is tight enough to mean something
    }
  });

  it('truncated ES (ξ = ε) is biased: some coordinate lies more than 8 standard errors away', async () => {
    const { mean, error } = meanAndError(await pairSums({ ...options, accumulate: false }, T / K));
    expect(Math.max(...mean.map((m, k) => Math.abs(m - truth[k]!) / error[k]!))).toBeGreaterThan(8);
  });

  it('staggered pairs restart at the horizon: over a cycle of T/K truncations they estimate ∇F · K/T per truncation', async () => {
    // Skip past every pair's first (shortened) horizon, then sum one full cycle.
    const sums = await pairSums({ ...options, stagger: true, seed: 11 }, T / K, T / K);
    const { mean, error } = meanAndError(sums.map((s) => s.map((x) => (x * K) / T)));
    for (let k = 0; k < 3; k++) expect(Math.abs(mean[k]! - (truth[k]! * K) / T), `φ[${k}]`).toBeLessThan(4 * error[k]!);
  });

  it('rejects a horizon that is not a multiple of the truncation', () => {
    expect(() => new PesEstimator(linearQuadratic, { ...options, horizon: 10 })).toThrow(/multiple of the truncation/);
  });
});

describe('PES meta-training', () => {
  const pes: PesOptions = { pairs: 8, truncation: K, horizon: T, sigma: 0.01, accumulate: true, stagger: true, seed: 3 };

  it('clips by global norm', () => {
    expect([...clipByGlobalNorm(Float64Array.of(3, 4), 1)]).toEqual([0.6, 0.8]);
    expect([...clipByGlobalNorm(Float64Array.of(0.3, 0.4), 1)]).toEqual([0.3, 0.4]);
  });

  it('outer Adam on the estimates descends the meta-objective most of the way to its minimum', async () => {
    // F is quadratic: its minimum from the exact gradient by Newton's method on a finite-difference Hessian.
    const F = (phi: ArrayLike<number>) => lqObjective(phi, T, K);
    const H = [0, 1, 2].map((k) => {
      const e = Float64Array.from({ length: 3 }, (_, i) => (i === k ? 1 : 0));
      return [...F(e).gradient].map((g, i) => g - F([0, 0, 0]).gradient[i]!);
    });
    const g0 = F([0, 0, 0]).gradient;
    const phiStar = solve3(H, [...g0].map((x) => -x));
    const trainer = new PesMetaTrainer(linearQuadratic, { pes, outerLr: 0.05, clip: 1 }, PHI);
    for (let s = 0; s < 300; s++) await trainer.outerUpdate();
    const start = F(PHI).value - F(phiStar).value;
    const end = F(trainer.phi).value - F(phiStar).value;
    expect(start).toBeGreaterThan(0);
    expect(end).toBeLessThan(0.1 * start);
  });

  it('resumes bit-identically from its state', async () => {
    const straight = new PesMetaTrainer(linearQuadratic, { pes, outerLr: 0.05, clip: 1 }, PHI);
    const losses: number[] = [];
    for (let s = 0; s < 20; s++) losses.push(await straight.outerUpdate());
    const first = new PesMetaTrainer(linearQuadratic, { pes, outerLr: 0.05, clip: 1 }, PHI);
    for (let s = 0; s < 9; s++) await first.outerUpdate();
    const saved = JSON.parse(JSON.stringify(first.state(), (_, v: unknown) => (v instanceof Float64Array ? { f64: [...v] } : v)), (_, v: unknown) => (
      typeof v === 'object' && v !== null && 'f64' in v ? Float64Array.from((v as { f64: number[] }).f64) : v));
    const resumed = new PesMetaTrainer(linearQuadratic, { pes, outerLr: 0.05, clip: 1 }, PHI, saved);
    const rest: number[] = [];
    for (let s = 0; s < 11; s++) rest.push(await resumed.outerUpdate());
    expect(rest).toEqual(losses.slice(9));
    expect([...resumed.phi]).toEqual([...straight.phi]);
  });

  it('decays the outer rate by a cosine: φ settles by the last step, and a resumed run keeps the schedule', async () => {
    const options = { pes, outerLr: 0.05, outerSchedule: { kind: 'cosine' as const, steps: 20 }, clip: 1 };
    const moves: number[] = [];
    const straight = new PesMetaTrainer(linearQuadratic, options, PHI);
    for (let s = 0; s < 20; s++) {
      const before = Float64Array.from(straight.phi);
      await straight.outerUpdate();
      const lr = 0.05 * 0.5 * (1 + Math.cos((Math.PI * s) / 20));
      const move = Math.max(...[...straight.phi].map((x, i) => Math.abs(x - before[i]!)));
      // Adam's step per coordinate is at most (1 − β1)/√(1 − β2) ≈ 3.2 times its rate.
      expect(move).toBeLessThanOrEqual(3.2 * lr);
      moves.push(move);
    }
    expect(moves[19]!).toBeLessThan(0.05 * moves[0]!);
    const first = new PesMetaTrainer(linearQuadratic, options, PHI);
    for (let s = 0; s < 9; s++) await first.outerUpdate();
    const resumed = new PesMetaTrainer(linearQuadratic, options, PHI, first.state());
    for (let s = 0; s < 11; s++) await resumed.outerUpdate();
    expect([...resumed.phi]).toEqual([...straight.phi]);
  });
});

/** x with H x = r (3×3, Cramer's rule). */
function solve3(H: number[][], r: number[]): number[] {
  const det = (m: number[][]) => m[0]![0]! * (m[1]![1]! * m[2]![2]! - m[1]![2]! * m[2]![1]!) - m[0]![1]! * (m[1]![0]! * m[2]![2]! - m[1]![2]! * m[2]![0]!) + m[0]![2]! * (m[1]![0]! * m[2]![1]! - m[1]![1]! * m[2]![0]!);
  const d = det(H);
  return [0, 1, 2].map((c) => det(H.map((row, i) => row.map((x, j) => (j === c ? r[i]! : x)))) / d);
}
