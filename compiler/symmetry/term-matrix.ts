// Materialises one axis term as an explicit (mean-normalised) matrix: the tests' oracle, to prove
// each term equivariant and to check term-relation.ts (which executors use: it is linear-size).
import type { SiteTerm } from '../ir/ops.js';
import type { Site } from '../ir/types.js';
import type { TargetLayout } from '../spaces/target.js';
import type { AxisTerm } from './basis.js';
import { cellSize, fineCells, POINT, type AxisModel, type Cell } from './site-model.js';

/** Slot values of every position of a cell, row-major. */
function positions(cell: Cell): number[][] {
  let out: number[][] = [[]];
  for (const slot of cell.slots) out = out.flatMap((p) => Array.from({ length: slot.size }, (_, v) => [...p, v]));
  return out;
}

/** Does the pair of slot values satisfy the labels (pins and class equalities)? */
function related(values: number[], labels: AxisTerm['labels']): boolean {
  const classValue = new Map<number, number>();
  for (let k = 0; k < labels.length; k++) {
    const l = labels[k]!;
    const v = values[k]!;
    if ('at' in l) {
      if (v !== l.at) return false;
    } else {
      const seen = classValue.get(l.class);
      if (seen === undefined) classValue.set(l.class, v);
      else if (seen !== v) return false;
    }
  }
  return true;
}

/** The term as a dense matrix [outSize][inSize]: row o averages the inputs related to o. */
export function axisTermMatrix(term: AxisTerm, outSize: number, inSize: number): number[][] {
  const m = Array.from({ length: outSize }, () => new Array<number>(inSize).fill(0));
  const inPos = positions(term.in);
  positions(term.out).forEach((u, oi) => {
    const related_ = inPos.map((v, ii) => (related([...u, ...v], term.labels) ? ii : -1)).filter((ii) => ii >= 0);
    for (const ii of related_) m[term.out.offset + oi]![term.in.offset + ii] = 1 / related_.length;
  });
  return m;
}

/** The matrix of a `site_term` op between two sites of one target (null = no site axis). */
export function siteTermMatrix(term: SiteTerm, layout: TargetLayout, outSite: Site | null, inSite: Site | null): number[][] {
  const model = (site: Site | null): AxisModel => {
    if (site === null) return POINT;
    if (site.kind === 'fixed') throw new Error('internal: site_term on a fixed site');
    const cells = fineCells(layout, site.kind);
    return { cells, size: cells.reduce((n, c) => n + cellSize(c), 0) };
  };
  const outModel = model(outSite);
  const inModel = model(inSite);
  const cell = (m: AxisModel, ref: SiteTerm['out']): Cell => (ref === null ? POINT.cells[0]! : m.cells[ref.index]!);
  return axisTermMatrix({ out: cell(outModel, term.out), in: cell(inModel, term.in), labels: term.labels }, outModel.size, inModel.size);
}
