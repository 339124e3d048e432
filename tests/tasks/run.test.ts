// `gmn run` end to end on a tiny curvature task (float64 reference executor, so runs are exactly
// reproducible): the run directory's report, resuming after a hard kill, refusing to mix
// configurations, and dumping decomposed gradients.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../fixtures/temp-dir.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/gmn.mjs');
const FIXTURE = join(ROOT, 'tests/fixtures/tiny-curvature.gmn');

interface Result { model: string; trainSize: number; seed: number; testError: number; validationError: number; bestEpoch: number }

function gmn(args: string[], cwd: string) {
  return spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 300_000 });
}

function results(dir: string): Result[] {
  return readFileSync(join(dir, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Result)
    .sort((a, b) => `${a.model}${a.trainSize}${a.seed}`.localeCompare(`${b.model}${b.trainSize}${b.seed}`));
}

describe('gmn run', () => {
  let work: string;
  let full: string;

  beforeAll(() => {
    expect(spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT }).status).toBe(0);
    work = tempDir('gmn-run-');
    full = join(work, 'full');
    const run = gmn(['run', FIXTURE, '--out', full, '--backend', 'reference'], work);
    expect(run.stderr).not.toMatch(/internal error/);
    expect(run.status).toBe(0);
  });

  it('writes a report with every model, size and seed, and finite errors', () => {
    const rows = results(full);
    // 3 models and the estimator's recalibrated line, 2 sizes, 2 seeds.
    expect(rows).toHaveLength(4 * 2 * 2);
    for (const r of rows) expect(Number.isFinite(r.testError) && r.testError >= 0).toBe(true);
    const report = readFileSync(join(full, 'report.md'), 'utf8');
    for (const model of ['gradmetanet', 'mlp_concat', 'standard_estimator', 'standard_estimator\\+recalibrated']) expect(report).toMatch(new RegExp(`\\| ${model} \\|`));
    expect(report).toMatch(/\| train 8 \| train 12 \|/);
    expect(report).toMatch(/Improvement over `standard_estimator`/);
    const json = JSON.parse(readFileSync(join(full, 'results.json'), 'utf8')) as { summaries: { model: string; seeds: number }[] };
    expect(json.summaries.map((s) => s.seeds)).toEqual(new Array(8).fill(2));
    expect(readFileSync(join(full, 'test_error.svg'), 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>$/);
    // The best epoch is one of the trained epochs; the untrained estimator and its recalibration have none.
    for (const r of rows) {
      if (r.model.startsWith('standard_estimator')) expect(r.bestEpoch).toBe(0);
      else expect([1, 2, 3]).toContain(r.bestEpoch);
    }
  });

  it('resumes after a hard kill and ends exactly where an uninterrupted run ends', async () => {
    const dir = join(work, 'killed');
    const child = spawn(process.execPath, [CLI, 'run', FIXTURE, '--out', dir, '--backend', 'reference'], { cwd: work, stdio: 'ignore' });
    const checkpoints = join(dir, 'checkpoints');
    // Kill as soon as the first epoch checkpoint is on disk, mid-way through the first training run.
    await new Promise<void>((done, fail) => {
      const timer = setInterval(() => {
        if (existsSync(checkpoints) && readdirSync(checkpoints).some((f) => f.endsWith('.ckpt'))) {
          clearInterval(timer);
          child.kill('SIGKILL');
          done();
        }
      }, 5);
      child.on('exit', () => {
        clearInterval(timer);
        fail(new Error('the run finished before it could be interrupted'));
      });
    });
    await new Promise((r) => child.on('exit', r));
    expect(existsSync(join(dir, 'report.md'))).toBe(false);
    const resumed = gmn(['run', FIXTURE, '--out', dir, '--backend', 'reference'], work);
    expect(resumed.status).toBe(0);
    const strip = (r: Result) => ({ model: r.model, trainSize: r.trainSize, seed: r.seed, testError: r.testError, validationError: r.validationError, bestEpoch: r.bestEpoch });
    expect(results(dir).map(strip)).toEqual(results(full).map(strip));
  });

  it('refuses to mix another configuration into an existing run directory', () => {
    const run = gmn(['run', FIXTURE, '--preset', 'short', '--out', full, '--backend', 'reference'], work);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/holds a run of a different configuration/);
    expect(run.stderr).toMatch(/hint: pass another --out DIR/);
  });

  it('reports a bad preset and a bad backend as usage errors', () => {
    expect(gmn(['run', FIXTURE, '--preset', 'nope'], work).status).toBe(2);
    expect(gmn(['run', FIXTURE, '--backend', 'cuda'], work).status).toBe(2);
  });

  it('dumps a batch of decomposed gradients with a manifest', () => {
    const dir = join(work, 'dump');
    const run = gmn(['run', FIXTURE, '--dump-grads', dir, '--count', '5'], work);
    expect(run.status).toBe(0);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { examples: number; neuronCount: number; arrays: Record<string, { shape: number[] }> };
    expect(manifest.examples).toBe(5);
    expect(manifest.arrays.factors!.shape).toEqual([5, 10, 2]);
    expect(manifest.arrays.grads!.shape).toEqual([5, 4 + 4 + 16 + 4 + 4 + 1]);
  });
});
