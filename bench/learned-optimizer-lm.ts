// Learned-optimizer throughput on the LM1B stand-in (the LM column of the paper's Table 8): inner
// steps per second training learned_optimizer.gmn's `Lm1b` transformer (2 pre-LN blocks, d_model 32,
// batch 8 sequences of 8 bytes) with Adam, DS and DS + GradMetaNet on the device, the task's runner
// (runtime/tasks/learned-optimizer/device-inner-runs.ts with device-lm-target.ts): one step = the
// windows' forward and backward with the per-token Γ, the batch gradient, then Adam, or the
// features, GradMetaNet_ψ over the 64 tokens, F_ϕ and the learned update. UNF on the LM is
// UNF-local (std/optimizers.gmn: 1,322 of the 9,428 np basis terms; the complete layer is refused),
// its np layer one `site_terms` with the channel maps inside the key sums.
// `inner` is one inner run; `particles` the same step for the 4 runs of a `default`-preset PES
// estimate (2 antithetic pairs), batched (particle-steps/s).
import { join } from 'node:path';
import { checkFiles } from '../compiler/check.js';
import { packageRoot } from '../compiler/resolve/package-root.js';
import type { GpuDevice } from '../runtime/device/index.js';
import { baseTaskLayout, gradientSetSize, loadBaseTask } from '../runtime/tasks/learned-optimizer/base-task.js';
import { learnedOptimizationConfig } from '../runtime/tasks/learned-optimizer/config.js';
import { DeviceInnerRuns, type DeviceRule } from '../runtime/tasks/learned-optimizer/device-inner-runs.js';
import { DeviceTaskData } from '../runtime/tasks/learned-optimizer/device-target.js';
import { batchIndices } from '../runtime/tasks/learned-optimizer/device-problem.js';
import { optimizerFor } from '../runtime/tasks/learned-optimizer/learned-optimizer.js';
import { initialRuleState, PAPER_RULE } from '../runtime/tasks/learned-optimizer/update-rule.js';
import { Rng } from '../runtime/util/rng.js';

export interface LanguageModelBench {
  inner: { name: string; itersPerS: number; stepMs: number }[];
  /** `runs` runs batched (a PES estimate's particles): particle-steps per second. */
  particles: { name: string; particleStepsPerS: number; stepMs: number; runs: number }[];
  params: number;
}

const PARTICLES = 4;

/** `steps` timed steps per optimizer and run count after one warm-up step. */
export async function benchLanguageModelOptimizers(gpu: GpuDevice, steps = 8): Promise<LanguageModelBench> {
  const { program } = checkFiles([join(packageRoot(), 'dsl-examples', 'learned_optimizer.gmn')]);
  const module = program.roots[0]!;
  const config = learnedOptimizationConfig([...module.symbols.tasks.values()][0]!, 'paper');
  const base = config.baseTasks.find((b) => b.kind === 'language_model')!;
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
  const inner: LanguageModelBench['inner'] = [];
  const particles: LanguageModelBench['particles'] = [];
  const measure = async (name: string, rule: DeviceRule, load: (device: DeviceInnerRuns, runs: number) => void) => {
    for (const runs of [1, PARTICLES]) {
      const device = await DeviceInnerRuns.create(gpu, data, rule, runs);
      const ms = await time(device, () => load(device, runs));
      device.release();
      if (runs === 1) inner.push({ name, itersPerS: 1000 / ms, stepMs: ms });
      else particles.push({ name, particleStepsPerS: (1000 * runs) / ms, stepMs: ms, runs });
    }
  };
  const thetas = Array.from({ length: PARTICLES }, () => task.initialTheta(rng));
  await measure('adam', { kind: 'adam', adam: { beta1: 0.9, beta2: 0.999, eps: 1e-8 } }, (d, runs) => d.loadAdam(thetas.slice(0, runs), thetas.slice(0, runs).map(() => 3e-3)));
  const nets = { ds_optimizer: 'ds', ds_gradmetanet: 'ds_gradmetanet', unf_local_optimizer: 'unf_local' };
  for (const [net, name] of Object.entries(nets)) {
    const entry = config.optimizers.find((o) => o.net === net)!;
    const optimizer = optimizerFor(program, module, entry, gradientSetSize(base, layout), layout);
    const phi = optimizer.initialMeta(PAPER_RULE, rng);
    const states = thetas.map((t) => initialRuleState(t));
    await measure(name, { kind: 'learned', optimizer }, (d, runs) => d.loadLearned(states.slice(0, runs), states.slice(0, runs).map(() => phi)));
  }
  return { inner, particles, params: task.paramCount };
}
