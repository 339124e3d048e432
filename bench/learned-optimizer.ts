// Learned-optimizer throughput (the counterpart of the paper's Table 8): inner steps per second of
// Adam, UNF and UNF + GradMetaNet training dsl-examples/learned_optimizer.gmn's Fashion-MNIST MLP
// (64 → 32 → 10, batch 128, the paper's task 1), and the time of one PES outer step (2 antithetic
// pairs, truncation 5) of UNF. The inner steps run in float64 on the CPU (the task's runner): one
// step = a batch's forward and backward (with its Γ_b), the features, F_ϕ (and GradMetaNet_ψ) and
// the update.
import { join } from 'node:path';
import { checkFiles } from '../compiler/check.js';
import { packageRoot } from '../compiler/resolve/package-root.js';
import { baseTaskLayout, loadBaseTask } from '../runtime/tasks/learned-optimizer/base-task.js';
import { learnedOptimizationConfig, type UpdateNetConfig } from '../runtime/tasks/learned-optimizer/config.js';
import { LearnedOptimizerProblem } from '../runtime/tasks/learned-optimizer/inner-task.js';
import { optimizerFor } from '../runtime/tasks/learned-optimizer/learned-optimizer.js';
import { PesMetaTrainer } from '../runtime/tasks/learned-optimizer/meta-trainer.js';
import { initialRuleState, PAPER_RULE } from '../runtime/tasks/learned-optimizer/update-rule.js';
import { adam, optimizerUpdate } from '../runtime/train/optimizers.js';
import { Rng } from '../runtime/util/rng.js';

export interface LearnedOptimizerBench {
  /** Inner steps per second, by optimizer: adam, unf, unf_gradmetanet. */
  inner: { name: string; itersPerS: number; stepMs: number }[];
  pesOuterStepMs: number;
  params: number;
}

const OPTIMIZERS: [string, string][] = [['unf', 'unf_optimizer'], ['unf_gradmetanet', 'unf_gradmetanet']];

export async function benchLearnedOptimizer(steps = 3): Promise<LearnedOptimizerBench> {
  const { program } = checkFiles([join(packageRoot(), 'dsl-examples', 'learned_optimizer.gmn')]);
  const module = program.roots[0]!;
  const config = learnedOptimizationConfig([...module.symbols.tasks.values()][0]!, 'paper');
  const base = config.baseTasks.find((b) => b.kind === 'image_mlp')!;
  const layout = baseTaskLayout(module, base);
  const task = loadBaseTask(base, layout, () => {});
  const time = (step: () => void, n = steps): number => {
    step(); // warm-up (first-call costs, caches)
    const start = performance.now();
    for (let s = 0; s < n; s++) step();
    return (performance.now() - start) / n;
  };
  const rng = new Rng(0);
  const inner: LearnedOptimizerBench['inner'] = [];
  {
    const theta = task.initialTheta(rng);
    const slots = [new Float64Array(task.paramCount), new Float64Array(task.paramCount)];
    let t = 0;
    const ms = time(() => optimizerUpdate(adam({ lr: 3e-3 }), theta, task.trainLoss(theta, rng).grad, slots, t++));
    inner.push({ name: 'adam', itersPerS: 1000 / ms, stepMs: ms });
  }
  const entry = (net: string): UpdateNetConfig => ({ net, args: new Map(), span: base.span });
  for (const [name, net] of OPTIMIZERS) {
    const optimizer = optimizerFor(program, module, entry(net), base.batch, layout);
    const phi = optimizer.initialMeta(PAPER_RULE, rng);
    const state = initialRuleState(task.initialTheta(rng));
    const ms = time(() => {
      const b = task.trainLoss(state.theta, rng);
      optimizer.step(state, b.grad, phi, task.tensors, b.factors);
    });
    inner.push({ name, itersPerS: 1000 / ms, stepMs: ms });
  }
  const unf = optimizerFor(program, module, entry('unf_optimizer'), base.batch, layout);
  const pes = { pairs: 2, truncation: 5, horizon: 10, sigma: 0.01, accumulate: true, stagger: false, seed: 0 };
  const trainer = new PesMetaTrainer(new LearnedOptimizerProblem(task, unf), { pes, outerLr: 1e-4, clip: 1 }, unf.initialMeta(PAPER_RULE, rng));
  const outerStart = performance.now();
  await trainer.outerUpdate();
  const pesOuterStepMs = performance.now() - outerStart;
  return { inner, pesOuterStepMs, params: task.paramCount };
}
