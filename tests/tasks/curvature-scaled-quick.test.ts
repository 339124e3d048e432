// The scaled-up curvature study (trace label, invariant head), `quick` preset, through the CLI on
// the machine's WebGPU adapter (--backend webgpu, checked in results.json; without an adapter it
// skips, saying what to install): both models are trained and reported next to the paper's
// normalised MAE.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';
import { openTestGpu } from '../device/gpu-fixture.js';
import { tempDir } from '../fixtures/temp-dir.js';

const ROOT = resolve(import.meta.dirname, '../..');
const gpu = await openTestGpu();
gpu?.destroy();

it.skipIf(gpu === null)('gmn run dsl-examples/curvature_scaled.gmn --preset quick reports both models with the paper\'s figures', () => {
  expect(spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT }).status).toBe(0);
  const work = tempDir('gmn-scaled-');
  const out = join(work, 'run');
  const run = spawnSync(process.execPath, [join(ROOT, 'dist/gmn.mjs'), 'run', join(ROOT, 'dsl-examples/curvature_scaled.gmn'), '--preset', 'quick', '--backend', 'webgpu', '--out', out],
    { cwd: work, encoding: 'utf8', timeout: 300_000 });
  expect(run.stderr).not.toMatch(/internal error|validation:/);
  expect(run.status).toBe(0);
  const report = readFileSync(join(out, 'report.md'), 'utf8');
  expect(report).toMatch(/normalised test MAE/);
  expect(report).toMatch(/\| gradmetanet_vec \| \d+ \| [\d.e+-]+ ± [\d.e+-]+ \| 0\.413 \|/);
  expect(report).toMatch(/\| mlp_vec \| \d+ \| [\d.e+-]+ ± [\d.e+-]+ \| 0\.779 \|/);
  const { context, summaries, results } = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as
    { context: { device: string }; summaries: { mean: number }[]; results: { model: string; device: string }[] };
  for (const s of summaries) expect(Number.isFinite(s.mean) && s.mean > 0).toBe(true);
  expect(context.device).toMatch(/^WebGPU /);
  expect(results.length).toBeGreaterThan(0);
  for (const r of results) expect(r.device, r.model).toMatch(/^WebGPU /);
}, 300_000);
