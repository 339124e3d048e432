// The language-model base task on the device (device-lm-target.ts) against the float64 task: PES
// particles of SGDM, DS, UNF-local and DS + GradMetaNet (each with its own φ and batches of windows)
// give the states (θ, momenta, slot EMAs of the per-token Γ) and mean losses of the float64 problem
// after a few steps to float32 accuracy; particles run together equal each particle run alone
// exactly; the evaluation curves of Adam and of a learned optimizer equal the float64 curves; PES
// meta-training resumes bit-identically. UNF-local's np layer is one `site_terms` of its 578 basis
// terms on this transformer, the weights contracted inside the key sums (UNF's complete layer on a
// transformer is refused: learned_optimizer.gmn).
import { afterAll, describe, expect, it } from 'vitest';
import { deviceAdamCurves, deviceLearnedCurves } from '../../runtime/tasks/learned-optimizer/device-evaluation.js';
import { adamCurve, learnedCurve } from '../../runtime/tasks/learned-optimizer/evaluation.js';
import { PAPER_RULE } from '../../runtime/tasks/learned-optimizer/update-rule.js';
import { Rng } from '../../runtime/util/rng.js';
import { expectClose, openTestGpu } from '../device/gpu-fixture.js';
import { LM_OPTIMIZER_NETS, SMALL_LM, smallOptimizer, smallTextTask } from './device-fixture.js';
import { describeParticlesOnDevice, expectPesResumesBitIdentically } from './device-particles.js';

const gpu = await openTestGpu();
afterAll(() => gpu?.destroy());

const BATCH = 3;
const task = smallTextTask(BATCH);
/** GradMetaNet's set: every token of the batch. */
const SET = BATCH * (SMALL_LM.spec.kind === 'transformer' ? SMALL_LM.spec.seq : 0);
const STEPS = 3;

for (const name of LM_OPTIMIZER_NETS) describeParticlesOnDevice(`${name} on the LM`, gpu, task, () => smallOptimizer(name, SET, SMALL_LM), STEPS);

describe.skipIf(gpu === null)('the LM on the device: evaluation and PES', () => {
  const SEEDS = [1, 2];
  const OPTIONS = { horizon: 5, every: 2 };

  it('Adam, two rates of the grid in one batch: every rate\'s and seed\'s test-loss curve equals the float64 curve (steps 0, 2, 4, 5)', async () => {
    const rates = [0.01, 0.003];
    const got = await deviceAdamCurves(gpu!, task, rates, SEEDS, OPTIONS);
    rates.forEach((lr, i) => SEEDS.forEach((seed, r) => {
      const want = adamCurve(task, lr, { ...OPTIONS, seed });
      expect(got[i]![r]!.steps).toEqual([0, 2, 4, 5]);
      expectClose(got[i]![r]!.losses, want.losses, 1e-4, 1e-5);
    }));
  });

  it('DS + GradMetaNet with a perturbed φ: every seed\'s curve equals the float64 curve', async () => {
    const optimizer = smallOptimizer('ds_gradmetanet', SET, SMALL_LM);
    const rng = new Rng(6);
    const phi = optimizer.initialMeta(PAPER_RULE, rng).map((x) => x + 0.05 * rng.normal());
    phi[2] = Math.log(0.5);
    const got = await deviceLearnedCurves(gpu!, task, optimizer, phi, SEEDS, OPTIONS);
    SEEDS.forEach((seed, r) => {
      const want = learnedCurve(task, optimizer, phi, { ...OPTIONS, seed });
      expect(got[r]!.steps).toEqual(want.steps);
      expectClose(got[r]!.losses, want.losses, 1e-4, 1e-5);
    });
  });

  it('PES meta-training resumes bit-identically from its checkpoint (DS + GradMetaNet)', () => expectPesResumesBitIdentically(gpu!, task, smallOptimizer('ds_gradmetanet', SET, SMALL_LM), 4));
});
