// The complete basis of linear maps between two typed spaces that commute with the group
// (UNF's partition construction, Zhou et al. 2024; see site-model.ts for the group choices).
//
// A type is [set?, site?, channels]; the group acting on it is S_b on the set axis times the
// site's group, and both sides' channels are acted on by nothing. So an equivariant map is a sum of
// (set term) ⊗ (site term) ⊗ (channel matrix), and the basis is the product of the set basis and the
// site basis. On each axis, a term picks an output cell and an input cell and labels every slot of
// both: slots of the same group may be declared equal (one *class*), slots of a fixed segment are
// pinned to a position. The term averages the input over everything its labels leave free.
// Partitions with more classes than the group has points give dependent terms, so they are skipped:
// what remains is linearly independent and spans the commutant (tests/symmetry/basis.test.ts checks
// both numerically against a brute-force count).
import type { SlotLabel } from '../ir/ops.js';
import type { AxisModel, Cell } from './site-model.js';
import { partitions } from './partitions.js';
import type { CellPairFilter } from './term-subset.js';

/** One factor of a term: how one axis (set or site) is mapped. */
export interface AxisTerm {
  out: Cell;
  in: Cell;
  /** One label per slot of `out`, then per slot of `in`. */
  labels: SlotLabel[];
}

export interface BasisTerm {
  set: AxisTerm;
  site: AxisTerm;
  /** Einsum-like description, e.g. `set[a]←set[a] · layer1[b]←layer1[c]`. */
  label: string;
}

/** Every term of the basis between the two axis models (one axis), on the cell pairs `pairs` keeps. */
export function axisBasis(outModel: AxisModel, inModel: AxisModel, pairs: CellPairFilter = null): AxisTerm[] {
  const terms: AxisTerm[] = [];
  for (const out of outModel.cells) {
    for (const inp of inModel.cells) {
      if (pairs !== null && !pairs(out, inp)) continue;
      for (const labels of slotLabelings([...out.slots, ...inp.slots])) terms.push({ out, in: inp, labels });
    }
  }
  return terms;
}

/**
 * The basis of maps [set, site] → [set, site]: the product of the two axes' bases (with `sitePairs`,
 * only the site terms between the cell pairs it keeps: term-subset.ts).
 */
export function basis(setOut: AxisModel, setIn: AxisModel, siteOut: AxisModel, siteIn: AxisModel, sitePairs: CellPairFilter = null): BasisTerm[] {
  const setTerms = axisBasis(setOut, setIn);
  const siteTerms = axisBasis(siteOut, siteIn, sitePairs);
  return setTerms.flatMap((set) => siteTerms.map((site) => ({ set, site, label: `${describe(set)} · ${describe(site)}` })));
}

/**
 * How many terms `basis` would enumerate, counted without enumerating them: per pair of cells, the
 * product of the fixed slots' sizes (their pins) and of each group's partition count. Lowering checks
 * it first, so a basis too large to build is a diagnostic rather than an out-of-memory crash.
 */
export function basisSize(setOut: AxisModel, setIn: AxisModel, siteOut: AxisModel, siteIn: AxisModel, sitePairs: CellPairFilter = null): number {
  return axisBasisSize(setOut, setIn, null) * axisBasisSize(siteOut, siteIn, sitePairs);
}

function axisBasisSize(outModel: AxisModel, inModel: AxisModel, pairs: CellPairFilter): number {
  let total = 0;
  for (const out of outModel.cells) {
    for (const inp of inModel.cells) {
      if (pairs !== null && !pairs(out, inp)) continue;
      const slots = [...out.slots, ...inp.slots];
      const byGroup = new Map<string, { count: number; size: number }>();
      let n = 1;
      for (const s of slots) {
        if (s.group === null) n *= s.size;
        else byGroup.set(s.group, { count: (byGroup.get(s.group)?.count ?? 0) + 1, size: s.size });
      }
      for (const g of byGroup.values()) n *= partitions(g.count, g.size).length;
      total += n;
    }
  }
  return total;
}

/** All labelings of the slots: pins for fixed slots, a partition per group id for permuted ones. */
function slotLabelings(slots: { group: string | null; size: number }[]): SlotLabel[][] {
  const byGroup = new Map<string, number[]>();
  slots.forEach((s, i) => {
    if (s.group !== null) byGroup.set(s.group, [...(byGroup.get(s.group) ?? []), i]);
  });
  // Each choice fills some slots; the labelings are the product of all choices.
  type Fill = (labels: (SlotLabel | null)[], nextClass: () => number) => void;
  const choices: Fill[][] = [];
  slots.forEach((s, i) => {
    if (s.group === null) choices.push(Array.from({ length: s.size }, (_, at): Fill => (labels) => { labels[i] = { at }; }));
  });
  for (const [, members] of byGroup) {
    const size = slots[members[0]!]!.size;
    choices.push(partitions(members.length, size).map((blocks): Fill => (labels, nextClass) => {
      const ids = new Map<number, number>();
      blocks.forEach((b, k) => {
        if (!ids.has(b)) ids.set(b, nextClass());
        labels[members[k]!] = { class: ids.get(b)! };
      });
    }));
  }
  const out: SlotLabel[][] = [];
  const pick = (k: number, chosen: Fill[]): void => {
    if (k === choices.length) {
      const labels: (SlotLabel | null)[] = slots.map(() => null);
      let next = 0;
      chosen.forEach((fill) => fill(labels, () => next++));
      out.push(canonical(labels as SlotLabel[]));
      return;
    }
    for (const c of choices[k]!) pick(k + 1, [...chosen, c]);
  };
  pick(0, []);
  return out;
}

/** Renumbers classes in order of first appearance, so equal terms have equal labels. */
function canonical(labels: SlotLabel[]): SlotLabel[] {
  const ids = new Map<number, number>();
  return labels.map((l) => {
    if (!('class' in l)) return l;
    if (!ids.has(l.class)) ids.set(l.class, ids.size);
    return { class: ids.get(l.class)! };
  });
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

/** `W2[a,b]←b1[a]`: class letters, pinned positions as `#p`, a missing axis as `·`. */
export function describe(term: AxisTerm): string {
  const name = (l: SlotLabel): string => ('class' in l ? LETTERS[l.class % 26]! : `#${l.at}`);
  const side = (cell: Cell, labels: SlotLabel[]): string =>
    cell.slots.length === 0 ? '·' : `${cell.name}[${labels.map(name).join(',')}]`;
  const n = term.out.slots.length;
  return `${side(term.out, term.labels.slice(0, n))}←${side(term.in, term.labels.slice(n))}`;
}
