// The optimisation stage on the std nets, as the GPU runs them: the net pass keeps every output and
// every parameter gradient of the training step (float64 reference executor), and does what it is
// for on each net — GradMetaNet never builds concat(grads, posenc), no channel map reads a gathered
// value, GradMetaNet++'s readout runs its last channel maps once per set.
import { describe, expect, it } from 'vitest';
import type { Graph } from '../../compiler/ir/ops.js';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { NET_RULES, optimizeNet, optimizeStep, STEP_RULES } from '../../compiler/optimize/passes.js';
import { buildTrainingStep } from '../../compiler/autodiff/index.js';
import { verifyGraph } from '../../runtime/verify/index.js';
import { lowerSource, probe } from '../ir/lower-helpers.js';
import { expectGolden, expectSameFunction, expectSameGradients } from './check.js';

const NETS: Array<{ module: string; net: string; args: Record<string, number> }> = [
  { module: 'gradmetanet', net: 'gradmetanet', args: { width: 8 } },
  { module: 'gradmetanet_pp', net: 'gradmetanet_pp', args: { width: 8 } },
  { module: 'baselines', net: 'gmn_concat', args: {} },
  { module: 'baselines', net: 'dws_concat', args: {} },
];

const count = (g: Graph, test: (n: Graph['nodes'][number]) => boolean): number => g.nodes.filter(test).length;
const matmulsOf = (g: Graph, op: string): number => count(g, (n) => n.op.op === 'matmul' && g.nodes[n.op.x]!.op.op === op);

function lowered(module: string, net: string, args: Record<string, number>) {
  const r = lowerSource(`use std/${module}\n`, net, { target: probe([1, 3, 5, 1]), b: 3, args });
  if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
  return r.value;
}

describe('optimizeNet on the std nets', () => {
  for (const { module, net, args } of NETS) {
    it(`${net}: same outputs and parameter gradients; no channel map of a gather or a concatenation`, () => {
      const { graph, instantiation: inst } = lowered(module, net, args);
      const after = optimizeNet(graph, inst);
      expect(matmulsOf(graph, 'gather') + matmulsOf(graph, 'concat')).toBeGreaterThan(0);
      expect(matmulsOf(after, 'gather')).toBe(0);
      expect(matmulsOf(after, 'concat')).toBe(0);
      expectSameFunction(graph, after, inst);
      expectSameGradients(graph, after, inst);
    });
  }

  it('what the device runs is still equivariant: the optimised nets pass the verify harness in float64', async () => {
    for (const { module, net, args } of NETS) {
      const { graph, instantiation: inst } = lowered(module, net, args);
      const report = await verifyGraph(optimizeNet(graph, inst), inst, { seed: 5 });
      expect(report.equivariance, net).toBeLessThan(1e-10);
      if (report.invariance !== null) expect(report.invariance, net).toBeLessThan(1e-10);
      // ... and still sees a non-group transformation (the rewrites did not wash out neuron identity).
      expect(report.sensitivityMargin, net).toBeGreaterThan(1e-3);
    }
  });

  it('gradmetanet: the concatenation with the positional encoding is gone', () => {
    const { graph, instantiation: inst } = lowered('gradmetanet', 'gradmetanet', { width: 8 });
    expect(count(graph, (n) => n.op.op === 'concat')).toBe(1);
    expect(count(optimizeNet(graph, inst), (n) => n.op.op === 'concat' && n.type.set !== null && n.type.site !== null)).toBe(0);
  });

  it('gradmetanet_pp: no channel map or select is reduced over the set', () => {
    const { graph, instantiation: inst } = lowered('gradmetanet_pp', 'gradmetanet_pp', { width: 8 });
    const reducedMaps = (g: Graph): number =>
      count(g, (n) => n.op.op === 'reduce' && n.op.axes.join() === 'set' && ['matmul', 'select'].includes(g.nodes[n.op.x]!.op.op));
    expect(reducedMaps(graph)).toBeGreaterThan(0);
    expect(reducedMaps(optimizeNet(graph, inst))).toBe(0);
  });

  it('golden: gradmetanet (k1 = 1, k2 = 1) on mlp [1, 2, 1]', () => {
    const r = lowerSource('use std/gradmetanet\n', 'gradmetanet', { target: probe([1, 2, 1]), b: 3, args: { width: 4, k1: 1, k2: 1, pe: 2 } });
    if (!r.ok) throw new Error(r.diagnostics[0]!.message);
    expectGolden('gradmetanet-net-pass', r.value.graph, optimizeNet(r.value.graph, r.value.instantiation), r.value.instantiation);
  });
});

describe('optimizeStep on a training step', () => {
  it('keeps the loss and every gradient, and shrinks the graph autodiff produced', () => {
    const { graph, instantiation: inst } = lowered('gradmetanet', 'gradmetanet', { width: 8 });
    const step = buildTrainingStep(graph, inst, 'mse').graph;
    const { graph: after, moved } = optimizeStep(step, inst);
    // Autodiff sums a cotangent once per reader; the repeats merge.
    const reductions = (g: Graph): number => count(g, (n) => n.op.op === 'reduce');
    expect(reductions(after)).toBeLessThan(reductions(step));
    expect(after.nodes.length).toBeLessThan(step.nodes.length);
    for (const [name, id] of step.outputs!) expect(after.outputs!.get(name)).toBe(moved.get(id));
    expectSameFunction(step, after, inst);
  });
});

describe('the passes, documented', () => {
  it('every rule of both passes is named in docs/runtime.md, and names are unique within a pass', () => {
    const doc = readFileSync(resolve(import.meta.dirname, '../../docs/runtime.md'), 'utf8');
    const names = [...NET_RULES, ...STEP_RULES].map((r) => r.name);
    for (const name of names) expect(doc, `docs/runtime.md does not mention ${name}`).toContain(`\`${name}\``);
    expect(new Set(NET_RULES.map((r) => r.name)).size).toBe(NET_RULES.length);
    expect(new Set(STEP_RULES.map((r) => r.name)).size).toBe(STEP_RULES.length);
  });
});
