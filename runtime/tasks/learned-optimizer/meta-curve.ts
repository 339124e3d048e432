// The meta-training curve of one learned optimizer: per outer step, the PES truncation's mean loss
// (at the perturbed meta-parameters) and the rule's α, μ, β after the step — what shows whether
// meta-training converged or was still moving when it stopped. Kept in the checkpoints (so a resumed
// run's curve is whole), the trained/ file and the job's outcome; plotted in the report.
import type { LearnedOptimizer } from './learned-optimizer.js';
import { ruleValues } from './update-rule.js';

export interface MetaCurvePoint {
  /** Outer steps done (1 after the first). */
  outerStep: number;
  /** The truncation's mean inner loss over all particles. */
  loss: number;
  alpha: number;
  mu: number;
  /** 0 for SGDM (no F_ϕ). */
  beta: number;
}

export function metaCurvePoint(optimizer: LearnedOptimizer, phi: Float64Array, outerStep: number, loss: number): MetaCurvePoint {
  const { alpha, mu, beta } = ruleValues(optimizer.scalars(phi));
  return { outerStep, loss, alpha, mu, beta: optimizer.net === undefined ? 0 : beta };
}

/** A stored curve, checked; absent (files written before curves were kept) reads as empty. */
export function parseMetaCurve(value: unknown, what: string): MetaCurvePoint[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new Error(`${what} is not a list`);
  return value.map((p, i) => {
    const r = (typeof p === 'object' && p !== null ? p : {}) as Record<string, unknown>;
    const field = (k: keyof MetaCurvePoint): number => {
      const x = r[k];
      if (typeof x === 'number') return x;
      // Non-finite losses (a diverged truncation) are written as their names.
      if (x === 'NaN' || x === 'Infinity' || x === '-Infinity') return Number(x);
      throw new Error(`${what}, point ${i}: ${k} is not a number`);
    };
    return { outerStep: field('outerStep'), loss: field('loss'), alpha: field('alpha'), mu: field('mu'), beta: field('beta') };
  });
}

/** The curve as JSON values (non-finite numbers named, as outcomes do). */
export function encodeMetaCurve(curve: readonly MetaCurvePoint[]): Record<keyof MetaCurvePoint, number | string>[] {
  const n = (x: number): number | string => (Number.isFinite(x) ? x : String(x));
  return curve.map((p) => ({ outerStep: p.outerStep, loss: n(p.loss), alpha: n(p.alpha), mu: n(p.mu), beta: n(p.beta) }));
}
