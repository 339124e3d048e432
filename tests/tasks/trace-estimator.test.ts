// The standard estimator of tr F (runtime/tasks/trace-estimator.ts): its estimates against the
// P-long per-example gradients of the same points, and its rows in a fisher_trace run against the
// normalised test MAE (Table 7's metric) computed here from the dataset.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { mlpLayout } from '../../compiler/spaces/target.js';
import { generateCurvatureData, sampleModel, splitCurvatureData } from '../../runtime/data/index.js';
import { mlpGradients, mlpPerExampleGradients } from '../../runtime/targets/mlp.js';
import type { DataConfig } from '../../runtime/tasks/task-config.js';
import { TRACE_ESTIMATOR, traceEstimates } from '../../runtime/tasks/trace-estimator.js';
import { tempDir } from '../fixtures/temp-dir.js';

const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURE = join(ROOT, 'tests/fixtures/tiny-trace.gmn');
// The fixture's target and data, generated here as the run generates them.
const tiny = mlpLayout('Tiny', { kind: 'mlp', widths: [1, 4, 4, 1], activation: { kind: 'sine', omega0: 30 }, init: 'siren' });
const config: DataConfig = { generator: 'random_targets', models: 40, points: 8, labelPoints: 64, inputs: 'mixture', seed: 5 };
const data = generateCurvatureData(tiny, config, 'fisher_trace');
const splits = splitCurvatureData(data, { test: 16, validation: 8 }, [8, 16]);

interface Result { model: string; trainSize: number; testError: number; params: number }

describe('the standard estimator of tr F', () => {
  it('is the mean over the set of ‖∇θ f(x_i)‖², from the P-long gradients of the set\'s points', () => {
    const estimates = traceEstimates(splits.validation);
    expect(estimates).toHaveLength(8);
    estimates.forEach((estimate, k) => {
      const model = sampleModel(tiny, config, splits.validation.start + k);
      const perExample = mlpPerExampleGradients(tiny, mlpGradients(tiny, { count: config.points, inputs: model.inputs, theta: model.theta }, { kind: 'output' }));
      const naive = perExample.reduce((s, v) => s + v * v, 0) / config.points;
      // The run's factors are stored as float32.
      expect(Math.abs(estimate / naive - 1)).toBeLessThan(1e-5);
    });
    // An estimate from 8 points is not the label from 64 others.
    expect(estimates[0]).not.toBeCloseTo(data.labels[splits.validation.start]!, 3);
  });

  describe('in a fisher_trace run', () => {
    let rows: Result[];

    beforeAll(() => {
      expect(spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT }).status).toBe(0);
      const work = tempDir('gmn-trace-');
      const run = spawnSync(process.execPath, [join(ROOT, 'dist/gmn.mjs'), 'run', FIXTURE, '--out', join(work, 'run'), '--backend', 'reference'],
        { cwd: work, encoding: 'utf8', timeout: 300_000 });
      expect(run.stderr).not.toMatch(/internal error/);
      expect(run.status).toBe(0);
      rows = readFileSync(join(work, 'run', 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Result);
      const report = readFileSync(join(work, 'run', 'report.md'), 'utf8');
      expect(report).toMatch(/Improvement over `trace_estimator`/);
      expect(report).toMatch(/estimator with one least-squares line a·x \+ c, fitted/);
    });

    it('reports its normalised test MAE: MAE / mean |label − mean label| over the test set', () => {
      const test = traceEstimates(splits.test);
      const labels = Array.from(data.labels.subarray(0, 16));
      const mean = labels.reduce((a, b) => a + b, 0) / labels.length;
      const spread = labels.reduce((a, y) => a + Math.abs(y - mean), 0) / labels.length;
      const mae = labels.reduce((a, y, k) => a + Math.abs(test[k]! - y), 0) / labels.length;
      const estimator = rows.filter((r) => r.model === TRACE_ESTIMATOR);
      expect(estimator.map((r) => r.trainSize).sort((a, b) => a - b)).toEqual([8, 16]);
      for (const r of estimator) {
        expect(r.testError).toBeCloseTo(mae / spread, 6);
        expect(r.params).toBe(0);
      }
    });

    it('reports its recalibration (2 numbers) fitted on each training set, and the learned model', () => {
      const recalibrated = rows.filter((r) => r.model === `${TRACE_ESTIMATOR}+recalibrated`);
      expect(recalibrated.map((r) => r.trainSize).sort((a, b) => a - b)).toEqual([8, 16]);
      for (const r of recalibrated) expect(r.params).toBe(2);
      // Different training sets give different lines.
      expect(recalibrated[0]!.testError).not.toBe(recalibrated[1]!.testError);
      expect(rows.filter((r) => r.model === 'gradmetanet_vec')).toHaveLength(2);
    });
  });
});
