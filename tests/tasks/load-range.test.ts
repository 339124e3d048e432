// A run's load-average range: the first reading, every sample while it runs and one at the end; the
// learned-optimization report states it beside the wall-clock.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sampleLoadAverage } from '../../runtime/tasks/load-range.js';
import { writeLearnedOptimizationReport } from '../../runtime/tasks/learned-optimizer/report.js';

describe('sampleLoadAverage', () => {
  it('spans every reading from the start to stop', async () => {
    const readings = [5, 2, 9, 7];
    let i = 0;
    const sampler = sampleLoadAverage(() => readings[Math.min(i++, readings.length - 1)]!, 5);
    // The first reading at the start, then samples every 5 ms: wait until all four were taken.
    while (i < readings.length) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(sampler.stop()).toEqual({ min: 2, max: 9 });
  });

  it('stops sampling at stop', async () => {
    let reads = 0;
    const sampler = sampleLoadAverage(() => ++reads, 5);
    sampler.stop();
    const after = reads;
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(reads).toBe(after);
  });
});

it('the learned-optimization report states the range beside its wall-clock', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gmn-load-'));
  try {
    const ctx = { task: 't', preset: 'default', pes: { outerSteps: 1, pairs: 1, truncation: 1, sigma: 0.01, outerLr: 0.1, clip: 1 }, rule: { alpha: 0.1, mu: 0.9, beta: 0.001 }, device: 'test', seconds: 90, loadAverage: { min: 18.83, max: 33.04 } };
    await writeLearnedOptimizationReport(dir, ctx, []);
    expect(readFileSync(join(dir, 'report.md'), 'utf8')).toContain('Wall-clock: 1.5 min at a 1-minute load average of 18.8–33.0 (sampled every 30 s');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
