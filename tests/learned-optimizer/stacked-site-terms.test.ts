// UNF's F_ϕ under the step pass's stacked-site-terms: the np-group layer's 32 basis terms, planned
// for a batch of particles with the params as batched inputs (every particle its own ϕ), are one
// weight concatenation, one matmul and one `site_terms` on its channel blocks (a key-sum and a read
// kernel; the product is small, so the weights are not contracted inside the key sums), not 32 ×
// (matmul, key sums, key reads); on the device every particle's direction equals the float64
// reference of the unrewritten net under that particle's ϕ, on a small MLP and on the 64 → 32 → 10
// Fashion-MNIST MLP the learned optimizers train. UNF-local's layer on a small transformer (578
// terms: its product would not be small) contracts the stacked weights inside the key sums
// instead, and is checked the same way.
import { afterAll, describe, expect, it } from 'vitest';
import { paramsAsInputs } from '../../compiler/ir/params-as-inputs.js';
import { optimizeNet } from '../../compiler/optimize/passes.js';
import { mlpLayout } from '../../compiler/spaces/target.js';
import { planGraph } from '../../compiler/wgsl/plan.js';
import { layoutTables } from '../../runtime/gpu/index.js';
import { DeviceUpdateNet } from '../../runtime/tasks/learned-optimizer/device-update-net.js';
import { initialNetParams, updateDirection } from '../../runtime/tasks/learned-optimizer/update-net.js';
import { Rng } from '../../runtime/util/rng.js';
import { expectClose, openTestGpu } from '../device/gpu-fixture.js';
import { randomFeatures, SMALL_LM, SMALL_MLP, smallOptimizer, writeFeatures } from './device-fixture.js';

const gpu = await openTestGpu();
afterAll(() => gpu?.destroy());

const FASHION_MLP = mlpLayout('FashionMlp', { kind: 'mlp', widths: [64, 32, 10], activation: { kind: 'relu' }, init: 'kaiming' });
const PARTICLES = 3;

for (const layout of [SMALL_MLP, FASHION_MLP]) {
  describe(`unf_optimizer on ${layout.name} (${layout.paramCount} parameters), ${PARTICLES} particles`, () => {
    const net = smallOptimizer('unf_optimizer', 4, layout).net!;
    const P = layout.paramCount;

    it('the step pass stacks the 32 basis terms: one site_terms, no site_term, the layer in 7 dispatches', () => {
      const plan = planGraph(paramsAsInputs(optimizeNet(net.graph, net.inst)), net.inst, { batch: PARTICLES, tables: layoutTables(net.inst) });
      const ops = plan.optimized.nodes.map((n) => n.op);
      expect(ops.filter((op) => op.op === 'site_term')).toEqual([]);
      const stacked = ops.filter((op) => op.op === 'site_terms');
      expect(stacked.map((op) => op.terms.length)).toEqual([32]);
      const layer = plan.dispatches.filter((d) => d.label.includes('eqlinear')).map((d) => plan.kernels[d.kernel]!.name);
      // 32 weights in 3 concatenations (12 parts each at most), the matmul, key sums, reads, bias.
      expect(layer.filter((k) => k.startsWith('concat_'))).toEqual(['concat_12', 'concat_12', 'concat_8']);
      expect(layer.filter((k) => k.startsWith('site_'))).toEqual(['site_key_sum', 'site_terms_read']);
      expect(layer.length).toBe(7);
    });

    it.skipIf(gpu === null)('on the device, every particle\'s direction is its own F_ϕ (float32 vs float64)', async () => {
      await expectDirections(net, P);
    });
  });
}

describe(`unf_local_optimizer on ${SMALL_LM.name} (${SMALL_LM.paramCount} parameters), ${PARTICLES} particles`, () => {
  const net = smallOptimizer('unf_local_optimizer', 4, SMALL_LM).net!;

  it('the step pass stacks its terms into one site_terms of the features and the concatenated weights: key sums, contraction, reads', () => {
    const plan = planGraph(paramsAsInputs(optimizeNet(net.graph, net.inst)), net.inst, { batch: PARTICLES, tables: layoutTables(net.inst) });
    const stacked = plan.optimized.nodes.flatMap((n) => (n.op.op === 'site_terms' ? [n.op] : []));
    expect(stacked.map((op) => [op.terms.length, op.w !== null])).toEqual([[578, true]]);
    const layer = plan.dispatches.filter((d) => d.label.includes('eqlinear')).map((d) => plan.kernels[d.kernel]!.name);
    expect(layer.filter((k) => k.startsWith('site_'))).toEqual(['site_key_sum_v4', 'site_key_contract', 'site_terms_read']);
  });

  it.skipIf(gpu === null)('on the device, every particle\'s direction is its own F_ϕ (float32 vs float64)', async () => {
    await expectDirections(net, SMALL_LM.paramCount);
  });
});

/** PARTICLES random ϕ (each its own weights) and features: the device's directions against the float64 net. */
async function expectDirections(net: NonNullable<ReturnType<typeof smallOptimizer>['net']>, P: number): Promise<void> {
  const rng = new Rng(5);
  const phis = Array.from({ length: PARTICLES }, () => Float64Array.from(Float32Array.from(initialNetParams(net, rng), (x) => x * (1 + 0.5 * rng.normal()))));
  const drawn = randomFeatures(PARTICLES, P, rng);
  const want = phis.map((phi, k) => updateDirection(net, phi, drawn.features[k]!, undefined));
  const device = await DeviceUpdateNet.create(gpu!, net, PARTICLES);
  device.setPhi(Float32Array.from(phis.flatMap((phi) => [...phi])));
  writeFeatures(gpu!, device, drawn);
  const step = gpu!.step();
  device.record(step);
  const { data } = await step.submit([{ buffer: device.direction, bytes: PARTICLES * P * 4 }]);
  device.release();
  expectClose(new Float32Array(data[0]!), want.flatMap((w) => [...w]), 1e-4, 1e-5);
}
