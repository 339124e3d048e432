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
import type { GpuDevice } from '../runtime/device/index.js';
import { gradientSetSize } from '../runtime/tasks/learned-optimizer/base-task.js';
import { optimizerFor } from '../runtime/tasks/learned-optimizer/learned-optimizer.js';
import { initialRuleState, PAPER_RULE } from '../runtime/tasks/learned-optimizer/update-rule.js';
import { Rng } from '../runtime/util/rng.js';
import { benchBaseTask, timeInnerSteps, type InnerStepFigures } from './inner-steps.js';

export interface LanguageModelBench extends InnerStepFigures {
  params: number;
}

const PARTICLES = 4;

/** `steps` timed steps per optimizer and run count after one warm-up step. */
export async function benchLanguageModelOptimizers(gpu: GpuDevice, steps = 8): Promise<LanguageModelBench> {
  const bench = await benchBaseTask(gpu, 'language_model');
  const { program, module, config, base, layout, task } = bench;
  const rng = new Rng(0);
  const figures: InnerStepFigures = { inner: [], particles: [] };
  const thetas = Array.from({ length: PARTICLES }, () => task.initialTheta(rng));
  await timeInnerSteps(gpu, bench, figures, 'adam', { kind: 'adam', adam: { beta1: 0.9, beta2: 0.999, eps: 1e-8 } },
    (d, runs) => d.loadAdam(thetas.slice(0, runs), thetas.slice(0, runs).map(() => 3e-3)), PARTICLES, steps);
  const nets = { ds_optimizer: 'ds', ds_gradmetanet: 'ds_gradmetanet', unf_local_optimizer: 'unf_local' };
  for (const [net, name] of Object.entries(nets)) {
    const entry = config.optimizers.find((o) => o.net === net)!;
    const optimizer = optimizerFor(program, module, entry, gradientSetSize(base, layout), layout);
    const phi = optimizer.initialMeta(PAPER_RULE, rng);
    const states = thetas.map((t) => initialRuleState(t));
    await timeInnerSteps(gpu, bench, figures, name, { kind: 'learned', optimizer },
      (d, runs) => d.loadLearned(states.slice(0, runs), states.slice(0, runs).map(() => phi)), PARTICLES, steps);
  }
  return { ...figures, params: task.paramCount };
}
