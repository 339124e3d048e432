// Which of an eqlinear's site terms are built (`eqlinear(..., terms: ...)`). Every term of the basis
// commutes with the group on its own, so any subset spans equivariant maps and the checker proves
// the result term by term; a subset trades expressivity for size. The subsets here are unions of
// whole (out cell, in cell) pairs, picked by how the two cells meet in the target:
//   all             the complete basis (UNF's layer: every pair of parameter blocks, every partition)
//   shared_neurons  pairs of cells that touch a common neuron segment (a block and the blocks
//                   writing to or reading from its rows' or columns' neurons; a segment and the
//                   blocks on it): what flows through one layer of neurons. On an MLP it drops only
//                   the terms between blocks of non-adjacent layers (global means); on a transformer
//                   tied residual segments that no block connects directly do not interact.
//   within_block    each cell with itself (a per-block layer: a weight matrix's own row, column and
//                   total means; a neuron segment's own mean)
import type { TargetLayout } from '../spaces/target.js';
import type { Cell } from './site-model.js';

export const TERM_SUBSETS = ['all', 'shared_neurons', 'within_block'] as const;
export type TermSubset = (typeof TERM_SUBSETS)[number];

/** A filter on (out cell, in cell) pairs of the site axis; null keeps every pair. */
export type CellPairFilter = ((out: Cell, inp: Cell) => boolean) | null;

/** The pairs a subset keeps on a target's fine or np cells (which carry their place in the layout). */
export function cellPairFilter(subset: TermSubset, layout: TargetLayout): CellPairFilter {
  if (subset === 'all') return null;
  if (subset === 'within_block') return (out, inp) => sameCell(out, inp);
  return (out, inp) => {
    const a = segmentsOf(out, layout);
    return segmentsOf(inp, layout).some((s) => a.includes(s));
  };
}

function sameCell(a: Cell, b: Cell): boolean {
  return a.ref !== null && b.ref !== null && a.ref.space === b.ref.space && a.ref.index === b.ref.index;
}

/** The neuron segments a cell lies on: a segment itself, or a block's row and column segments. */
function segmentsOf(cell: Cell, layout: TargetLayout): number[] {
  if (cell.ref === null) throw new Error(`internal: cell ${cell.name} has no place in ${layout.name}`);
  if (cell.ref.space === 'neurons') return [cell.ref.index];
  const p = layout.params[cell.ref.index]!;
  return p.colSegment === null ? [p.rowSegment] : [p.rowSegment, p.colSegment];
}
