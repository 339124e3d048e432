// Fusion, the planner's last optimisation, golden before/after: the dispatch list of a GradMetaNet
// set layer planned without and with fusion (golden/set-layer-{unfused,fused}.plan). Fused, the
// Hartford layer is one matmul whose epilogue adds the broadcast pooled terms and applies the ReLU:
// the only dispatch that writes a full-size [B, b, N, c] tensor.
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { paramsAsInputs } from '../../compiler/ir/params-as-inputs.js';
import { optimizeNet } from '../../compiler/optimize/passes.js';
import { planGraph, type Plan } from '../../compiler/wgsl/plan.js';
import { layoutTables } from '../../runtime/gpu/tables.js';
import { matchGolden } from '../fixtures/golden.js';
import { lowerSource, probe } from '../ir/lower-helpers.js';

const golden = (name: string, text: string): void => matchGolden(resolve(import.meta.dirname, 'golden', name), text);

/** One line per dispatch: kernel, the value it computes and that value's 4-D dims. */
function dispatchList(plan: Plan): string {
  const dims = (id: number): string => {
    const n = plan.optimized.nodes[id]!;
    return `${n.type.set === null ? '' : 'set,'}${n.type.site === null ? '' : 'site,'}${n.type.channels}`;
  };
  return `${plan.dispatches.map((d) => `${plan.kernels[d.kernel]!.name.padEnd(34)} ${d.label} [${dims(d.node)}]`).join('\n')}\n`;
}

describe('elementwise and epilogue fusion', () => {
  it('a set layer: one fused matmul writes the full-size output', () => {
    const src = 'use std/layers\nnet f(g: grads(T, b)[8]) -> grads(T, b)[8] {\n  return relu(set_layer(g, 8))\n}\n';
    const r = lowerSource(src, 'f', { target: probe([1, 3, 4, 1]), b: 5 });
    if (!r.ok) throw new Error(r.diagnostics[0]!.message);
    const net = optimizeNet(r.value.graph, r.value.instantiation);
    const plan = (fuse: boolean): Plan => planGraph(net, r.value.instantiation, { batch: 2, tables: layoutTables(r.value.instantiation), fuse });
    const [unfused, fused] = [plan(false), plan(true)];
    golden('set-layer-unfused.plan', dispatchList(unfused));
    golden('set-layer-fused.plan', dispatchList(fused));
    const fullSize = (p: Plan) => p.dispatches.filter((d) => {
      const t = p.optimized.nodes[d.node]!.type;
      return t.set !== null && t.site !== null;
    });
    expect(fullSize(unfused).length).toBeGreaterThan(3);
    const names = fullSize(fused).map((d) => fused.kernels[d.kernel]!.name);
    expect(names).toHaveLength(1);
    expect(names[0]).toMatch(/^matmul_fast_8x8(_w\d+x\d+)?_fused$/);
    expect(fused.dispatches.length).toBeLessThan(unfused.dispatches.length);
  });

  it('per-element weights (params as inputs): the blocks of a concatenation\'s weight are read in place and the set layer is still one fused matmul', () => {
    const src = 'use std/layers\nnet f(g: grads(T, b)[4]) -> grads(T, b)[8] {\n  return relu(set_layer(concat(g, posenc(T, 4)), 8))\n}\n';
    const r = lowerSource(src, 'f', { target: probe([1, 3, 4, 1]), b: 5 });
    if (!r.ok) throw new Error(r.diagnostics[0]!.message);
    const net = paramsAsInputs(optimizeNet(r.value.graph, r.value.instantiation));
    // linear-of-concat splits every term's weight into its grads and posenc rows (fold → slice → unfold).
    expect(net.nodes.filter((n) => n.op.op === 'slice').length).toBe(8);
    const plan = planGraph(net, r.value.instantiation, { batch: 2, tables: layoutTables(r.value.instantiation) });
    golden('set-layer-batched-weights.plan', dispatchList(plan));
    const names = plan.dispatches.map((d) => plan.kernels[d.kernel]!.name);
    expect(names).not.toContain('copy');
    const full = plan.dispatches.filter((d) => plan.optimized.nodes[d.node]!.type.set !== null && plan.optimized.nodes[d.node]!.type.site !== null);
    expect(full.map((d) => plan.kernels[d.kernel]!.name)).toEqual(['matmul_batched_w_vec4_8x8_fused']);
  });

  it('a pair readout: gathers read only by elementwise kernels are never materialised', () => {
    const src = 'use std/layers\nnet f(z: neurons(T)[8]) -> weights(T)[1] {\n  return pair_readout(z, 1, hidden: 8)\n}\n';
    const r = lowerSource(src, 'f', { target: probe([1, 3, 4, 1]) });
    if (!r.ok) throw new Error(r.diagnostics[0]!.message);
    const net = optimizeNet(r.value.graph, r.value.instantiation);
    expect(net.nodes.filter((n) => n.op.op === 'gather').length).toBeGreaterThan(0);
    const plan = planGraph(net, r.value.instantiation, { batch: 2, tables: layoutTables(r.value.instantiation) });
    expect(plan.kernels.map((k) => k.name)).not.toContain('gather');
    expect(plan.kernels.some((k) => k.bindings.some((b) => b.name.startsWith('idx')))).toBe(true);
  });

  it('a long sum (16 channel maps of one input) is cut into kernels that each read at most 12 buffers', () => {
    const terms = Array.from({ length: 16 }, () => 'linear(x, 1)').join(' + ');
    const src = `net f(x: weights(T)[4]) -> weights(T)[1] {\n  return ${terms}\n}\n`;
    const r = lowerSource(src, 'f', { target: probe([2, 3, 3, 2]) });
    if (!r.ok) throw new Error(r.diagnostics[0]!.message);
    expect(r.value.graph.nodes.filter((n) => n.op.op === 'matmul').length).toBe(16);
    const plan = planGraph(optimizeNet(r.value.graph, r.value.instantiation), r.value.instantiation, { batch: 2, tables: layoutTables(r.value.instantiation) });
    const storage = plan.kernels.map((k) => k.bindings.filter((b) => b.access !== undefined).length);
    expect(Math.max(...storage)).toBeLessThanOrEqual(13);
    expect(plan.kernels.filter((k) => k.name === 'fused').length).toBeGreaterThan(1);
  });
});
