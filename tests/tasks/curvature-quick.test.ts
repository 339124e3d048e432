// The paper's curvature study, `quick` preset, end to end through the CLI on the machine's WebGPU
// adapter (lavapipe in CI), asked for with --backend webgpu and checked in results.json (without an
// adapter the file skips, saying what to install): every model of the file is trained or evaluated
// (and the estimator recalibrated), and the report is sane. The suite's one run of all ten models
// on the GPU: its hook may take 300 s (the preset takes about 35 s on a quiet 2-core machine;
// docs/testing.md). The same sweep through the job queue (a real redis-server, a submitter and two
// workers) must give the very same numbers (docs/distributed.md).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestGpu } from '../device/gpu-fixture.js';
import { startGmn, startRedis, stopProcess, type GmnProcess, type RedisServer } from '../fixtures/redis.js';
import { tempDir } from '../fixtures/temp-dir.js';

const ROOT = resolve(import.meta.dirname, '../..');

interface Summary { model: string; mean: number; trainSize: number }
interface Results { context: { device: string }; summaries: Summary[]; results: { model: string; device: string }[] }

/** What results.json says ran the models: every result on the WebGPU adapter. */
function expectRanOnWebGpu(results: Results): void {
  expect(results.results.length).toBeGreaterThan(0);
  for (const r of results.results) expect(r.device, r.model).toMatch(/^WebGPU /);
}

const gpu = await openTestGpu();
gpu?.destroy();

describe.skipIf(gpu === null)('gmn run dsl-examples/curvature.gmn --preset quick', () => {
  let out: string;
  let work: string;
  let summaries: Summary[];

  beforeAll(() => {
    expect(spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT }).status).toBe(0);
    work = tempDir('gmn-quick-');
    out = join(work, 'run');
    const run = spawnSync(process.execPath, [join(ROOT, 'dist/gmn.mjs'), 'run', join(ROOT, 'dsl-examples/curvature.gmn'), '--preset', 'quick', '--backend', 'webgpu', '--out', out],
      { cwd: work, encoding: 'utf8', timeout: 300_000 });
    expect(run.stderr).not.toMatch(/internal error|validation:/);
    expect(run.status).toBe(0);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
    expect(results.context.device).toMatch(/^WebGPU /);
    expectRanOnWebGpu(results);
    summaries = results.summaries;
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

  describe('through the job queue: a submitter and two workers', () => {
    let redis: RedisServer;
    const workers: GmnProcess[] = [];
    afterAll(async () => {
      await Promise.all(workers.map((w) => stopProcess(w.child)));
      await redis?.stop();
    });

    it('write the same results, number for number, as the local run', async () => {
      redis = await startRedis();
      const env = { GMN_REDIS_PASSWORD: redis.password };
      for (const name of ['a', 'b']) workers.push(startGmn(['worker', '--queue', redis.url, '--backend', 'webgpu', '--cache', join(work, `cache-${name}`)], env, work));
      const queued = join(work, 'queued');
      const submitter = startGmn(['run', join(ROOT, 'dsl-examples/curvature.gmn'), '--preset', 'quick', '--queue', redis.url, '--out', queued], env, work);
      expect(await submitter.exited).toBe(0);
      const numbers = (dir: string) => (JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as { results: Record<string, unknown>[] }).results
        .map(({ model, trainSize, seed, testError, validationError, bestEpoch, params }) => ({ model, trainSize, seed, testError, validationError, bestEpoch, params }))
        .sort((x, y) => String(x.model).localeCompare(String(y.model)));
      expect(numbers(queued)).toEqual(numbers(out));
      expectRanOnWebGpu(JSON.parse(readFileSync(join(queued, 'results.json'), 'utf8')) as Results);
      // Both workers took jobs, each recording its own device.
      for (const w of workers) expect(w.output()).toMatch(/: done\n/);
      for (const p of [submitter, ...workers]) expect(p.output()).not.toMatch(/internal error|validation:/);
      // Three processes share the cores here (24 s quiet, 50 s next to a busy loop on 2 cores): the
      // timeout keeps a third of it for a CI machine twice as slow.
    }, 450_000);
  });
});
