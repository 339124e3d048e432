// Constant tables derived from a target's layout, shared by the reference executor, the GPU
// executor and the verification harness. Pure functions of the layout; every table is invariant
// under the target's symmetry group by construction (or, for `hiddenIds: 'unique'`, deliberately
// not — that is what the checker rejects).
//
//   incidence(layout)    rows[p] = the neuron parameter p writes to (row p of W_l, entry p of b_l)
//                        cols[p] = the neuron it reads from (column q of W_l), −1 for biases
//   biasMask(layout)     [P]: 1 on bias entries, 0 on weight-matrix entries
//   segmentOf(layout)    [N]: the segment index of every neuron
//   blockOf(layout)      [P]: the parameter block of every parameter
//   positionalIds        [N]: the integer identifier the positional encoding embeds
//   posencTable          [N, dim]: sinusoidal embedding of those identifiers
import type { ConstTable } from '../ir/ops.js';
import type { TensorType } from '../ir/types.js';
import type { TargetLayout } from './target.js';

export interface IncidenceTables {
  rows: Int32Array;
  cols: Int32Array;
}

/** For every parameter (blocks concatenated, row-major), its row neuron and column neuron (or −1). */
export function incidence(layout: TargetLayout): IncidenceTables {
  const rows = new Int32Array(layout.paramCount);
  const cols = new Int32Array(layout.paramCount).fill(-1);
  for (const block of layout.params) {
    const rowBase = layout.segments[block.rowSegment]!.offset;
    const width = block.cols ?? 1;
    const colBase = block.colSegment === null ? -1 : layout.segments[block.colSegment]!.offset;
    for (let p = 0; p < block.rows; p++) {
      for (let q = 0; q < width; q++) {
        const index = block.offset + p * width + q;
        rows[index] = rowBase + p;
        if (block.cols !== null) cols[index] = colBase + q;
      }
    }
  }
  return { rows, cols };
}

/** [P]: 1 for bias entries (blocks without columns), 0 for weight-matrix entries. */
export function biasMask(layout: TargetLayout): Float64Array {
  const mask = new Float64Array(layout.paramCount);
  for (const block of layout.params) if (block.cols === null) mask.fill(1, block.offset, block.offset + block.rows);
  return mask;
}

/** [N]: the index (into `layout.segments`) of the segment of every neuron. */
export function segmentOf(layout: TargetLayout): Int32Array {
  const seg = new Int32Array(layout.neuronCount);
  layout.segments.forEach((s, i) => seg.fill(i, s.offset, s.offset + s.size));
  return seg;
}

/** [P]: the index (into `layout.params`) of the block of every parameter. */
export function blockOf(layout: TargetLayout): Int32Array {
  const block = new Int32Array(layout.paramCount);
  layout.params.forEach((b, i) => block.fill(i, b.offset, b.offset + b.rows * (b.cols ?? 1)));
  return block;
}

/**
 * [N]: the identifier of every neuron that the positional encoding embeds. Segments are walked in
 * order and take consecutive id ranges: a fixed segment (`group === null`) takes one id per neuron,
 * a permuted segment a single id shared by all its neurons (so a group element, which only permutes
 * within permuted segments, leaves the table unchanged). `'unique'` gives every neuron its own id.
 */
export function positionalIds(layout: TargetLayout, hiddenIds: 'segment' | 'unique'): Int32Array {
  const ids = new Int32Array(layout.neuronCount);
  let next = 0;
  for (const s of layout.segments) {
    if (s.group === null || hiddenIds === 'unique') {
      for (let j = 0; j < s.size; j++) ids[s.offset + j] = next++;
    } else {
      ids.fill(next++, s.offset, s.offset + s.size);
    }
  }
  return ids;
}

/** Base of the geometric frequency ladder (as in the Transformer's encoding). */
const POSENC_BASE = 10000;

/**
 * [N, dim] row-major: channel 2k = sin(id · ω_k), channel 2k+1 = cos(id · ω_k), ω_k = BASE^(−2k/dim).
 * The first frequency is 1 rad per id, so distinct integer ids always get distinct rows.
 */
export function posencTable(layout: TargetLayout, dim: number, hiddenIds: 'segment' | 'unique'): Float64Array {
  const ids = positionalIds(layout, hiddenIds);
  const table = new Float64Array(layout.neuronCount * dim);
  for (let n = 0; n < ids.length; n++) {
    for (let c = 0; c < dim; c++) {
      const k = Math.floor(c / 2);
      const angle = ids[n]! * Math.pow(POSENC_BASE, (-2 * k) / dim);
      table[n * dim + c] = c % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }
  }
  return table;
}

/**
 * [side², 2]: the pixel centres of a side×side image on [−1, 1]² (linspace, endpoints included),
 * row by row, as (x, y) = (column, row).
 */
export function pixelGrid(side: number): Float64Array {
  const at = (i: number): number => (side === 1 ? 0 : -1 + (2 * i) / (side - 1));
  const grid = new Float64Array(side * side * 2);
  for (let r = 0; r < side; r++) {
    for (let c = 0; c < side; c++) {
      grid[(r * side + c) * 2] = at(c);
      grid[(r * side + c) * 2 + 1] = at(r);
    }
  }
  return grid;
}

/** The values of a `const` op, row-major in its type (posenc: [N, dim]; bias_mask: [P, 1]; pixel_grid: [side², 2]; fill: [1]). */
export function constTable(table: ConstTable, layout: TargetLayout): Float64Array {
  switch (table.kind) {
    case 'posenc': return posencTable(layout, table.dim, table.hiddenIds);
    case 'bias_mask': return biasMask(layout);
    case 'pixel_grid': return pixelGrid(table.side);
    case 'fill': return Float64Array.of(table.value);
  }
}

/** The tensor type of a `const` op's table. */
export function constType(table: ConstTable): TensorType {
  switch (table.kind) {
    case 'posenc': return { set: null, site: { kind: 'neurons', target: table.target }, channels: table.dim };
    case 'bias_mask': return { set: null, site: { kind: 'params', target: table.target }, channels: 1 };
    case 'pixel_grid': return { set: null, site: { kind: 'fixed', size: table.side * table.side, label: 'pixels' }, channels: 2 };
    case 'fill': return { set: null, site: null, channels: 1 };
  }
}
