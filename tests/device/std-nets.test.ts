// Every net of std/ lowered for a small target runs on the GPU executor and agrees with the float64
// reference executor (the oracle) on random inputs and parameters.
import { afterAll, describe, expect, it } from 'vitest';
import { shapeOf } from '../../compiler/ir/types.js';
import { executeGraph, tensor } from '../../runtime/reference/index.js';
import { GpuExecutor, layoutTables } from '../../runtime/gpu/index.js';
import { Rng } from '../../runtime/util/rng.js';
import { lowerSource, probe } from '../ir/lower-helpers.js';
import { expectClose, openTestGpu } from './gpu-fixture.js';

const gpu = await openTestGpu();
afterAll(() => gpu?.destroy());

const NETS: { module: string; net: string; args?: Record<string, number> }[] = [
  { module: 'gradmetanet', net: 'gradmetanet', args: { width: 8 } },
  { module: 'gradmetanet', net: 'gradmetanet_vec', args: { width: 8 } },
  { module: 'gradmetanet', net: 'gradmetanet_theta', args: { width: 8 } },
  { module: 'gradmetanet_pp', net: 'gradmetanet_pp', args: { width: 8 } },
  { module: 'gradmetanet_pp', net: 'gradmetanet_pp_product', args: { width: 8 } },
  { module: 'baselines', net: 'mlp_concat' },
  { module: 'baselines', net: 'dws_concat' },
  { module: 'baselines', net: 'dws_average' },
  { module: 'baselines', net: 'gmn_concat' },
  { module: 'baselines', net: 'gmn_average' },
  { module: 'baselines', net: 'batch_asymmetric' },
  { module: 'baselines', net: 'neuron_asymmetric' },
  { module: 'baselines', net: 'standard_estimator' },
];

describe.skipIf(gpu === null)('std nets: GPU executor vs float64 reference', () => {
  for (const { module, net, args } of NETS) {
    it(`${module}.${net}`, async () => {
      const lowered = lowerSource(`use std/${module}\n`, net, { target: probe([1, 3, 5, 1]), b: 3, ...(args ? { args } : {}) });
      if (!lowered.ok) throw new Error(`${net} does not lower: ${lowered.diagnostics.map((d) => d.message).join('; ')}`);
      const { graph, instantiation } = lowered.value;
      const rng = new Rng(net.length * 7919);
      const batch = 2;
      const inputs = new Map([...graph.inputs].map(([name, id]) => {
        const shape = [batch, ...shapeOf(graph.nodes[id]!.type, instantiation)];
        return [name, tensor(shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()))] as const;
      }));
      const params = new Map(graph.nodes.flatMap((n) => (n.op.op === 'param'
        ? [[n.op.name, Float64Array.from({ length: n.op.shape.reduce((a, b) => a * b, 1) }, () => rng.normal() * 0.5)] as const]
        : [])));
      const want = executeGraph(graph, instantiation, inputs, params).output;
      const exec = new GpuExecutor(gpu!, graph, instantiation, { tables: layoutTables(instantiation) });
      exec.setParams(params);
      const { values } = await exec.run(new Map([...inputs].map(([k, t]) => [k, t.data])), batch);
      const got = values.get(graph.output)!;
      expect(got.length).toBe(want.data.length);
      const scale = Math.max(1, ...want.data.map(Math.abs));
      expectClose(got, want.data, 1e-4, 1e-5 * scale);
      exec.release();
    });
  }
});
