// The recalibrated estimator's fit against the least-squares solution computed independently: the
// uncentred normal equations [Σx² Σx; Σx n]·[a; c] = [Σxy; Σy] of each group, solved by Cramer's
// rule, and the optimality conditions (residuals orthogonal to x and to 1 within each group).
import { describe, expect, it } from 'vitest';
import { applyRecalibration, fitRecalibration } from '../../runtime/tasks/recalibration.js';
import { Rng } from '../../runtime/util/rng.js';

function normalEquations(x: Float64Array, y: Float64Array, groupOf: readonly number[], group: number): { a: number; c: number } {
  let n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  x.forEach((v, i) => {
    if (groupOf[i % groupOf.length] !== group) return;
    n++; sx += v; sy += y[i]!; sxx += v * v; sxy += v * y[i]!;
  });
  const det = sxx * n - sx * sx;
  return { a: (sxy * n - sx * sy) / det, c: (sxx * sy - sx * sxy) / det };
}

describe('recalibration of the standard estimator', () => {
  // 40 examples of 7 entries in 3 groups (blocks of unequal size, not contiguous), noisy labels.
  const groupOf = [0, 0, 1, 2, 2, 2, 1];
  const rng = new Rng(3);
  const examples = 40;
  const x = Float64Array.from({ length: examples * groupOf.length }, () => 0.5 + rng.normal());
  const truth = [{ a: 0.7, c: 0.1 }, { a: -2, c: 3 }, { a: 1.3, c: -0.4 }];
  const y = x.map((v, i) => truth[groupOf[i % groupOf.length]!]!.a * v + truth[groupOf[i % groupOf.length]!]!.c + 0.3 * rng.normal());

  it('equals the solution of the normal equations of each group', () => {
    const fits = fitRecalibration(x, y, groupOf, 3);
    for (let g = 0; g < 3; g++) {
      const want = normalEquations(x, y, groupOf, g);
      expect(fits[g]!.a).toBeCloseTo(want.a, 10);
      expect(fits[g]!.c).toBeCloseTo(want.c, 10);
      // the noise is small next to the signal: the fit is near the generating line, and not equal to it
      expect(Math.abs(fits[g]!.a - truth[g]!.a)).toBeLessThan(0.2);
      expect(fits[g]!.a).not.toBe(truth[g]!.a);
    }
  });

  it('leaves residuals orthogonal to x and to 1 within each group, and recovers an exact line exactly', () => {
    const fits = fitRecalibration(x, y, groupOf, 3);
    const residual = applyRecalibration(fits, x, groupOf).map((p, i) => y[i]! - p);
    for (let g = 0; g < 3; g++) {
      let r1 = 0, rx = 0, scale = 0;
      residual.forEach((r, i) => {
        if (groupOf[i % groupOf.length] !== g) return;
        r1 += r; rx += r * x[i]!; scale += Math.abs(r * x[i]!);
      });
      expect(Math.abs(r1)).toBeLessThan(1e-10 * scale);
      expect(Math.abs(rx)).toBeLessThan(1e-10 * scale);
    }
    const exact = x.map((v, i) => truth[groupOf[i % groupOf.length]!]!.a * v + truth[groupOf[i % groupOf.length]!]!.c);
    fitRecalibration(x, exact, groupOf, 3).forEach((fit, g) => {
      expect(fit.a).toBeCloseTo(truth[g]!.a, 12);
      expect(fit.c).toBeCloseTo(truth[g]!.c, 12);
    });
  });

  it('a group whose estimates do not vary predicts its mean label', () => {
    const constant = new Float64Array(6).fill(2);
    const labels = Float64Array.of(1, 2, 3, 4, 5, 6);
    const [fit] = fitRecalibration(constant, labels, [0, 0], 1);
    expect(fit).toEqual({ a: 0, c: 3.5 });
  });
});
