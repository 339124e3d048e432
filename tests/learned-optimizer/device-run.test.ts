// The learned-optimization task with its image base task on the device: a run of the Fashion-MNIST
// MLP (SGDM and UNF + GradMetaNet, PES on WebGPU) stopped after its first checkpoint and resumed
// gives results and meta-trained optimizers bit-identical to an uninterrupted run, and the report
// names the backend; with `backend: 'reference'` it names float64 on the CPU.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkFiles } from '../../compiler/check.js';
import { learnedOptimizationConfig, type LearnedOptimizationConfig } from '../../runtime/tasks/learned-optimizer/config.js';
import { runLearnedOptimizationTask } from '../../runtime/tasks/learned-optimizer/run.js';
import type { Progress } from '../../runtime/tasks/progress.js';
import { openTestGpu } from '../device/gpu-fixture.js';
import { tempDir } from '../fixtures/temp-dir.js';

const gpu = await openTestGpu();
afterAll(() => gpu?.destroy());

const EXAMPLE = resolve(import.meta.dirname, '../../dsl-examples/learned_optimizer.gmn');
const silent: Progress = { stage() {}, data() {}, log() {}, startTraining() {}, advance() {}, stop() {} };

describe.skipIf(gpu === null)('the F-MNIST MLP task on the device', () => {
  const { program } = checkFiles([EXAMPLE]);
  const module = program.roots[0]!;
  const defaults = learnedOptimizationConfig([...module.symbols.tasks.values()][0]!, 'default');
  const image = defaults.baseTasks.find((b) => b.kind === 'image_mlp')!;
  // Small: batch 8, T = 4 (two truncations of 2), 4 outer steps of one pair, one seed, two Adam rates
  // (one batch of runs: jobs.ts's runAdamJobs).
  const config: LearnedOptimizationConfig = {
    ...defaults,
    baseTasks: [{ ...image, batch: 8, horizon: 4 }],
    optimizers: defaults.optimizers.filter((o) => o.net === 'sgdm' || o.net === 'unf_gradmetanet'),
    pes: { ...defaults.pes, outerSteps: 4, pairs: 1, truncation: 2 },
    adamLrs: [0.01, 0.003],
    seeds: [1],
  };
  const work = tempDir('gmn-lopt-device-');
  const run = (outDir: string, backend: 'auto' | 'reference' = 'auto', shouldStop?: () => boolean) =>
    runLearnedOptimizationTask({ program, module, config, outDir, progress: silent, checkpointEvery: 2, backend, ...(backend === 'auto' ? { gpu: gpu! } : {}), ...(shouldStop ? { shouldStop } : {}) });
  const results = (dir: string) => JSON.parse(readFileSync(join(work, dir, 'results.json'), 'utf8')) as { context: { device: string }; results: { adamGrid: { lr: number; meanBest: number }[] }[] };

  it('stopped after its first checkpoint and resumed, it matches an uninterrupted run bit for bit', async () => {
    expect(await run(join(work, 'straight'))).toBe('finished');
    expect(await run(join(work, 'resumed'), 'auto', () => true)).toBe('stopped');
    expect(readdirSync(join(work, 'resumed', 'checkpoints')).length).toBe(1);
    expect(await run(join(work, 'resumed'))).toBe('finished');
    expect(results('resumed').results).toEqual(results('straight').results);
    // Each rate of the batched grid trained with its own rate: the slower one ends higher.
    const [fast, slow] = results('straight').results[0]!.adamGrid;
    expect([fast!.lr, slow!.lr]).toEqual([0.01, 0.003]);
    expect(slow!.meanBest).toBeGreaterThan(fast!.meanBest);
    for (const f of readdirSync(join(work, 'straight', 'trained'))) {
      expect(readFileSync(join(work, 'resumed', 'trained', f), 'utf8')).toBe(readFileSync(join(work, 'straight', 'trained', f), 'utf8'));
    }
    expect(results('straight').context.device).toMatch(/^image-MLP and language-model tasks on WebGPU/);
    expect(readFileSync(join(work, 'straight', 'report.md'), 'utf8')).toContain('Inner steps: image-MLP and language-model tasks on WebGPU');
  }, 300_000);

  it('with the reference backend, the report says float64 on the CPU', async () => {
    expect(await run(join(work, 'reference'), 'reference')).toBe('finished');
    expect(readFileSync(join(work, 'reference', 'report.md'), 'utf8')).toContain('Inner steps: float64 on the CPU.');
  }, 300_000);
});
