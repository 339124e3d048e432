// The learned optimizers' inner steps on the device, batched over PES particles (each with its own
// φ and its own state), against the float64 problem (features, gradient sets, F_ϕ and the rule in
// float64): for SGDM, DS, UNF, DS + GradMetaNet and UNF + GradMetaNet the states (θ, momenta, slot
// EMAs) and mean losses after a few steps agree to float32 accuracy; particles run together equal
// each particle run alone exactly; PES meta-training on the device resumes bit-identically.
import { afterAll, describe, expect, it } from 'vitest';
import { DeviceLearnedOptimizerProblem } from '../../runtime/tasks/learned-optimizer/device-problem.js';
import { PesMetaTrainer, type MetaTrainerState } from '../../runtime/tasks/learned-optimizer/meta-trainer.js';
import { PAPER_RULE, type RuleState } from '../../runtime/tasks/learned-optimizer/update-rule.js';
import { Rng } from '../../runtime/util/rng.js';
import { openTestGpu } from '../device/gpu-fixture.js';
import { OPTIMIZER_NETS, smallImageTask, smallOptimizer } from './device-fixture.js';
import { describeParticlesOnDevice } from './device-particles.js';

const gpu = await openTestGpu();
afterAll(() => gpu?.destroy());

const BATCH = 5;
const task = smallImageTask(BATCH);
const STEPS = 4;

for (const name of OPTIMIZER_NETS) describeParticlesOnDevice(name, gpu, task, () => smallOptimizer(name, BATCH), STEPS);

describe.skipIf(gpu === null)('PES meta-training with the device problem', () => {
  it('resumes bit-identically from its checkpoint (UNF + GradMetaNet)', async () => {
    const optimizer = smallOptimizer('unf_gradmetanet', BATCH);
    const device = new DeviceLearnedOptimizerProblem(gpu!, task, optimizer);
    const options = { pes: { pairs: 2, truncation: 2, horizon: 4, sigma: 0.01, accumulate: true, stagger: true, seed: 3 }, outerLr: 0.01, clip: 1 };
    const phi0 = optimizer.initialMeta(PAPER_RULE, new Rng(1));
    const straight = new PesMetaTrainer(device, options, phi0);
    const losses: number[] = [];
    for (let s = 0; s < 5; s++) losses.push(await straight.outerUpdate());
    const first = new PesMetaTrainer(device, options, phi0);
    for (let s = 0; s < 2; s++) await first.outerUpdate();
    const replace = (_: string, v: unknown) => (v instanceof Float64Array ? { f64: [...v] } : v);
    const revive = (_: string, v: unknown) => (typeof v === 'object' && v !== null && 'f64' in v ? Float64Array.from((v as { f64: number[] }).f64) : v);
    const saved = JSON.parse(JSON.stringify(first.state(), replace), revive) as MetaTrainerState<RuleState>;
    const resumed = new PesMetaTrainer(device, options, phi0, saved);
    const rest: number[] = [];
    for (let s = 0; s < 3; s++) rest.push(await resumed.outerUpdate());
    await device.release();
    expect(rest).toEqual(losses.slice(2));
    expect([...resumed.phi]).toEqual([...straight.phi]);
  });
});
