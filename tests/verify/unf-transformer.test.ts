// UNF on a transformer LM (paper §6.2's LM1B task): the std UNF-local optimizers — UNF's np layer
// restricted to the terms between parameter blocks that share a neuron segment — are proved by the
// checker and equivariant in float64 under random elements of the transformer's group (the residual
// permutation tied across blocks, each head's value coordinates, each FFN's hidden neurons). The LM is
// the learned-optimizer task's shape at a small size: the float64 executor keeps every value, and on
// Lm1b (67,520 parameters, 1,322 terms) UNF-local's F_ϕ would hold gigabytes.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkFiles } from '../../compiler/check.js';
import { checkGraph } from '../../compiler/symmetry/check.js';
import { transformerLayout } from '../../compiler/spaces/transformer.js';
import { referenceBackend, sampleGroupElement, verifyGraph } from '../../runtime/verify/index.js';
import { applyTransform } from '../../runtime/verify/action.js';
import { FEATURE_CHANNELS } from '../../runtime/tasks/learned-optimizer/features.js';
import { initialNetParams, lowerUpdateNet, updateDirection } from '../../runtime/tasks/learned-optimizer/update-net.js';
import { Rng } from '../../runtime/util/rng.js';

// Two pre-LN blocks, so the residual group ties segments of both.
const lm = transformerLayout('Lm', { kind: 'transformer', vocab: 16, dModel: 4, heads: 2, headDim: 3, blocks: 2, ffn: 6, seq: 3, norm: 'pre' });

function program() {
  const file = join(import.meta.dirname, 'unf-lm.gmn');
  const source = 'use std/optimizers\n';
  const { program, diagnostics } = checkFiles([file], { readFile: (p) => (p === file ? source : existsSync(p) ? readFileSync(p, 'utf8') : undefined) });
  expect(diagnostics).toEqual([]);
  return program;
}

describe('UNF-local on a transformer LM', () => {
  const prog = program();
  const lower = (net: string) => lowerUpdateNet({
    program: prog, module: prog.roots[0]!, net, args: new Map(net.endsWith('gradmetanet') ? [['hidden', 4], ['width', 4]] : [['hidden', 4]]), target: lm, setSize: 3,
  });

  for (const net of ['unf_local_optimizer', 'unf_local_gradmetanet']) {
    it(`${net}: certified, and equivariant to 1e-10 in float64 (gmn verify's harness)`, async () => {
      const u = lower(net);
      const { certificate } = checkGraph({ graph: u.graph, instantiation: u.inst, eqlinears: u.eqlinears }, prog.roots[0]!.program.span);
      expect(certificate?.statement).toMatch(/equivariant: .* → weights\(Lm\)\[1\]$/);
      expect(certificate?.eqlinears.at(-1)?.subset).toBe('shared_neurons');
      const report = await verifyGraph(u.graph, u.inst, { seed: 5, backend: referenceBackend });
      expect(report.equivariance).toBeLessThan(1e-10);
    });
  }

  it('F_ϕ as the learned-optimizer task runs it (float64): a finite update direction with F_ϕ(g·features) = g·F_ϕ(features)', () => {
    const u = lower('unf_local_optimizer');
    const rng = new Rng(9);
    const phi = initialNetParams(u, rng);
    const features = Float64Array.from({ length: lm.paramCount * FEATURE_CHANNELS }, () => rng.normal());
    const out = updateDirection(u, phi, features);
    expect(out).toHaveLength(lm.paramCount);
    expect(out.every(Number.isFinite)).toBe(true);
    const g = sampleGroupElement(u.graph, u.inst, rng);
    const type = u.graph.nodes[u.graph.inputs.get(u.featureInput)!]!.type;
    const moved = applyTransform({ data: features, shape: [1, lm.paramCount, FEATURE_CHANNELS] }, type, true, g, u.inst);
    const expected = applyTransform({ data: out, shape: [1, lm.paramCount, 1] }, { ...type, channels: 1 }, true, g, u.inst);
    const got = updateDirection(u, phi, moved.data);
    const scale = Math.max(...expected.data.map(Math.abs));
    expect(Math.max(...got.map((v, i) => Math.abs(v - expected.data[i]!))) / scale).toBeLessThan(1e-12);
    expect(Math.max(...out.map((v, i) => Math.abs(v - got[i]!))) / scale).toBeGreaterThan(1e-3);
  });
});
