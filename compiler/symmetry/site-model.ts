// How a group acts on one axis, as data the basis enumerator can read: the axis is cut into
// *cells* (blocks of positions treated alike); each cell is a product of *slots*, and each slot runs
// over the positions of one permuted (or fixed) segment. Positions in a cell are row-major over its
// slots, so a weight block W_l[p, q] is the cell (rows: layer l, cols: layer l-1).
//
//   coarse group (the paper's implementation view): all neurons of a target are one bag S_N, all
//     parameters one bag S_P, the set one bag S_b; positional encodings restore the true group.
//   fine group (the target's true group): one cell per neuron segment / parameter block, each slot
//     acted on by its segment's group (segments sharing a group id are permuted together; fixed
//     segments, `group === null`, are acted on by nothing). Its basis pins fixed slots to positions,
//     so it grows with the square of the fixed segments' sizes (n_0² terms for W_1 → W_1: NFN_HNP).
//   np group (NFN_NP, and UNF on MLPs): the fine cells, with every fixed segment (inputs, outputs,
//     vocabulary, positions, Q/K coordinates) permuted by its own symmetric group as well. A
//     supergroup of the true group, so each of its terms still commutes with the true group; the
//     basis no longer depends on the fixed segments' sizes.
import type { Site } from '../ir/types.js';
import type { SiteCell } from '../ir/ops.js';
import type { TargetLayout } from '../spaces/target.js';

export type GroupChoice = 'coarse' | 'fine' | 'np';

export interface Slot {
  /** Group id acting on the slot's positions; null when nothing acts (a fixed segment). */
  group: string | null;
  size: number;
}

export interface Cell {
  name: string;
  /** First position of the cell on the axis. */
  offset: number;
  slots: Slot[];
  /** Fine-group cells carry their place in the layout (what `SiteTerm` refers to). */
  ref: SiteCell | null;
}

export interface AxisModel {
  cells: Cell[];
  size: number;
}

export const cellSize = (cell: Cell): number => cell.slots.reduce((n, s) => n * s.size, 1);

/** An absent axis: one position, nothing acts. */
export const POINT: AxisModel = { cells: [{ name: '·', offset: 0, slots: [], ref: null }], size: 1 };

/** The set axis: S_b acts. */
export function setModel(size: number): AxisModel {
  return { cells: [{ name: 'set', offset: 0, slots: [{ group: 'set', size }], ref: null }], size };
}

/** The site axis under a group choice. `layout` is the target's, or null for a fixed site. */
export function siteModel(site: Site, layout: TargetLayout | null, group: GroupChoice): AxisModel {
  if (site.kind === 'fixed') {
    return { cells: [{ name: site.label, offset: 0, slots: [{ group: null, size: site.size }], ref: null }], size: site.size };
  }
  if (layout === null) throw new Error(`internal: no layout for target ${site.target}`);
  const size = site.kind === 'neurons' ? layout.neuronCount : layout.paramCount;
  if (group === 'coarse') {
    const bag = `${layout.name}.${site.kind}`;
    return { cells: [{ name: bag, offset: 0, slots: [{ group: bag, size }], ref: null }], size };
  }
  return { cells: fineCells(group === 'np' ? withFixedPermuted(layout) : layout, site.kind), size };
}

/** The layout with each fixed segment given a group of its own (the np group's view of it). */
export function withFixedPermuted(layout: TargetLayout): TargetLayout {
  return { ...layout, segments: layout.segments.map((s) => (s.group === null ? { ...s, group: `${layout.name}.${s.name}` } : s)) };
}

/** The fine-group cells of a target's neurons or parameters (also how executors read `SiteTerm`). */
export function fineCells(layout: TargetLayout, space: 'neurons' | 'params'): Cell[] {
  const seg = (i: number): Slot => ({ group: layout.segments[i]!.group, size: layout.segments[i]!.size });
  if (space === 'neurons') {
    return layout.segments.map((s, index) => ({ name: s.name, offset: s.offset, slots: [seg(index)], ref: { space, index } }));
  }
  return layout.params.map((p, index) => ({
    name: p.name,
    offset: p.offset,
    slots: p.colSegment === null ? [seg(p.rowSegment)] : [seg(p.rowSegment), seg(p.colSegment)],
    ref: { space, index },
  }));
}
