// The linear-size form of a site term (term-relation.ts, what the executors and the device tables
// use) against the dense matrix written from the labels (term-matrix.ts): equal for every term of
// the fine and np bases between neurons and weights of a small MLP and a small transformer; the CSR
// rows equal the matrix rows.
import { describe, expect, it } from 'vitest';
import type { SiteTerm } from '../../compiler/ir/ops.js';
import type { Site } from '../../compiler/ir/types.js';
import { mlpLayout, type TargetLayout } from '../../compiler/spaces/target.js';
import { transformerLayout } from '../../compiler/spaces/transformer.js';
import { basis } from '../../compiler/symmetry/basis.js';
import { POINT, siteModel, type GroupChoice } from '../../compiler/symmetry/site-model.js';
import { siteTermMatrix } from '../../compiler/symmetry/term-matrix.js';
import { termCsr, termRelation } from '../../compiler/symmetry/term-relation.js';

function denseFromRelation(term: SiteTerm, layout: TargetLayout, out: Site | null, inp: Site | null): number[][] {
  const r = termRelation(term, layout, out, inp);
  return Array.from(r.outKey, (ko) => Array.from(r.inKey, (ki) => (ko >= 0 && ko === ki ? 1 / r.inCount[ko]! : 0)));
}

function csrDense(term: SiteTerm, layout: TargetLayout, out: Site | null, inp: Site | null): number[][] {
  const r = termRelation(term, layout, out, inp);
  const { start, col, weight } = termCsr(r);
  return Array.from(r.outKey, (_, o) => {
    const row = new Array<number>(r.inKey.length).fill(0);
    for (let k = start[o]!; k < start[o + 1]!; k++) row[col[k]!] = weight[k]!;
    return row;
  });
}

function termsOf(layout: TargetLayout, group: GroupChoice, out: Site | null, inp: Site | null): SiteTerm[] {
  const m = (s: Site | null) => (s === null ? POINT : siteModel(s, layout, group));
  return basis(POINT, POINT, m(out), m(inp)).map((t) => ({ target: layout.name, out: t.site.out.ref, in: t.site.in.ref, labels: t.site.labels }));
}

const neurons: Site = { kind: 'neurons', target: 'T' };
const params: Site = { kind: 'params', target: 'T' };
// (the transformer's Θ → Θ has ~1,800 terms: its maps between neurons and weights cover every cell kind)
const cases: [string, TargetLayout, [Site | null, Site | null][]][] = [
  ['mlp [2,3,2]', mlpLayout('T', { kind: 'mlp', widths: [2, 3, 2], activation: { kind: 'relu' }, init: 'kaiming' }), [[params, params], [params, neurons], [neurons, params], [null, params]]],
  ['transformer (vocab 2, d 2, 1 head of 1, ffn 2, seq 1)', transformerLayout('T', { kind: 'transformer', vocab: 2, dModel: 2, heads: 1, headDim: 1, blocks: 1, ffn: 2, seq: 1, norm: 'pre' }),
    [[params, neurons], [neurons, params], [null, params]]],
];

describe('site terms without their matrix', () => {
  for (const [name, layout, pairs] of cases) {
    for (const group of ['fine', 'np'] as const) {
      it(`${name}, ${group} group: every term between its neurons and weights equals its dense matrix`, () => {
        let checked = 0;
        for (const [out, inp] of pairs) {
          for (const term of termsOf(layout, group, out, inp)) {
            const dense = siteTermMatrix(term, layout, out, inp);
            const worst = (m: number[][]) => Math.max(...m.flatMap((row, o) => row.map((w, i) => Math.abs(w - dense[o]![i]!))));
            expect(worst(denseFromRelation(term, layout, out, inp))).toBe(0);
            expect(worst(csrDense(term, layout, out, inp))).toBeLessThan(1e-7);
            checked++;
          }
        }
        expect(checked).toBeGreaterThan(20);
      });
    }
  }
});
