// The relation of one `site_term` (compiler/ir/ops.ts) without its matrix: every position of either
// side gets a key, the values of the classes both cells share (−1 outside the cell, or where a pin
// or an equality of its own side fails). Out position o and in position i are related iff their keys
// are equal, so y[o] = mean of x over the in positions with o's key. Building and applying it is
// linear in the sites' sizes; a dense matrix is quadratic (70K² entries per term on a transformer).
import type { SiteTerm, SlotLabel } from '../ir/ops.js';
import type { Site } from '../ir/types.js';
import type { TargetLayout } from '../spaces/target.js';
import { fineCells, POINT, type Cell, type Slot } from './site-model.js';

export interface TermRelation {
  outKey: Int32Array;
  inKey: Int32Array;
  /** Positions per key on each side: an out position with key k averages over inCount[k] inputs. */
  outCount: Int32Array;
  inCount: Int32Array;
}

export function termRelation(term: SiteTerm, layout: TargetLayout, outSite: Site | null, inSite: Site | null): TermRelation {
  const side = (site: Site | null, ref: SiteTerm['out']): { cell: Cell; size: number } => {
    if (site === null || ref === null) return { cell: POINT.cells[0]!, size: 1 };
    if (site.kind === 'fixed') throw new Error('internal: site_term on a fixed site');
    return { cell: fineCells(layout, ref.space)[ref.index]!, size: site.kind === 'neurons' ? layout.neuronCount : layout.paramCount };
  };
  const out = side(outSite, term.out);
  const inp = side(inSite, term.in);
  const outSlots = out.cell.slots;
  const inSlots = inp.cell.slots;
  const outLabels = term.labels.slice(0, outSlots.length);
  const inLabels = term.labels.slice(outSlots.length);
  // The shared classes, in order of first appearance, and their sizes: the key's mixed radix.
  const classesOf = (labels: SlotLabel[]) => new Set(labels.flatMap((l) => ('class' in l ? [l.class] : [])));
  const inClasses = classesOf(inLabels);
  const shared = [...classesOf(outLabels)].filter((c) => inClasses.has(c));
  const radix = shared.map((c) => outSlots[outLabels.findIndex((l) => 'class' in l && l.class === c)]!.size);
  const keyCount = radix.reduce((a, b) => a * b, 1);
  const keys = (cell: Cell, slots: Slot[], labels: SlotLabel[], size: number) => {
    const key = new Int32Array(size).fill(-1);
    const values = new Array<number>(slots.length).fill(0);
    const count = slots.reduce((n, s) => n * s.size, 1);
    for (let p = 0; p < count; p++) {
      let rest = p;
      for (let k = slots.length - 1; k >= 0; k--) {
        values[k] = rest % slots[k]!.size;
        rest = Math.floor(rest / slots[k]!.size);
      }
      const seen = new Map<number, number>();
      const ok = labels.every((l, k) => {
        if ('at' in l) return values[k] === l.at;
        const v = seen.get(l.class);
        if (v === undefined) seen.set(l.class, values[k]!);
        return v === undefined || v === values[k];
      });
      if (!ok) continue;
      key[cell.offset + p] = shared.reduce((acc, c, j) => acc * radix[j]! + seen.get(c)!, 0);
    }
    return key;
  };
  const outKey = keys(out.cell, outSlots, outLabels, out.size);
  const inKey = keys(inp.cell, inSlots, inLabels, inp.size);
  const tally = (key: Int32Array) => {
    const n = new Int32Array(keyCount);
    for (const k of key) if (k >= 0) n[k]!++;
    return n;
  };
  return { outKey, inKey, outCount: tally(outKey), inCount: tally(inKey) };
}

/** The term as CSR rows over the out site (the device kernel's form): row o averages its relatives. */
export function termCsr(r: TermRelation): { start: Uint32Array; col: Uint32Array; weight: Float32Array } {
  const members: number[][] = Array.from(r.inCount, () => []);
  r.inKey.forEach((k, i) => {
    if (k >= 0) members[k]!.push(i);
  });
  const start = new Uint32Array(r.outKey.length + 1);
  let nnz = 0;
  r.outKey.forEach((k, o) => {
    nnz += k >= 0 ? members[k]!.length : 0;
    start[o + 1] = nnz;
  });
  // A term with no related pair still binds a one-entry table.
  const col = new Uint32Array(Math.max(nnz, 1));
  const weight = new Float32Array(Math.max(nnz, 1));
  r.outKey.forEach((k, o) => {
    if (k < 0) return;
    const m = members[k]!;
    m.forEach((i, j) => {
      col[start[o]! + j] = i;
      weight[start[o]! + j] = 1 / m.length;
    });
  });
  return { start, col, weight };
}
