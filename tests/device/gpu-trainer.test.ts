// The WebGPU Executor (forward + training step + state) against the float64 reference Executor:
// the same program from the same state gives the same losses, parameters and optimizer slots
// (float32 tolerance) over three steps, for Adam, AdamW (cosine schedule), SGD with momentum, and SGD and
// Adam with gradient-norm clipping; writeState then
// continues exactly from a given state.
import { afterAll, describe, expect, it } from 'vitest';
import { WebGpuExecutor } from '../../runtime/gpu/index.js';
import type { TrainProgram } from '../../runtime/train/executor.js';
import { adam, type OptimizerConfig } from '../../runtime/train/optimizers.js';
import { ReferenceExecutor } from '../../runtime/train/reference-executor.js';
import { Rng } from '../../runtime/util/rng.js';
import { lowerSource, probe } from '../ir/lower-helpers.js';
import { expectClose, openTestGpu, randomBatch, randomState } from './gpu-fixture.js';

const gpu = await openTestGpu();
afterAll(() => gpu?.destroy());

const OPTIMIZERS: OptimizerConfig[] = [
  adam({ lr: 1e-2 }),
  // AdamW with a cosine schedule over the 3 steps: each step's learning rate reaches the kernel.
  adam({ lr: 1e-2, weightDecay: 0.01, schedule: { kind: 'cosine', steps: 3 } }, true),
  { kind: 'sgd', lr: 1e-2, momentum: 0.9, weightDecay: 0.01 },
  // Gradient-norm clipping far below the gradients' norm: every step's gradients are scaled (SGD's
  // step and Adam's moments show the factor).
  { kind: 'sgd', lr: 1e-2, momentum: 0.9, weightDecay: 0, clipNorm: 1e-3 },
  adam({ lr: 1e-2, clipNorm: 1e-3 }),
];

describe.skipIf(gpu === null)('WebGPU executor vs reference executor', () => {
  // GradMetaNet++ (attention, layer norm, per-set-element readout) with Adam: the GPU's rewrites
  // (the optimisation stage's net pass) and attention VJP kernels against the reference's plain graph.
  const CASES: Array<{ module: string; optimizer: OptimizerConfig }> = [...OPTIMIZERS.map((optimizer) => ({ module: 'gradmetanet', optimizer })), { module: 'gradmetanet_pp', optimizer: adam({ lr: 1e-2 }) }];
  for (const { module, optimizer } of CASES) {
    it(`${module} + mse + ${optimizer.kind}: losses, params, optimizer slots, forward`, async () => {
      const lowered = lowerSource(`use std/${module}\n`, module, { target: probe([1, 3, 4, 1]), b: 3, args: { width: 8 } });
      if (!lowered.ok) throw new Error(lowered.diagnostics.map((d) => d.message).join('; '));
      const { graph: net, instantiation: inst } = lowered.value;
      const program: TrainProgram = { net, inst, loss: 'mse', optimizer };
      const rng = new Rng(5);
      const B = 3;
      const batch = randomBatch(net, inst, B, rng);
      const state = randomState(net, optimizer, rng);
      const ref = new ReferenceExecutor(program, state);
      const gpuExec = new WebGpuExecutor(gpu!, program, state);
      expect(gpuExec.backend).toMatch(/^webgpu: /);
      for (let t = 0; t < 3; t++) {
        const want = await ref.trainStep(batch);
        const got = await gpuExec.trainStep(batch);
        expect(Math.abs(got - want)).toBeLessThan(1e-4 * Math.max(1, Math.abs(want)));
      }
      const [a, b] = [await ref.readState(), await gpuExec.readState()];
      expect(b.step).toBe(3);
      for (const [name, p] of a.params) {
        expectClose(b.params.get(name)!, p, 1e-3, 1e-4);
        a.optimizer.slots.get(name)!.forEach((slot, i) => expectClose(b.optimizer.slots.get(name)![i]!, slot, 1e-3, 1e-5));
      }
      expectClose((await gpuExec.forward(batch.inputs)).data, (await ref.forward(batch.inputs)).data, 1e-3, 1e-4);
      // Continue both from the reference's exact state: the next step agrees again.
      await gpuExec.writeState(a);
      expect(Math.abs((await gpuExec.trainStep(batch)) - (await ref.trainStep(batch)))).toBeLessThan(1e-4);
      gpuExec.dispose();
    });
  }
});
