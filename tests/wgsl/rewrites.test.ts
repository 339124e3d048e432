// The GPU executor's rewrites before autodiff — matmul(gather(x), W) → gather(matmul(x, W)), and a
// sum/mean over the set moved inside matmul/select/bias — keep every output and parameter gradient
// of the nets (float64 reference executor); no channel map of a gathered value is left, and
// GradMetaNet++'s readout no longer reduces a channel map's output over the set.
import { describe, expect, it } from 'vitest';
import { buildTrainingStep, STEP_COTANGENT, STEP_TARGET } from '../../compiler/autodiff/index.js';
import { shapeOf } from '../../compiler/ir/types.js';
import { gatherAfterLinear } from '../../compiler/wgsl/gather-last.js';
import { reduceFirst } from '../../compiler/wgsl/reduce-first.js';
import { executeGraph, tensor } from '../../runtime/reference/index.js';
import { Rng } from '../../runtime/util/rng.js';
import { lowerSource, probe } from '../ir/lower-helpers.js';
import { expectClose } from '../device/gpu-fixture.js';

const NETS: Array<{ module: string; net: string; args: Record<string, number> }> = [
  { module: 'gradmetanet_pp', net: 'gradmetanet_pp', args: { width: 8 } },
  { module: 'gradmetanet', net: 'gradmetanet', args: { width: 8 } },
  { module: 'baselines', net: 'gmn_concat', args: {} },
];

describe('graph rewrites before autodiff', () => {
  for (const { module, net, args } of NETS) {
    it(`${net}: same outputs and gradients, no matmul of a gather, set sums first`, () => {
      const lowered = lowerSource(`use std/${module}\n`, net, { target: probe([1, 3, 5, 1]), b: 3, args });
      if (!lowered.ok) throw new Error(lowered.diagnostics.map((d) => d.message).join('; '));
      const { graph, instantiation: inst } = lowered.value;
      const rewritten = reduceFirst(gatherAfterLinear(graph));
      const matmulsOfGathers = (g: typeof graph): number => g.nodes.filter((n) => n.op.op === 'matmul' && g.nodes[n.op.x]!.op.op === 'gather').length;
      expect(matmulsOfGathers(graph)).toBeGreaterThan(0);
      expect(matmulsOfGathers(rewritten)).toBe(0);
      const reducedMatmuls = (g: typeof graph): number => g.nodes.filter((n) => n.op.op === 'reduce' && n.op.axes.join() === 'set' && ['matmul', 'select'].includes(g.nodes[n.op.x]!.op.op)).length;
      if (net === 'gradmetanet_pp') {
        expect(reducedMatmuls(graph)).toBeGreaterThan(0);
        expect(reducedMatmuls(rewritten)).toBe(0);
      }

      const rng = new Rng(3);
      const B = 2;
      const random = (shape: number[]) => tensor(shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()));
      const inputs = new Map([...graph.inputs].map(([name, id]) => [name, random([B, ...shapeOf(graph.nodes[id]!.type, inst)])] as const));
      const params = new Map(graph.nodes.flatMap((n) => (n.op.op === 'param' ? [[n.op.name, random(n.op.shape).data] as const] : [])));
      const [a, b] = [buildTrainingStep(graph, inst, 'mse'), buildTrainingStep(rewritten, inst, 'mse')];
      const stepInputs = new Map(inputs);
      stepInputs.set(STEP_TARGET, random([B, ...shapeOf(graph.nodes[graph.output]!.type, inst)]));
      stepInputs.set(STEP_COTANGENT, tensor([B], [0.5, 0.5]));
      const [ra, rb] = [executeGraph(a.graph, inst, stepInputs, params, { batch: B }), executeGraph(b.graph, inst, stepInputs, params, { batch: B })];
      expect(ra.outputs.size).toBeGreaterThan(2);
      expect([...rb.outputs.keys()].sort()).toEqual([...ra.outputs.keys()].sort());
      for (const [name, value] of ra.outputs) expectClose(rb.outputs.get(name)!.data, value.data, 1e-10, 1e-12);
    });
  }
});
