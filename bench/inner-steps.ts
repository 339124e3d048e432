// What the two learned-optimizer benches share (Table 8's image-MLP and LM columns): a base task of
// learned_optimizer.gmn's `paper` preset loaded onto the device, and the time of an inner step of
// one rule for 1 run (the paper's figure) and for a PES estimate's runs batched (particle-steps/s),
// each after one warm-up step (pipelines, first-use costs).
import { join } from 'node:path';
import { checkFiles } from '../compiler/check.js';
import { packageRoot } from '../compiler/resolve/package-root.js';
import type { GpuDevice } from '../runtime/device/index.js';
import { baseTaskLayout, loadBaseTask } from '../runtime/tasks/learned-optimizer/base-task.js';
import { learnedOptimizationConfig } from '../runtime/tasks/learned-optimizer/config.js';
import { DeviceInnerRuns, type DeviceRule } from '../runtime/tasks/learned-optimizer/device-inner-runs.js';
import { batchIndices } from '../runtime/tasks/learned-optimizer/device-problem.js';
import { DeviceTaskData } from '../runtime/tasks/learned-optimizer/device-target.js';

export interface InnerStepFigures {
  /** One inner run: steps per second, by optimizer. */
  inner: { name: string; itersPerS: number; stepMs: number }[];
  /** Several runs batched (a PES estimate's particles): particle-steps per second. */
  particles: { name: string; particleStepsPerS: number; stepMs: number; runs: number }[];
}

export async function benchBaseTask(gpu: GpuDevice, kind: 'image_mlp' | 'language_model') {
  const { program } = checkFiles([join(packageRoot(), 'dsl-examples', 'learned_optimizer.gmn')]);
  const module = program.roots[0]!;
  const config = learnedOptimizationConfig([...module.symbols.tasks.values()][0]!, 'paper');
  const base = config.baseTasks.find((b) => b.kind === kind)!;
  const layout = baseTaskLayout(module, base);
  const task = loadBaseTask(base, layout, () => {});
  return { program, module, config, base, layout, task, data: DeviceTaskData.of(gpu, task.device!) };
}

type BenchTask = Awaited<ReturnType<typeof benchBaseTask>>;

/** Times `steps` steps of `rule` for 1 and for `particles` runs (`load` writes the runs' states) into `figures`. */
export async function timeInnerSteps(gpu: GpuDevice, bench: BenchTask, figures: InnerStepFigures, name: string, rule: DeviceRule,
  load: (device: DeviceInnerRuns, runs: number) => void, particles: number, steps: number): Promise<void> {
  for (const runs of [1, particles]) {
    const device = await DeviceInnerRuns.create(gpu, bench.data, rule, runs);
    const index = (n: number) => batchIndices(bench.task.device!, runs, n, (j) => j);
    load(device, runs);
    await device.train(1, index(1));
    await device.losses();
    load(device, runs);
    const start = performance.now();
    await device.train(steps, index(steps));
    await device.losses();
    const ms = (performance.now() - start) / steps;
    device.release();
    if (runs === 1) figures.inner.push({ name, itersPerS: 1000 / ms, stepMs: ms });
    else figures.particles.push({ name, particleStepsPerS: (1000 * runs) / ms, stepMs: ms, runs });
  }
}
