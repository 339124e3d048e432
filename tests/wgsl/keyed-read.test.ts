// A keyed mean (segment_mean, site_term) read only by elementwise kernels is not written out at
// full size: the planner computes its per-key means (site_key_mean) and the readers look each
// position's key up. blocknorm's two segment means on a small MLP, planned for a batch of 2, agree
// with the float64 reference executor.
import { afterAll, describe, expect, it } from 'vitest';
import { shapeOf } from '../../compiler/ir/types.js';
import { optimizeNet } from '../../compiler/optimize/passes.js';
import { planGraph } from '../../compiler/wgsl/plan.js';
import { GpuExecutor, layoutTables } from '../../runtime/gpu/index.js';
import { executeGraph, tensor } from '../../runtime/reference/index.js';
import { Rng } from '../../runtime/util/rng.js';
import { expectClose, openTestGpu } from '../device/gpu-fixture.js';
import { lowerSource, probe } from '../ir/lower-helpers.js';

const gpu = await openTestGpu();
afterAll(() => gpu?.destroy());

const src = 'net f(x: weights(T)[6]) -> weights(T)[6] {\n  return relu(blocknorm(x)) * x\n}\n';

describe('keyed means read through their key table', () => {
  const lowered = lowerSource(src, 'f', { target: probe([2, 5, 3, 1]) });
  if (!lowered.ok) throw new Error(lowered.diagnostics[0]!.message);
  const { graph, instantiation } = lowered.value;

  it('blocknorm plans its segment means as per-key means, with no full-size read pass', () => {
    const plan = planGraph(optimizeNet(graph, instantiation), instantiation, { batch: 2, tables: layoutTables(instantiation) });
    const names = plan.dispatches.map((d) => plan.kernels[d.kernel]!.name);
    expect(names.filter((n) => n === 'site_key_mean').length).toBe(2);
    expect(names).not.toContain('site_key_read');
    expect(names).not.toContain('site_key_sum');
  });

  it.skipIf(gpu === null)('and agrees with the float64 reference', async () => {
    const rng = new Rng(5);
    const batch = 2;
    const inputs = new Map([...graph.inputs].map(([name, id]) => {
      const shape = [batch, ...shapeOf(graph.nodes[id]!.type, instantiation)];
      return [name, tensor(shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => 1 + rng.normal()))] as const;
    }));
    const want = executeGraph(graph, instantiation, inputs, new Map()).output;
    const exec = new GpuExecutor(gpu!, graph, instantiation, { tables: layoutTables(instantiation) });
    const { values } = await exec.run(new Map([...inputs].map(([k, t]) => [k, t.data])), batch);
    expectClose(values.get(graph.output)!, want.data, 1e-4, 1e-5);
    exec.release();
  });
});
