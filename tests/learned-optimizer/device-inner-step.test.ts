// The learned optimizers' inner steps on the device, batched over PES particles (each with its own
// φ and its own state), against the float64 problem (features, gradient sets, F_ϕ and the rule in
// float64): for SGDM, DS, UNF, DS + GradMetaNet and UNF + GradMetaNet the states (θ, momenta, slot
// EMAs) and mean losses after a few steps agree to float32 accuracy; particles run together equal
// each particle run alone exactly; PES meta-training on the device resumes bit-identically.
import { afterAll, describe, it } from 'vitest';
import { openTestGpu } from '../device/gpu-fixture.js';
import { OPTIMIZER_NETS, smallImageTask, smallOptimizer } from './device-fixture.js';
import { describeParticlesOnDevice, expectPesResumesBitIdentically } from './device-particles.js';

const gpu = await openTestGpu();
afterAll(() => gpu?.destroy());

const BATCH = 5;
const task = smallImageTask(BATCH);
const STEPS = 4;

for (const name of OPTIMIZER_NETS) describeParticlesOnDevice(name, gpu, task, () => smallOptimizer(name, BATCH), STEPS);

describe.skipIf(gpu === null)('PES meta-training with the device problem', () => {
  it('resumes bit-identically from its checkpoint (UNF + GradMetaNet)', () => expectPesResumesBitIdentically(gpu!, task, smallOptimizer('unf_gradmetanet', BATCH), 5));
});
