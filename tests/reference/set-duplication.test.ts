// The set-reading std nets average over the set everywhere (set layers, pooling, attention, the
// readouts), so their output depends on the set as a distribution, not on its size: the set with
// every element twice gives the same output as the set. A readout that sums over the set (as U_Prod
// once did) scales with b and fails here.
import { describe, expect, it } from 'vitest';
import { shapeOf } from '../../compiler/ir/types.js';
import { executeGraph, tensor } from '../../runtime/reference/index.js';
import { Rng } from '../../runtime/util/rng.js';
import { lowerSource, probe } from '../ir/lower-helpers.js';

const NETS: { module: string; net: string; args: Record<string, number> }[] = [
  { module: 'gradmetanet', net: 'gradmetanet', args: { width: 8 } },
  { module: 'gradmetanet_pp', net: 'gradmetanet_pp', args: { width: 8 } },
  { module: 'gradmetanet_pp', net: 'gradmetanet_pp_product', args: { width: 8 } },
  { module: 'baselines', net: 'standard_estimator', args: {} },
];

const TARGET = probe([1, 3, 4, 1]);
const B = 3;

/** The net on a batch of one set, with parameters drawn from a seed that does not depend on b. */
function output({ module, net, args }: (typeof NETS)[number], b: number, set: (shape: number[]) => number[]): Float64Array {
  const lowered = lowerSource(`use std/${module}\n`, net, { target: TARGET, b, args });
  if (lowered.ok && lowered.value.graph.inputs.size !== 1) throw new Error(`${net}: expected one input, the set`);
  if (!lowered.ok) throw new Error(`${net} does not lower: ${lowered.diagnostics.map((d) => d.message).join('; ')}`);
  const { graph, instantiation } = lowered.value;
  const inputs = new Map([...graph.inputs].map(([name, id]) => {
    const shape = [1, ...shapeOf(graph.nodes[id]!.type, instantiation)];
    return [name, tensor(shape, set(shape))] as const;
  }));
  const rng = new Rng(97);
  const params = new Map(graph.nodes.flatMap((n) => (n.op.op === 'param'
    ? [[n.op.name, Float64Array.from({ length: n.op.shape.reduce((a, c) => a * c, 1) }, () => rng.normal() * 0.5)] as const]
    : [])));
  return Float64Array.from(executeGraph(graph, instantiation, inputs, params).output.data);
}

describe('set-reading std nets do not depend on the set size', () => {
  for (const spec of NETS) {
    it(`${spec.module}.${spec.net}: f(Γ ⊕ Γ) = f(Γ)`, () => {
      // One set of B elements; shape [1, b, sites, channels], elements along axis 1.
      let perElement = 0;
      let elements: number[] = [];
      const once = output(spec, B, (shape) => {
        perElement = shape.slice(2).reduce((a, c) => a * c, 1);
        const rng = new Rng(5);
        elements = Array.from({ length: B * perElement }, () => rng.normal());
        return elements;
      });
      const twice = output(spec, 2 * B, () => [...elements, ...elements]);
      expect(perElement).toBeGreaterThan(0);
      expect(twice.length).toBe(once.length);
      const scale = Math.max(1, ...once.map(Math.abs));
      for (let i = 0; i < once.length; i++) expect(Math.abs(twice[i]! - once[i]!)).toBeLessThan(1e-9 * scale);
      // Not vacuous: the output does change when the set's contents do.
      const other = output(spec, B, () => elements.map((x, i) => (i < perElement ? x + 1 : x)));
      expect(Math.max(...other.map((x, i) => Math.abs(x - once[i]!)))).toBeGreaterThan(1e-3);
    });
  }
});
