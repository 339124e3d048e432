// The paper's curvature study, `quick` preset, end to end through the CLI on the machine's WebGPU
// adapter (lavapipe in CI): every model of the file is trained or evaluated (and the estimator
// recalibrated), and the report is sane. The suite's one run of all ten models on the GPU: its hook
// may take 300 s (the preset takes about 35 s on a quiet 2-core machine; docs/testing.md).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

interface Summary { model: string; mean: number; trainSize: number }

describe('gmn run dsl-examples/curvature.gmn --preset quick', () => {
  let out: string;
  let summaries: Summary[];

  beforeAll(() => {
    expect(spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT }).status).toBe(0);
    const work = mkdtempSync(join(tmpdir(), 'gmn-quick-'));
    out = join(work, 'run');
    const run = spawnSync(process.execPath, [join(ROOT, 'dist/gmn.mjs'), 'run', join(ROOT, 'dsl-examples/curvature.gmn'), '--preset', 'quick', '--out', out],
      { cwd: work, encoding: 'utf8', timeout: 300_000 });
    expect(run.stderr).not.toMatch(/internal error|validation:/);
    expect(run.status).toBe(0);
    summaries = (JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { summaries: Summary[] }).summaries;
  }, 300_000);

  it('reports every model of the file with a finite error', () => {
    const expected = ['gradmetanet', 'gradmetanet_pp', 'mlp_concat', 'dws_concat', 'dws_average', 'gmn_concat',
      'gmn_average', 'batch_asymmetric', 'neuron_asymmetric', 'standard_estimator', 'standard_estimator+recalibrated'];
    expect(summaries.map((s) => s.model).sort()).toEqual([...expected].sort());
    for (const s of summaries) expect(Number.isFinite(s.mean) && s.mean > 0).toBe(true);
    const report = readFileSync(join(out, 'report.md'), 'utf8');
    for (const model of expected) expect(report).toContain(`| ${model} |`);
  });

  it('GradMetaNet learns better than the MLP baseline', () => {
    const error = (model: string) => summaries.find((s) => s.model === model)!.mean;
    expect(error('gradmetanet')).toBeLessThan(error('mlp_concat'));
  });

  it('the standard estimator is far better than predicting the mean label, and its recalibration better still', () => {
    // Relative MSE 1 is the mean predictor; the estimator sees 16 of the label's 128 points.
    const error = (model: string) => summaries.find((s) => s.model === model)!.mean;
    expect(error('standard_estimator')).toBeLessThan(0.5);
    // The per-block least-squares line is fitted on the 160 training sets and can only shrink the
    // estimator's sampling noise on the test sets if it generalises.
    expect(error('standard_estimator+recalibrated')).toBeLessThan(error('standard_estimator'));
    const report = readFileSync(join(out, 'report.md'), 'utf8');
    expect(report).toContain('vs `standard_estimator+recalibrated`');
  });
});
