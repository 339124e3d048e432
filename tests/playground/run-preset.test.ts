// runPreset trains a task's preset in memory on a WebGPU `GPU` object (the page's navigator.gpu;
// here the `webgpu` package's, as in Node) and returns the table `gmn run --preset P --backend
// webgpu` writes into results.json: the same rows, and the same numbers within float32 tolerance
// (the same data, jobs and kernels, so in practice the same bits). Also: a stop ends the run with an
// AbortError; a text without a curvature task is refused with a message.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { create } from 'webgpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { installWebGpuGlobals } from '../../runtime/device/adapter.js';
import { runTask } from '../../runtime/api/run-task.js';
import { runPreset, type PlaygroundProgress, type PlaygroundRunResult } from '../../runtime/playground/engine.js';
import type { Progress } from '../../runtime/tasks/progress.js';
import { openTestGpu } from '../device/gpu-fixture.js';
import { tempDir } from '../fixtures/temp-dir.js';

const TINY = resolve(import.meta.dirname, '../fixtures/tiny-curvature.gmn');
const SILENT: Progress = { stage: () => {}, data: () => {}, log: () => {}, startTraining: () => {}, advance: () => {}, stop: () => {} };

interface ResultsJson {
  summaries: { model: string; trainSize: number; mean: number; std: number; seeds: number; params: number }[];
  results: { model: string; trainSize: number; seed: number; testError: number; validationError: number; bestEpoch: number; params: number }[];
}

const probe = await openTestGpu();
probe?.destroy();

describe.skipIf(probe === null)('runPreset on the webgpu package\'s GPU', () => {
  let cli: ResultsJson;
  let page: PlaygroundRunResult;
  const progress: PlaygroundProgress[] = [];

  beforeAll(async () => {
    const out = join(tempDir('gmn-playground-run-'), 'run');
    await runTask({ file: TINY, preset: 'short', backend: 'webgpu', out, progress: SILENT });
    cli = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as ResultsJson;
    installWebGpuGlobals();
    page = await runPreset(readFileSync(TINY, 'utf8'), 'short', create([]), { onProgress: (p) => progress.push(p) });
  }, 240_000);

  it('returns results.json\'s table: the same rows, the same numbers within float32 tolerance', () => {
    const key = (r: { model: string; trainSize: number; seed?: number }) => `${r.model} ${r.trainSize} ${r.seed ?? ''}`;
    const byKey = <T extends { model: string; trainSize: number; seed?: number }>(rows: T[]) => new Map(rows.map((r) => [key(r), r]));
    const want = byKey(cli.results);
    expect([...byKey(page.results).keys()].sort()).toEqual([...want.keys()].sort());
    for (const r of page.results) {
      const w = want.get(key(r))!;
      expect(r.testError, key(r)).toBeCloseTo(w.testError, 5);
      expect(r.bestEpoch, key(r)).toBe(w.bestEpoch);
      expect(r.params, key(r)).toBe(w.params);
    }
    const summaries = byKey(cli.summaries);
    expect(page.summaries.map(key).sort()).toEqual([...summaries.keys()].sort());
    for (const s of page.summaries) expect(s.mean, key(s)).toBeCloseTo(summaries.get(key(s))!.mean, 5);
    expect(page.device).toMatch(/^WebGPU /);
  });

  it('reports the loss of every epoch and progress up to the last unit of work', () => {
    // preset short: 2 epochs, one seed, one training size, two trained models.
    expect(page.epochs.map((e) => `${e.model} ${e.epoch}`)).toEqual(['gradmetanet 1', 'gradmetanet 2', 'mlp_concat 1', 'mlp_concat 2']);
    for (const e of page.epochs) expect(Number.isFinite(e.trainLoss) && e.trainLoss > 0).toBe(true);
    const train = progress.filter((p) => p.phase === 'train' || p.phase === 'evaluate');
    expect(train.at(-1)).toMatchObject({ step: 5, total: 5 });
    expect(progress.filter((p) => p.loss !== undefined).map((p) => p.loss)).toEqual(page.epochs.map((e) => e.trainLoss));
    expect(progress.filter((p) => p.epoch !== undefined).map((p) => p.epoch)).toEqual(page.epochs);
    expect(progress.at(-1)?.phase).toBe('done');
  });

  it('stops with an AbortError when its signal aborts', async () => {
    const controller = new AbortController();
    const run = runPreset(readFileSync(TINY, 'utf8'), 'short', create([]), {
      onProgress: (p) => { if (p.phase === 'train' && p.step >= 1) controller.abort(); },
      signal: controller.signal,
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
  }, 120_000);

  it('refuses a text without a curvature task, and an unknown preset, with a message', async () => {
    const gpu = create([]);
    await expect(runPreset('use std/layers\n', 'quick', gpu, { onProgress: () => {} })).rejects.toThrow(/declares no task/);
    await expect(runPreset(readFileSync(TINY, 'utf8'), 'nonesuch', gpu, { onProgress: () => {} })).rejects.toThrow(/nonesuch/);
  });
});
