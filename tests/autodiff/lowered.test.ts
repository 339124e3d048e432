import { describe, expect, it } from 'vitest';
import { checkFiles } from '../../compiler/check.js';
import { certifyProgram } from '../../compiler/symmetry/program.js';
import { Rng } from '../../runtime/util/rng.js';
import { gradCheckError } from './gradcheck.js';
import { randomParams, randomTensor } from './fixtures.js';
import { shapeOf } from '../../compiler/ir/types.js';

describe('autodiff on lowered std nets (finite differences, float64)', () => {
  const result = checkFiles(['std/gradmetanet.gmn', 'std/baselines.gmn', 'std/gradmetanet_pp.gmn']);
  const reports = certifyProgram(result.program).filter((r) => r.lowered !== null);
  // gradmetanet_pp_product: the multiplicative readout (products of two learned feature maps).
  for (const name of ['gradmetanet', 'gmn_average', 'gradmetanet_pp_product']) {
    it(`${name} on the probe target: 4 random entries of every parameter and input`, () => {
      const r = reports.find((x) => x.net === name);
      expect(r).toBeDefined();
      const { graph, instantiation } = r!.lowered!;
      const rng = new Rng(21);
      const inputs = new Map([...graph.inputs].map(([input, id]) => [input, randomTensor(rng, [2, ...shapeOf(graph.nodes[id]!.type, instantiation)])]));
      expect(gradCheckError(graph, instantiation, inputs, randomParams(graph, rng), rng, 4)).toBeLessThan(1e-6);
    });
  }
});
