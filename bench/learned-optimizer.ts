// Learned-optimizer throughput (the counterpart of the paper's Table 8): inner steps per second of
// Adam, DS, UNF and UNF + GradMetaNet training dsl-examples/learned_optimizer.gmn's Fashion-MNIST MLP
// (64 → 32 → 10, batch 128, the paper's task 1) on the device, the task's runner
// (runtime/tasks/learned-optimizer/device-inner-runs.ts): one step = the batch's forward and
// backward with its Γ_b, then Adam, or the features, GradMetaNet_ψ, F_ϕ and the learned update.
// `inner` is one inner run (the paper's figure); `particles` is the same step for the 16 runs of a
// PES estimate with the paper's 8 antithetic pairs, batched (particle-steps/s). Then the time of one
// PES outer step of UNF (2 antithetic pairs, truncation 5) and of UNF + GradMetaNet (8 pairs,
// truncation 5).
import type { GpuDevice } from '../runtime/device/index.js';
import type { UpdateNetConfig } from '../runtime/tasks/learned-optimizer/config.js';
import { DeviceLearnedOptimizerProblem } from '../runtime/tasks/learned-optimizer/device-problem.js';
import { optimizerFor } from '../runtime/tasks/learned-optimizer/learned-optimizer.js';
import { PesMetaTrainer } from '../runtime/tasks/learned-optimizer/meta-trainer.js';
import { initialRuleState, PAPER_RULE } from '../runtime/tasks/learned-optimizer/update-rule.js';
import { Rng } from '../runtime/util/rng.js';
import { benchBaseTask, timeInnerSteps, type InnerStepFigures } from './inner-steps.js';

export interface LearnedOptimizerBench extends InnerStepFigures {
  pes: { name: string; ms: number; pairs: number; truncation: number }[];
  params: number;
}

// DS is the PyTorch anchor's learned rule (../shared/bench/torch_lopt.py), so its line is the comparable one.
const LEARNED: [string, string][] = [['ds', 'ds_optimizer'], ['unf', 'unf_optimizer'], ['unf_gradmetanet', 'unf_gradmetanet']];
const PARTICLES = 16;

export async function benchLearnedOptimizer(gpu: GpuDevice, steps = 10): Promise<LearnedOptimizerBench> {
  const bench = await benchBaseTask(gpu, 'image_mlp');
  const { program, module, base, layout, task } = bench;
  const rng = new Rng(0);
  const figures: InnerStepFigures = { inner: [], particles: [] };
  const thetas = Array.from({ length: PARTICLES }, () => task.initialTheta(rng));
  await timeInnerSteps(gpu, bench, figures, 'adam', { kind: 'adam', adam: { beta1: 0.9, beta2: 0.999, eps: 1e-8 } },
    (d, runs) => d.loadAdam(thetas.slice(0, runs), thetas.slice(0, runs).map(() => 3e-3)), PARTICLES, steps);
  const entry = (net: string): UpdateNetConfig => ({ net, args: new Map(), span: base.span });
  for (const [name, net] of LEARNED) {
    const optimizer = optimizerFor(program, module, entry(net), base.batch, layout);
    const phi = optimizer.initialMeta(PAPER_RULE, rng);
    const states = thetas.map((t) => initialRuleState(t));
    await timeInnerSteps(gpu, bench, figures, name, { kind: 'learned', optimizer },
      (d, runs) => d.loadLearned(states.slice(0, runs), states.slice(0, runs).map(() => phi)), PARTICLES, steps);
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
  return { ...figures, pes, params: task.paramCount };
}
