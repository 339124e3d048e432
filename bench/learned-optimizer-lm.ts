// Learned-optimizer throughput on the LM1B stand-in (the LM column of the paper's Table 8): inner
// steps per second training learned_optimizer.gmn's `Lm1b` transformer (2 pre-LN blocks, d_model 32,
// batch 8 sequences of 8 bytes) with Adam, DS and DS + GradMetaNet. UNF is not run on the LM (its
// np layer on the transformer is refused: 9,428 basis terms), so DS stands in for it. The
// transformer has no device form: these steps run in float64 on the CPU, the task's runner for it.
import { join } from 'node:path';
import { checkFiles } from '../compiler/check.js';
import { packageRoot } from '../compiler/resolve/package-root.js';
import { baseTaskLayout, gradientSetSize, loadBaseTask } from '../runtime/tasks/learned-optimizer/base-task.js';
import { learnedOptimizationConfig } from '../runtime/tasks/learned-optimizer/config.js';
import { optimizerFor } from '../runtime/tasks/learned-optimizer/learned-optimizer.js';
import { initialRuleState, PAPER_RULE } from '../runtime/tasks/learned-optimizer/update-rule.js';
import { adam, optimizerUpdate } from '../runtime/train/optimizers.js';
import { Rng } from '../runtime/util/rng.js';

export interface LanguageModelBench {
  inner: { name: string; itersPerS: number; stepMs: number }[];
  params: number;
}

/** `steps` timed steps per optimizer after one warm-up step (a DS + GradMetaNet step takes seconds). */
export function benchLanguageModelOptimizers(steps = 2): LanguageModelBench {
  const { program } = checkFiles([join(packageRoot(), 'dsl-examples', 'learned_optimizer.gmn')]);
  const module = program.roots[0]!;
  const config = learnedOptimizationConfig([...module.symbols.tasks.values()][0]!, 'paper');
  const base = config.baseTasks.find((b) => b.kind === 'language_model')!;
  const layout = baseTaskLayout(module, base);
  const task = loadBaseTask(base, layout, () => {});
  const rng = new Rng(0);
  const time = (step: () => void): number => {
    step();
    const start = performance.now();
    for (let s = 0; s < steps; s++) step();
    return (performance.now() - start) / steps;
  };
  const inner: LanguageModelBench['inner'] = [];
  const theta = task.initialTheta(rng);
  const slots = [new Float64Array(task.paramCount), new Float64Array(task.paramCount)];
  let t = 0;
  const adamMs = time(() => optimizerUpdate(adam({ lr: 3e-3 }), theta, task.trainLoss(theta, rng).grad, slots, t++));
  inner.push({ name: 'adam', itersPerS: 1000 / adamMs, stepMs: adamMs });
  for (const net of ['ds_optimizer', 'ds_gradmetanet']) {
    const entry = config.optimizers.find((o) => o.net === net)!;
    const optimizer = optimizerFor(program, module, entry, gradientSetSize(base, layout), layout);
    const phi = optimizer.initialMeta(PAPER_RULE, rng);
    const state = initialRuleState(task.initialTheta(rng));
    const ms = time(() => {
      const b = task.trainLoss(state.theta, rng);
      optimizer.step(state, b.grad, phi, task.tensors, b.factors);
    });
    inner.push({ name: net === 'ds_optimizer' ? 'ds' : 'ds_gradmetanet', itersPerS: 1000 / ms, stepMs: ms });
  }
  return { inner, params: task.paramCount };
}
