// UNF's np layer on an MLP too wide for the stacked product (the CIFAR-100 stand-in's 192 → 128 → 100,
// 37,604 parameters × 32 terms > 2¹⁹ floats): the planner takes the contracted form of `site_terms`
// (the weights applied inside the key sums: compiler/optimize/rules/site-terms.ts), and F_ϕ on the
// device still equals the float64 net for every particle. The other UNF tests use small MLPs
// (matmul form) or a transformer.
import { afterAll, expect, it } from 'vitest';
import { paramsAsInputs } from '../../compiler/ir/params-as-inputs.js';
import { optimizeNet } from '../../compiler/optimize/passes.js';
import { mlpLayout } from '../../compiler/spaces/target.js';
import { planGraph } from '../../compiler/wgsl/plan.js';
import { layoutTables } from '../../runtime/gpu/index.js';
import { DeviceUpdateNet } from '../../runtime/tasks/learned-optimizer/device-update-net.js';
import { initialNetParams, updateDirection } from '../../runtime/tasks/learned-optimizer/update-net.js';
import { Rng } from '../../runtime/util/rng.js';
import { expectClose, openTestGpu } from '../device/gpu-fixture.js';
import { randomFeatures, smallOptimizer, writeFeatures } from './device-fixture.js';

const gpu = await openTestGpu();
afterAll(() => gpu?.destroy());

const WIDE = mlpLayout('Wide', { kind: 'mlp', widths: [192, 128, 100], activation: { kind: 'relu' }, init: 'kaiming' });
const PARTICLES = 2;
const net = smallOptimizer('unf_optimizer', 4, WIDE).net!;

it('plans the np layer in the contracted form', () => {
  const plan = planGraph(paramsAsInputs(optimizeNet(net.graph, net.inst)), net.inst, { batch: PARTICLES, tables: layoutTables(net.inst) });
  expect(plan.kernels.map((k) => k.name)).toContain('site_key_contract');
});

it.skipIf(gpu === null)('every particle\'s F_ϕ on the device equals the float64 net\'s', async () => {
  const P = WIDE.paramCount;
  const rng = new Rng(3);
  const phis = Array.from({ length: PARTICLES }, () => Float64Array.from(Float32Array.from(initialNetParams(net, rng), (x) => x * (1 + 0.5 * rng.normal()))));
  const drawn = randomFeatures(PARTICLES, P, rng);
  const want = phis.flatMap((phi, k) => [...updateDirection(net, phi, drawn.features[k]!, undefined)]);
  const device = await DeviceUpdateNet.create(gpu!, net, PARTICLES);
  device.setPhi(Float32Array.from(phis.flatMap((phi) => [...phi])));
  writeFeatures(gpu!, device, drawn);
  const step = gpu!.step();
  device.record(step);
  const { data } = await step.submit([{ buffer: device.direction, bytes: PARTICLES * P * 4 }]);
  device.release();
  expectClose(new Float32Array(data[0]!), want, 1e-4, 1e-5);
});
