// The curvature study on CNN targets (dsl-examples/curvature_cnn.gmn), `quick` preset, end to end
// through the CLI twice: on the machine's WebGPU adapter (lavapipe in CI; --backend webgpu, checked in
// results.json; without an adapter that half skips, saying what to install) and on the float64
// reference executor. Both report every model; the standard estimator (an evaluation of Θ_b, no
// training) gives the same error on both up to float32 rounding, and the trained nets stay close.
// `gmn compile` instantiates the nets at the same set sizes as the run (runtime/tasks/model-set-size.ts).
// Needs Fashion-MNIST (the Debian package dataset-fashion-mnist) for the images.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openTestGpu } from '../device/gpu-fixture.js';
import { tempDir } from '../fixtures/temp-dir.js';

const ROOT = resolve(import.meta.dirname, '../..');
const MODELS = ['gradmetanet', 'dws_average', 'standard_estimator', 'standard_estimator+recalibrated'];

interface Results { context: { device: string }; summaries: { model: string; mean: number }[]; results: { model: string; device: string }[] }

/** Runs the quick preset on `backend` in `work` (the two runs share its data cache) and reads results.json. */
function runQuick(work: string, backend: 'webgpu' | 'reference'): Results {
  const out = join(work, backend);
  const run = spawnSync(process.execPath, [join(ROOT, 'dist/gmn.mjs'), 'run', join(ROOT, 'dsl-examples/curvature_cnn.gmn'), '--preset', 'quick', '--backend', backend, '--out', out],
    { cwd: work, encoding: 'utf8', timeout: 420_000 });
  expect(run.stderr).not.toMatch(/internal error|validation:/);
  expect(run.status, run.stderr).toBe(0);
  const report = readFileSync(join(out, 'report.md'), 'utf8');
  for (const model of MODELS) expect(report).toContain(`| ${model} |`);
  // The paper's improvement is a figure for its MLP targets, not for a CNN.
  expect(report).not.toContain('13.7%');
  return JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
}

function error(results: Results, model: string): number {
  return results.summaries.find((s) => s.model === model)!.mean;
}

const gpu = await openTestGpu();
gpu?.destroy();

describe('gmn run dsl-examples/curvature_cnn.gmn --preset quick', () => {
  let work: string;
  let reference: Results;
  beforeAll(() => {
    expect(spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT }).status).toBe(0);
    work = tempDir('gmn-cnn-quick-');
    reference = runQuick(work, 'reference');
  }, 450_000);

  it('on the reference executor: every model, a finite error, the estimator far better than the mean label', () => {
    expect(reference.context.device).toMatch(/reference/);
    expect(reference.summaries.map((s) => s.model).sort()).toEqual([...MODELS].sort());
    for (const s of reference.summaries) expect(Number.isFinite(s.mean) && s.mean > 0, s.model).toBe(true);
    // Relative MSE 1 is the mean predictor; the estimator sees 2 of the label's 64 images.
    expect(error(reference, 'standard_estimator')).toBeLessThan(0.5);
  });

  it('gmn compile lowers a net on Γ at images × positions and one on Θ_b at the images, as gmn run does', () => {
    const out = join(work, 'compiled');
    const run = spawnSync(process.execPath, [join(ROOT, 'dist/gmn.mjs'), 'compile', join(ROOT, 'dsl-examples/curvature_cnn.gmn'), '--preset', 'quick', '--out', out],
      { cwd: work, encoding: 'utf8', timeout: 120_000 });
    expect(run.status, run.stderr).toBe(0);
    const ir = (model: string) => readFileSync(join(out, 'curvature_cnn', model, 'forward', 'graph.ir'), 'utf8');
    // 2 images of 6×6 positions.
    expect(ir('gradmetanet')).toContain('input name=grads : grads(SmallCnn, b=72)[2]');
    expect(ir('standard_estimator')).toContain('input name=weight_grads : weight_grads(SmallCnn, b=2)[1]');
  });

  it.skipIf(gpu === null)('on WebGPU: every model on the adapter, numbers matching the reference', () => {
    const webgpu = runQuick(work, 'webgpu');
    expect(webgpu.context.device).toMatch(/^WebGPU /);
    for (const r of webgpu.results) expect(r.device, r.model).toMatch(/^WebGPU /);
    // The estimator is one evaluation: float32 against float64 rounding only.
    expect(error(webgpu, 'standard_estimator')).toBeCloseTo(error(reference, 'standard_estimator'), 4);
    // Trained nets follow the same 16 steps; float32 rounding grows a little over them.
    for (const model of ['gradmetanet', 'dws_average']) expect(Math.abs(error(webgpu, model) - error(reference, model)), model).toBeLessThan(0.02);
  }, 450_000);
});
