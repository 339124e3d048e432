// Issue 25's stability check: the report states per optimizer the largest mean test loss over seeds
// within the horizon ÷ its step-0 value and flags those above 1.10 (a base network blown up). The
// mean is over seeds, as the criterion says: one seed's excursion counts only through the mean.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { worstRise } from '../../runtime/tasks/learned-optimizer/loss-rise.js';
import { writeLearnedOptimizationReport, type BaseTaskResult } from '../../runtime/tasks/learned-optimizer/report.js';

const steps = [0, 10, 20, 30];

describe('worstRise', () => {
  it('is 1 at step 0 for a falling curve', () => {
    expect(worstRise([{ steps, losses: [2, 1.5, 1.2, 1.1] }])).toEqual({ ratio: 1, step: 0 });
  });

  it('takes the mean over seeds before the ratio', () => {
    // Seed 1 climbs to 3 (1.5×) at step 20 while seed 2 falls: the mean 2.1 at step 20 is 1.05× the mean 2.
    const rise = worstRise([{ steps, losses: [2, 2.5, 3, 1] }, { steps, losses: [2, 1.5, 1.2, 1] }]);
    expect(rise.ratio).toBeCloseTo(1.05, 12);
    expect(rise.step).toBe(20);
  });

  it('finds a late excursion of the mean', () => {
    const rise = worstRise([{ steps, losses: [2, 1, 1.5, 2.6] }, { steps, losses: [2, 1, 1.5, 2.2] }]);
    expect(rise.ratio).toBeCloseTo(1.2, 12);
    expect(rise.step).toBe(30);
  });

  it('reads a diverged run (NaN or Infinity) as an infinite rise at its first non-finite step', () => {
    expect(worstRise([{ steps, losses: [2, 1, NaN, 3] }, { steps, losses: [2, 1, 1, 1] }])).toEqual({ ratio: Infinity, step: 20 });
    expect(worstRise([{ steps, losses: [2, 1, 1, Infinity] }])).toEqual({ ratio: Infinity, step: 30 });
  });
});

describe('the report', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gmn-lopt-rise-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('states every optimizer\'s worst ratio and flags those above 1.10', async () => {
    const falling = { steps, losses: [2, 1.5, 1.2, 1.1] };
    const result: BaseTaskResult = {
      base: 'FashionMlp/fashion_mnist', horizon: 30, params: 10, adamGrid: [{ lr: 0.01, meanBest: 1.1 }], adamLr: 0.01,
      scores: ['adam', 'sgdm', 'ds_optimizer'].map((label) => ({ label, reductions: [undefined], bestLosses: [1.1] })),
      curves: { adam: [falling], sgdm: [{ steps, losses: [2, 2.2, 1.2, 1] }], ds_optimizer: [{ steps, losses: [2, 1.5, 6, 1.9] }] },
      metaCurves: {},
    };
    const ctx = { task: 't', preset: 'default', pes: { outerSteps: 1, pairs: 1, truncation: 1, sigma: 0.01, outerLr: 0.1, clip: 1 }, rule: { alpha: 0.1, mu: 0.9, beta: 0.001 }, device: 'test', seconds: 1 };
    await writeLearnedOptimizationReport(dir, ctx, [result]);
    const report = readFileSync(join(dir, 'report.md'), 'utf8');
    // SGDM at exactly 1.10 is within the limit; DS at 3× is not.
    expect(report).toContain('(limit 1.10): adam 1.000, sgdm 1.100 (step 10), ds_optimizer 3.000 (step 20).');
    expect(report).toContain('**Above the limit: ds_optimizer.**');
  });
});
