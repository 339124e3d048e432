// The eqlinear basis against an independent oracle: the group action written from the layout
// (group-action.ts), the commutant's dimension counted exactly by Burnside's lemma on orbitals, and
// every term materialised as a matrix. Terms that (1) each commute with the group, (2) are linearly
// independent and (3) are as many as the commutant's dimension form a basis of it.
import { describe, expect, it } from 'vitest';
import { mlpLayout, type TargetLayout } from '../../compiler/spaces/target.js';
import { basis, basisSize, type BasisTerm } from '../../compiler/symmetry/basis.js';
import { POINT, setModel, siteModel, withFixedPermuted, type AxisModel, type GroupChoice } from '../../compiler/symmetry/site-model.js';
import { axisTermMatrix } from '../../compiler/symmetry/term-matrix.js';
import { Rng } from '../../runtime/util/rng.js';
import {
  allElements, allPerms, burnsideDimension, commutationError, neuronAction, paramAction, productAction, randomElement,
  randomPerm, rank, type GroupElement,
} from './group-action.js';

type Side = 'none' | 'neurons' | 'params';
interface Space { set: boolean; site: Side }

const mlp = (widths: number[]): TargetLayout => mlpLayout('T', { kind: 'mlp', widths, activation: { kind: 'relu' }, init: 'kaiming' });

function model(space: Space, layout: TargetLayout, b: number, group: GroupChoice): { set: AxisModel; site: AxisModel } {
  return {
    set: space.set ? setModel(b) : POINT,
    site: space.site === 'none' ? POINT : siteModel({ kind: space.site, target: layout.name }, layout, group),
  };
}

function termMatrix(t: BasisTerm, out: { set: AxisModel; site: AxisModel }, inp: { set: AxisModel; site: AxisModel }): number[][] {
  const s = axisTermMatrix(t.set, out.set.size, inp.set.size);
  const u = axisTermMatrix(t.site, out.site.size, inp.site.size);
  return s.flatMap((srow) => u.map((urow) => srow.flatMap((sv) => urow.map((uv) => sv * uv))));
}

/** One group element as actions on the out and in positions. */
interface Action { out: number[]; in: number[] }

function siteAct(side: Side, layout: TargetLayout, group: GroupChoice, g: GroupElement, bag: { neurons: number[]; params: number[] }): number[] {
  if (side === 'none') return [0];
  if (group === 'coarse') return bag[side];
  return side === 'neurons' ? neuronAction(layout, g) : paramAction(layout, g);
}

function action(out: Space, inp: Space, layout: TargetLayout, group: GroupChoice, setPerm: number[], g: GroupElement,
  bag: { neurons: number[]; params: number[] }): Action {
  const side = (s: Space) => productAction(s.set ? setPerm : [0], siteAct(s.site, layout, group, g, bag));
  return { out: side(out), in: side(inp) };
}

/** Every group element (small instances): set perms × (site bag perms | the target's group). */
function everyAction(out: Space, inp: Space, layout: TargetLayout, group: GroupChoice, b: number): Action[] {
  const uses = (k: Side) => out.site === k || inp.site === k;
  const setPerms = out.set || inp.set ? allPerms(b) : [[0]];
  const bags: { neurons: number[]; params: number[] }[] = group === 'fine'
    ? [{ neurons: [], params: [] }]
    : (uses('neurons') ? allPerms(layout.neuronCount) : [[]]).flatMap((n) =>
      (uses('params') ? allPerms(layout.paramCount) : [[]]).map((p) => ({ neurons: n, params: p })));
  const els = group === 'fine' ? allElements(layout) : [new Map()];
  return setPerms.flatMap((sp) => els.flatMap((g) => bags.map((bag) => action(out, inp, layout, group, sp, g, bag))));
}

function verify(out: Space, inp: Space, layout: TargetLayout, group: GroupChoice, b: number): number {
  const om = model(out, layout, b, group);
  const im = model(inp, layout, b, group);
  const terms = basis(om.set, im.set, om.site, im.site);
  const mats = terms.map((t) => termMatrix(t, om, im));
  // (1) every term commutes with random group elements
  const rng = new Rng(7);
  const rand = () => rng.uniform();
  for (let k = 0; k < 5; k++) {
    const bag = { neurons: randomPerm(layout.neuronCount, rand), params: randomPerm(layout.paramCount, rand) };
    const a = action(out, inp, layout, group, randomPerm(b, rand), randomElement(layout, rand), bag);
    for (const m of mats) expect(commutationError(m, a.out, a.in)).toBe(0);
  }
  // (2) independent, (3) as many as the commutant's dimension (Burnside over the whole group)
  expect(rank(mats.map((m) => m.flat()))).toBe(terms.length);
  const acts = everyAction(out, inp, layout, group, b);
  expect(terms.length).toBe(burnsideDimension(acts.map((a) => [a.in, a.out])));
  // mean-normalised: every nonzero row of a term sums to 1
  for (const m of mats) for (const row of m) {
    const s = row.reduce((x, y) => x + y, 0);
    if (s !== 0) expect(s).toBeCloseTo(1, 12);
  }
  return terms.length;
}

const gammaB: Space = { set: true, site: 'neurons' };
const gamma: Space = { set: false, site: 'neurons' };
const theta: Space = { set: false, site: 'params' };
const vector: Space = { set: false, site: 'none' };

describe('eqlinear basis, coarse group (paper §4.2: neurons one bag S_N)', () => {
  const t = mlp([1, 3, 1]); // N = 5 neurons, P = 10 parameters
  it('Γ_b → Γ_b has 4 terms: Hartford et al. 2018 exchangeable layer (id, mean set, mean neurons, mean both)', () => {
    expect(verify(gammaB, gammaB, t, 'coarse', 3)).toBe(4);
  });
  it('Γ_b → Γ has 2 terms: the paper\'s L_Pool (mean over set; mean over set and neurons)', () => {
    expect(verify(gamma, gammaB, t, 'coarse', 3)).toBe(2);
  });
  it('Γ → Γ has 2 terms: DeepSets, Zaheer et al. 2017', () => {
    expect(verify(gamma, gamma, t, 'coarse', 1)).toBe(2);
  });
  it('Γ → vector has 1 term (L_Vec: mean over neurons)', () => {
    expect(verify(vector, gamma, t, 'coarse', 1)).toBe(1);
  });
  it('Θ → Θ has 2 terms (DeepSets over the parameter bag)', () => {
    expect(verify(theta, theta, mlp([1, 2, 1]), 'coarse', 1)).toBe(2);
  });
});

describe('eqlinear basis, fine group (the target\'s true group: hidden layers permuted independently)', () => {
  it('Γ → Γ on mlp [2,3,4,2]: 38 = 16 fixed↔fixed + 16 fixed↔hidden + 2·2 within a hidden layer + 2 across', () => {
    expect(verify(gamma, gamma, mlp([2, 3, 4, 2]), 'fine', 1)).toBe(38);
  });
  it('Γ_b → Γ_b on mlp [1,2,2,1], b = 2: 2 set terms × 18 neuron terms', () => {
    expect(verify(gammaB, gammaB, mlp([1, 2, 2, 1]), 'fine', 2)).toBe(36);
  });
  it('Θ → Θ on mlp [1,3,1]: 25 (hand count: W1, b1, W2 each carry one S_3 slot → 3·3·2; b2 ↔ them 6; b2 → b2 1)', () => {
    expect(verify(theta, theta, mlp([1, 3, 1]), 'fine', 1)).toBe(25);
  });
  it('Θ → Θ on mlp [1,2,2,1]: the NFN/DWS (HNP) weight-space layer, 55 terms (orbitals of S_2×S_2, counted by Burnside in verify)', () => {
    expect(verify(theta, theta, mlp([1, 2, 2, 1]), 'fine', 1)).toBe(55);
  });
  it('Θ → Θ on mlp [2,3,3,2]: 114 terms (orbitals of S_3×S_3 on pairs of the 29 parameters, Burnside)', () => {
    expect(verify(theta, theta, mlp([2, 3, 3, 2]), 'fine', 1)).toBe(114);
  });
  it('Γ → Θ and Θ → Γ on mlp [1,3,1] (readout / pooling between neurons and weights)', () => {
    expect(verify(theta, gamma, mlp([1, 3, 1]), 'fine', 1)).toBe(verify(gamma, theta, mlp([1, 3, 1]), 'fine', 1));
  });
  it('tied segments (a residual stream shared by two blocks) are permuted together', () => {
    const layout: TargetLayout = {
      name: 'R', spec: { kind: 'mlp', widths: [1], activation: { kind: 'relu' }, init: 'kaiming' },
      segments: [
        { name: 'in', offset: 0, size: 1, group: null },
        { name: 'res1', offset: 1, size: 3, group: 'R.res' },
        { name: 'res2', offset: 4, size: 3, group: 'R.res' },
      ],
      neuronCount: 7, params: [], paramCount: 0,
    };
    // 1 (in→in) + 2·2 (in↔res_k) + 4 pairs of residual segments × 2 (same index / any index)
    expect(verify(gamma, gamma, layout, 'fine', 1)).toBe(13);
  });
});

describe('eqlinear basis, np group (NFN_NP / UNF: every segment permuted, inputs and outputs too)', () => {
  // The np group of T is the fine group of T with its fixed segments given groups of their own, so
  // the oracle runs the fine-group check on that layout (Burnside over the larger group).
  const np = (widths: number[]) => withFixedPermuted(mlp(widths));
  it('Θ → Θ on mlp [2,3,3,2]: 62 terms (the fine group has 114: it pins inputs and outputs), the same model as siteModel(np)', () => {
    expect(verify(theta, theta, np([2, 3, 3, 2]), 'fine', 1)).toBe(62);
    const m = siteModel({ kind: 'params', target: 'T' }, mlp([2, 3, 3, 2]), 'np');
    expect(basis(POINT, POINT, m, m).length).toBe(62);
  });
  it('each np term commutes with the true (fine) group, which the np group contains', () => {
    const layout = mlp([2, 3, 2]);
    const m = siteModel({ kind: 'params', target: 'T' }, layout, 'np');
    const rng = new Rng(3);
    for (const t of basis(POINT, POINT, m, m)) {
      const mat = axisTermMatrix(t.site, layout.paramCount, layout.paramCount);
      for (let k = 0; k < 3; k++) {
        const act = paramAction(layout, randomElement(layout, () => rng.uniform()));
        expect(commutationError(mat, act, act)).toBe(0);
      }
    }
  });
  it('the np basis does not grow with the input and output widths; the fine one grows with their squares', () => {
    const count = (widths: number[], group: GroupChoice) => {
      const m = siteModel({ kind: 'params', target: 'T' }, mlp(widths), group);
      return basisSize(POINT, POINT, m, m);
    };
    expect(count([4, 5, 5, 4], 'np')).toBe(count([64, 5, 5, 10], 'np'));
    expect(count([64, 32, 10], 'fine')).toBe(12850);
  });
  it('basisSize counts what basis enumerates (set and site, every group choice)', () => {
    const layout = mlp([2, 3, 3, 2]);
    for (const group of ['coarse', 'fine', 'np'] as const) {
      for (const [o, i] of [[gammaB, gammaB], [theta, gamma], [gamma, theta], [theta, theta]] as const) {
        const om = model(o, layout, 3, group);
        const im = model(i, layout, 3, group);
        expect(basisSize(om.set, im.set, om.site, im.site)).toBe(basis(om.set, im.set, om.site, im.site).length);
      }
    }
  });
});
