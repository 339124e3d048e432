// Test oracle: the target's group acting on positions, written straight from the layout (not from
// the compiler's site models), so the basis tests compare two independent descriptions.
import type { TargetLayout } from '../../compiler/spaces/target.js';

/** A permutation per group id (segments sharing an id share it). */
export type GroupElement = Map<string, number[]>;

export function randomPerm(n: number, rand: () => number): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  return p;
}

/** Every permutation of n points (small n only). */
export function allPerms(n: number): number[][] {
  if (n === 0) return [[]];
  return allPerms(n - 1).flatMap((p) => Array.from({ length: n }, (_, k) => [...p.slice(0, k), n - 1, ...p.slice(k)]));
}

/** Group ids and their sizes, from the layout. */
export function groupsOf(layout: TargetLayout): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of layout.segments) if (s.group !== null) out.set(s.group, s.size);
  return out;
}

/** Every element of the product of the hidden groups. */
export function allElements(layout: TargetLayout): GroupElement[] {
  let els: GroupElement[] = [new Map()];
  for (const [g, n] of groupsOf(layout)) els = els.flatMap((e) => allPerms(n).map((p) => new Map([...e, [g, p]])));
  return els;
}

export function randomElement(layout: TargetLayout, rand: () => number): GroupElement {
  return new Map([...groupsOf(layout)].map(([g, n]) => [g, randomPerm(n, rand)]));
}

const segMap = (layout: TargetLayout, s: number, g: GroupElement) => (i: number): number => {
  const group = layout.segments[s]!.group;
  return group === null ? i : g.get(group)![i]!;
};

/** Image of every neuron position. */
export function neuronAction(layout: TargetLayout, g: GroupElement): number[] {
  const out: number[] = [];
  layout.segments.forEach((seg, s) => {
    for (let i = 0; i < seg.size; i++) out.push(seg.offset + segMap(layout, s, g)(i));
  });
  return out;
}

/** Image of every parameter position: W[p, q] → W[τ_row p, τ_col q], b[p] → b[τ_row p]. */
export function paramAction(layout: TargetLayout, g: GroupElement): number[] {
  const out = new Array<number>(layout.paramCount);
  for (const blk of layout.params) {
    const row = segMap(layout, blk.rowSegment, g);
    if (blk.cols === null) {
      for (let p = 0; p < blk.rows; p++) out[blk.offset + p] = blk.offset + row(p);
    } else {
      const col = segMap(layout, blk.colSegment!, g);
      for (let p = 0; p < blk.rows; p++) {
        for (let q = 0; q < blk.cols; q++) out[blk.offset + p * blk.cols + q] = blk.offset + row(p) * blk.cols + col(q);
      }
    }
  }
  return out;
}

/** Product action on [set × site] positions (row-major), given the two factor actions. */
export function productAction(set: number[], site: number[]): number[] {
  return set.flatMap((s) => site.map((t) => s * site.length + t));
}

export const fixedPoints = (perm: number[]): number => perm.filter((v, i) => v === i).length;

/** dim Hom_G(R^X, R^Y) = (1/|G|) Σ_g fix_X(g)·fix_Y(g) (Burnside on orbitals): an exact, independent count. */
export function burnsideDimension(pairs: [number[], number[]][]): number {
  const total = pairs.reduce((n, [x, y]) => n + fixedPoints(x) * fixedPoints(y), 0);
  return total / pairs.length;
}

/** Does T (rows = out positions) commute with the action: T[g o, g i] = T[o, i]? Max violation. */
export function commutationError(t: number[][], outAct: number[], inAct: number[]): number {
  let err = 0;
  for (let o = 0; o < t.length; o++) {
    for (let i = 0; i < t[o]!.length; i++) err = Math.max(err, Math.abs(t[outAct[o]!]![inAct[i]!]! - t[o]![i]!));
  }
  return err;
}

/** Numerical rank by Gaussian elimination with partial pivoting. */
export function rank(vectors: number[][], tol = 1e-9): number {
  const m = vectors.map((v) => [...v]);
  let r = 0;
  const cols = m[0]?.length ?? 0;
  for (let c = 0; c < cols && r < m.length; c++) {
    let piv = r;
    for (let i = r + 1; i < m.length; i++) if (Math.abs(m[i]![c]!) > Math.abs(m[piv]![c]!)) piv = i;
    if (Math.abs(m[piv]![c]!) < tol) continue;
    [m[r], m[piv]] = [m[piv]!, m[r]!];
    for (let i = r + 1; i < m.length; i++) {
      const f = m[i]![c]! / m[r]![c]!;
      if (f !== 0) for (let k = c; k < cols; k++) m[i]![k]! -= f * m[r]![k]!;
    }
    r++;
  }
  return r;
}
