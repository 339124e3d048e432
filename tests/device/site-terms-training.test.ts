// Training a net with np-group eqlinears on the device, where the step pass stacks each layer's
// site terms (stacked-site-terms: one matmul to the concatenated weights, one `site_terms`) in the
// training step's forward part: three Adam steps give the float64 reference executor's losses,
// parameters and forward output (float32 tolerance).
import { afterAll, describe, expect, it } from 'vitest';
import { buildTrainingStep } from '../../compiler/autodiff/index.js';
import { optimizeNet } from '../../compiler/optimize/passes.js';
import { planGraph } from '../../compiler/wgsl/plan.js';
import { layoutTables, WebGpuExecutor } from '../../runtime/gpu/index.js';
import type { TrainProgram } from '../../runtime/train/executor.js';
import { adam } from '../../runtime/train/optimizers.js';
import { ReferenceExecutor } from '../../runtime/train/reference-executor.js';
import { Rng } from '../../runtime/util/rng.js';
import { lowerSource, probe } from '../ir/lower-helpers.js';
import { expectClose, openTestGpu, randomBatch, randomState } from './gpu-fixture.js';

const gpu = await openTestGpu();
afterAll(() => gpu?.destroy());

describe.skipIf(gpu === null)('np eqlinears trained on the device', () => {
  it('two np layers + mse + adam: losses, params and forward as the reference\'s', async () => {
    const src = 'net f(grads: weights(T)[3]) -> weights(T)[1] {\n  return eqlinear(relu(eqlinear(grads, 4, group: np)), 1, group: np)\n}\n';
    const lowered = lowerSource(src, 'f', { target: probe([2, 3, 2]) });
    if (!lowered.ok) throw new Error(lowered.diagnostics.map((d) => d.message).join('; '));
    const { graph: net, instantiation: inst } = lowered.value;
    const optimizer = adam({ lr: 1e-2 });
    // The step graph the device runs (device-graphs.ts: the optimised net's training step) holds the
    // 4 → 1 layer's terms stacked in its forward part; the backward keeps per-term adjoints.
    const step = buildTrainingStep(optimizeNet(net, inst), inst, 'mse').graph;
    const planned = planGraph(step, inst, { batch: 2, tables: layoutTables(inst), outputs: [...step.outputs!.values()] }).optimized;
    expect(planned.nodes.filter((n) => n.op.op === 'site_terms').length).toBeGreaterThan(0);
    const program: TrainProgram = { net, inst, loss: 'mse', optimizer };
    const rng = new Rng(7);
    const batch = randomBatch(net, inst, 2, rng);
    const state = randomState(net, optimizer, rng);
    const ref = new ReferenceExecutor(program, state);
    const gpuExec = new WebGpuExecutor(gpu!, program, state);
    for (let t = 0; t < 3; t++) {
      const want = await ref.trainStep(batch);
      expect(Math.abs((await gpuExec.trainStep(batch)) - want)).toBeLessThan(1e-4 * Math.max(1, Math.abs(want)));
    }
    const [a, b] = [await ref.readState(), await gpuExec.readState()];
    for (const [name, p] of a.params) expectClose(b.params.get(name)!, p, 1e-3, 1e-4);
    expectClose((await gpuExec.forward(batch.inputs)).data, (await ref.forward(batch.inputs)).data, 1e-3, 1e-4);
    gpuExec.dispose();
  });
});
