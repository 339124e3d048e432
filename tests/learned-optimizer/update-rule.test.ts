// The learned optimizer's update rule and feature preprocessing (paper §6.2) in float64, against
// closed forms: the EMA momenta, the SGDM recursion on a quadratic (via the eigenvalues of its 2×2
// transition matrix), the clip + per-tensor RMS normalisation, the tanh time embedding, and the
// symmetry that makes a per-parameter F_ϕ equivariant (permuting a tensor's entries permutes rows).
import { describe, expect, it } from 'vitest';
import { FEATURE_CHANNELS, MOMENTUM_DECAYS, NORMALISED_CHANNELS, paramTensors, standardFeatures, timeEmbedding, TIME_SCALES } from '../../runtime/tasks/learned-optimizer/features.js';
import { accumulateGradient, applyUpdate, initialRuleState, PAPER_RULE, ruleScalars, ruleValues } from '../../runtime/tasks/learned-optimizer/update-rule.js';
import { Rng } from '../../runtime/util/rng.js';

describe('update rule', () => {
  it('stores α, β as logs and μ as log(1 − μ), and round-trips the paper\'s initial values', () => {
    const s = ruleScalars(PAPER_RULE);
    expect(s.logAlpha).toBeCloseTo(Math.log(0.1), 14);
    expect(s.logOneMinusMu).toBeCloseTo(Math.log(0.1), 14);
    expect(s.logBeta).toBeCloseTo(Math.log(0.001), 14);
    const v = ruleValues(s);
    expect(v.alpha).toBeCloseTo(0.1, 14);
    expect(v.mu).toBeCloseTo(0.9, 14);
    expect(v.beta).toBeCloseTo(0.001, 14);
    expect(() => ruleScalars({ alpha: 0.1, mu: 1, beta: 0.001 })).toThrow(RangeError);
  });

  it('the six feature momenta are EMAs: after n constant gradients m = (1 − dⁿ)·g', () => {
    const state = initialRuleState(new Float64Array(3));
    const g = Float64Array.of(0.5, -2, 3);
    const n = 7;
    for (let t = 0; t < n; t++) accumulateGradient(state, g, ruleScalars(PAPER_RULE));
    MOMENTUM_DECAYS.forEach((d, k) => {
      for (let i = 0; i < 3; i++) expect(state.momenta[k]![i]).toBeCloseTo((1 - d ** n) * g[i]!, 12);
    });
    for (let i = 0; i < 3; i++) expect(state.momentum[i]).toBeCloseTo((1 - 0.9 ** n) * g[i]!, 12);
  });

  it('with β = 0 (SGDM) it is heavy-ball momentum: θ_T on ½aθ² matches the closed form', () => {
    const a = 1.7;
    const { alpha, mu } = { alpha: 0.05, mu: 0.1 };
    const scalars = ruleScalars({ alpha, mu, beta: 1 });
    const state = initialRuleState(Float64Array.of(2));
    const T = 25;
    for (let t = 0; t < T; t++) {
      accumulateGradient(state, Float64Array.of(a * state.theta[0]!), scalars);
      applyUpdate(state, scalars, undefined);
    }
    // [θ_t, v_t] = M [θ_{t−1}, v_{t−1}] with M = [[1 − α(1−μ)a, −αμ], [(1−μ)a, μ]]; θ_T = e₁ᵀ Mᵀ [θ₀, 0].
    const m = [[1 - alpha * (1 - mu) * a, -alpha * mu], [(1 - mu) * a, mu]] as const;
    const tr = m[0][0] + m[1][1];
    const det = m[0][0] * m[1][1] - m[0][1] * m[1][0];
    const disc = Math.sqrt(tr * tr - 4 * det); // real for these constants (det M = μ)
    expect(tr * tr).toBeGreaterThan(4 * det);
    const l1 = (tr + disc) / 2;
    const l2 = (tr - disc) / 2;
    // Cayley–Hamilton: M^T = c1·M + c0·I with c1 = (l1^T − l2^T)/(l1 − l2), c0 = (l1·l2^T − l2·l1^T)/(l1 − l2).
    const c1 = (l1 ** T - l2 ** T) / (l1 - l2);
    const c0 = (l1 * l2 ** T - l2 * l1 ** T) / (l1 - l2);
    expect(state.theta[0]).toBeCloseTo((c1 * m[0][0] + c0) * 2, 12);
    expect(state.step).toBe(T);
  });

  it('adds α·β·tanh(F_ϕ) to the momentum step', () => {
    const scalars = ruleScalars({ alpha: 0.2, mu: 0.5, beta: 0.01 });
    const plain = initialRuleState(Float64Array.of(1, -1, 2));
    const learned = initialRuleState(Float64Array.of(1, -1, 2));
    const grad = Float64Array.of(0.3, 0.4, -0.1);
    const direction = Float64Array.of(0.5, -0.7, 1e-3);
    for (const s of [plain, learned]) accumulateGradient(s, grad, scalars);
    applyUpdate(plain, scalars, undefined);
    applyUpdate(learned, scalars, direction);
    for (let i = 0; i < 3; i++) expect(learned.theta[i]! - plain.theta[i]!).toBeCloseTo(-0.2 * 0.01 * Math.tanh(direction[i]!), 14);
  });

  it('the learned part moves a parameter by at most α·β per step, however large F_ϕ is', () => {
    const scalars = ruleScalars({ alpha: 0.5, mu: 0.9, beta: 0.02 });
    const rng = new Rng(3);
    const plain = initialRuleState(Float64Array.from({ length: 64 }, () => rng.normal()));
    const learned = initialRuleState(plain.theta);
    const grad = Float64Array.from({ length: 64 }, () => rng.normal());
    // What an F_ϕ whose weights ES noise has inflated writes: up to 1e30, of both signs.
    const direction = Float64Array.from({ length: 64 }, (_, i) => (i % 2 === 0 ? 1 : -1) * 10 ** rng.range(0, 30));
    for (const s of [plain, learned]) accumulateGradient(s, grad, scalars);
    applyUpdate(plain, scalars, undefined);
    applyUpdate(learned, scalars, direction);
    for (let i = 0; i < 64; i++) {
      expect(Number.isFinite(learned.theta[i]!)).toBe(true);
      expect(Math.abs(learned.theta[i]! - plain.theta[i]!)).toBeLessThanOrEqual(0.5 * 0.02 * (1 + 1e-12));
    }
  });
});

describe('features', () => {
  it('the time embedding is tanh(t/s − 1) for s = 1, 3, …, 100000', () => {
    expect(TIME_SCALES.length).toBe(11);
    expect([...timeEmbedding(0)]).toEqual(TIME_SCALES.map(() => Math.tanh(-1)));
    const e = timeEmbedding(30);
    expect(e[3]).toBe(0);
    expect(e[0]).toBeCloseTo(Math.tanh(29), 14);
    expect(e[10]).toBeCloseTo(Math.tanh(30 / 100000 - 1), 14);
  });

  it('are 19 channels: clipped, RMS-normalised per tensor and channel, then the time embedding', () => {
    expect(FEATURE_CHANNELS).toBe(19);
    // Two tensors: θ[0..2) and θ[2..5).
    const tensors = paramTensors([{ offset: 0, rows: 2, cols: null }, { offset: 2, rows: 1, cols: 3 }]);
    const theta = Float64Array.of(0.5, -2, 0.1, 0.2, 0.3);
    const grad = Float64Array.of(1e-3, 3e-3, 10, 10, -10);
    const momenta = MOMENTUM_DECAYS.map((_, k) => theta.map((x) => x * (k + 1)));
    const f = standardFeatures({ theta, grad, momenta }, 4, tensors);
    const at = (i: number, c: number) => f[i * FEATURE_CHANNELS + c]!;
    // θ of tensor 1: clipped to [0.5, −1], mean square 0.625.
    expect(at(0, 0)).toBeCloseTo(0.5 / Math.sqrt(1e-5 + 0.625), 14);
    expect(at(1, 0)).toBeCloseTo(-1 / Math.sqrt(1e-5 + 0.625), 14);
    // θ of tensor 2 is normalised by its own RMS, not tensor 1's.
    const ms2 = (0.01 + 0.04 + 0.09) / 3;
    expect(at(3, 0)).toBeCloseTo(0.2 / Math.sqrt(1e-5 + ms2), 14);
    // ∇ of tensor 2 is clipped to ±1 before normalising: ±1/√(1 + ε).
    expect(at(4, 1)).toBeCloseTo(-1 / Math.sqrt(1 + 1e-5), 14);
    // The 6th momentum (6·θ) of tensor 1: clipped [1, −1].
    expect(at(0, 2 + 5)).toBeCloseTo(1 / Math.sqrt(1 + 1e-5), 14);
    for (let i = 0; i < 5; i++) {
      for (let c = 0; c < TIME_SCALES.length; c++) expect(at(i, NORMALISED_CHANNELS + c)).toBe(timeEmbedding(4)[c]);
    }
  });

  it('do not see the scale of small gradients, and permuting a tensor\'s entries permutes its rows', () => {
    const rng = new Rng(3);
    const P = 12;
    const tensors = [{ offset: 0, size: 5 }, { offset: 5, size: 7 }];
    const theta = Float64Array.from({ length: P }, () => rng.range(-0.5, 0.5));
    const grad = Float64Array.from({ length: P }, () => rng.range(-0.5, 0.5));
    const momenta = MOMENTUM_DECAYS.map(() => Float64Array.from({ length: P }, () => rng.range(-0.5, 0.5)));
    const f = standardFeatures({ theta, grad, momenta }, 9, tensors);
    // Ten times smaller gradients: the same ∇ channel but for ε (mean squares ~1e-3 against ε 1e-5).
    const small = standardFeatures({ theta, grad: grad.map((g) => g * 0.1), momenta }, 9, tensors);
    for (let i = 0; i < P; i++) expect(Math.abs(small[i * FEATURE_CHANNELS + 1]! - f[i * FEATURE_CHANNELS + 1]!)).toBeLessThan(0.02 * Math.abs(f[i * FEATURE_CHANNELS + 1]!));
    // A random permutation within the second tensor.
    const perm = [...Array(5).keys(), ...rng.permutation(7).map((j) => 5 + j)];
    const permute = (x: Float64Array) => Float64Array.from(perm, (j) => x[j]!);
    const fp = standardFeatures({ theta: permute(theta), grad: permute(grad), momenta: momenta.map(permute) }, 9, tensors);
    for (let i = 0; i < P; i++) {
      for (let c = 0; c < FEATURE_CHANNELS; c++) expect(fp[i * FEATURE_CHANNELS + c]).toBeCloseTo(f[perm[i]! * FEATURE_CHANNELS + c]!, 12);
    }
  });
});
