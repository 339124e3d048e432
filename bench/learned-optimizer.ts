// Learned-optimizer throughput (the counterpart of the paper's Table 8): inner steps per second of
// Adam, UNF and UNF + GradMetaNet training dsl-examples/learned_optimizer.gmn's Fashion-MNIST MLP
// (64 → 32 → 10, batch 128, the paper's task 1) on the device, the task's runner
// (runtime/tasks/learned-optimizer/device-inner-runs.ts): one step = the batch's forward and
// backward with its Γ_b, then Adam, or the features, GradMetaNet_ψ, F_ϕ and the learned update.
// `inner` is one inner run (the paper's figure); `particles` is the same step for the 16 runs of a
// PES estimate with the paper's 8 antithetic pairs, batched (particle-steps/s). Then the time of one
// PES outer step of UNF (2 antithetic pairs, truncation 5) and of UNF + GradMetaNet (8 pairs,
// truncation 5).
import { join } from 'node:path';
import { checkFiles } from '../compiler/check.js';
import { packageRoot } from '../compiler/resolve/package-root.js';
import type { GpuDevice } from '../runtime/device/index.js';
import { baseTaskLayout, loadBaseTask } from '../runtime/tasks/learned-optimizer/base-task.js';
import { learnedOptimizationConfig, type UpdateNetConfig } from '../runtime/tasks/learned-optimizer/config.js';
import { DeviceInnerRuns } from '../runtime/tasks/learned-optimizer/device-inner-runs.js';
import { DeviceTaskData } from '../runtime/tasks/learned-optimizer/device-target.js';
import { batchIndices, DeviceLearnedOptimizerProblem } from '../runtime/tasks/learned-optimizer/device-problem.js';
import { optimizerFor } from '../runtime/tasks/learned-optimizer/learned-optimizer.js';
import { PesMetaTrainer } from '../runtime/tasks/learned-optimizer/meta-trainer.js';
import { initialRuleState, PAPER_RULE } from '../runtime/tasks/learned-optimizer/update-rule.js';
import { Rng } from '../runtime/util/rng.js';

export interface LearnedOptimizerBench {
  /** One inner run: steps per second, by optimizer (adam, unf, unf_gradmetanet). */
  inner: { name: string; itersPerS: number; stepMs: number }[];
  /** 16 runs batched (a PES estimate's particles): particle-steps per second. */
  particles: { name: string; particleStepsPerS: number; stepMs: number; runs: number }[];
  pes: { name: string; ms: number; pairs: number; truncation: number }[];
  params: number;
}

const LEARNED: [string, string][] = [['unf', 'unf_optimizer'], ['unf_gradmetanet', 'unf_gradmetanet']];
const PARTICLES = 16;

export async function benchLearnedOptimizer(gpu: GpuDevice, steps = 10): Promise<LearnedOptimizerBench> {
  const { program } = checkFiles([join(packageRoot(), 'dsl-examples', 'learned_optimizer.gmn')]);
  const module = program.roots[0]!;
  const config = learnedOptimizationConfig([...module.symbols.tasks.values()][0]!, 'paper');
  const base = config.baseTasks.find((b) => b.kind === 'image_mlp')!;
  const layout = baseTaskLayout(module, base);
  const task = loadBaseTask(base, layout, () => {});
  const data = DeviceTaskData.of(gpu, task.device!);
  const rng = new Rng(0);
  /** ms per step of `runs` runs: one warm-up call (pipelines, first-use costs), then `steps` steps. */
  const time = async (runs: DeviceInnerRuns, load: () => void): Promise<number> => {
    const index = (n: number) => batchIndices(task.device!, runs.runs, n, (j) => j);
    load();
    await runs.train(1, index(1));
    await runs.losses();
    load();
    const start = performance.now();
    await runs.train(steps, index(steps));
    await runs.losses();
    return (performance.now() - start) / steps;
  };
  const inner: LearnedOptimizerBench['inner'] = [];
  const particles: LearnedOptimizerBench['particles'] = [];
  const adam = { beta1: 0.9, beta2: 0.999, eps: 1e-8 };
  for (const runs of [1, PARTICLES]) {
    const device = await DeviceInnerRuns.create(gpu, data, { kind: 'adam', adam }, runs);
    const thetas = Array.from({ length: runs }, () => task.initialTheta(rng));
    const ms = await time(device, () => device.loadAdam(thetas, thetas.map(() => 3e-3)));
    device.release();
    if (runs === 1) inner.push({ name: 'adam', itersPerS: 1000 / ms, stepMs: ms });
    else particles.push({ name: 'adam', particleStepsPerS: (1000 * runs) / ms, stepMs: ms, runs });
  }
  const entry = (net: string): UpdateNetConfig => ({ net, args: new Map(), span: base.span });
  for (const [name, net] of LEARNED) {
    const optimizer = optimizerFor(program, module, entry(net), base.batch, layout);
    const phi = optimizer.initialMeta(PAPER_RULE, rng);
    for (const runs of [1, PARTICLES]) {
      const device = await DeviceInnerRuns.create(gpu, data, { kind: 'learned', optimizer }, runs);
      const states = Array.from({ length: runs }, () => initialRuleState(task.initialTheta(rng)));
      const ms = await time(device, () => device.loadLearned(states, states.map(() => phi)));
      device.release();
      if (runs === 1) inner.push({ name, itersPerS: 1000 / ms, stepMs: ms });
      else particles.push({ name, particleStepsPerS: (1000 * runs) / ms, stepMs: ms, runs });
    }
  }
  const pes: LearnedOptimizerBench['pes'] = [];
  for (const [name, net, pairs] of [['unf', 'unf_optimizer', 2], ['unf_gradmetanet', 'unf_gradmetanet', 8]] as const) {
    const optimizer = optimizerFor(program, module, entry(net), base.batch, layout);
    const problem = new DeviceLearnedOptimizerProblem(gpu, task, optimizer);
    const options = { pairs, truncation: 5, horizon: 10, sigma: 0.01, accumulate: true, stagger: false, seed: 0 };
    const trainer = new PesMetaTrainer(problem, { pes: options, outerLr: 1e-4, clip: 1 }, optimizer.initialMeta(PAPER_RULE, rng));
    await trainer.outerUpdate(); // warm-up
    const start = performance.now();
    await trainer.outerUpdate();
    pes.push({ name, ms: performance.now() - start, pairs, truncation: options.truncation });
    await problem.release();
  }
  return { inner, particles, pes, params: task.paramCount };
}
