// Test oracles for targets, independent of runtime/targets: central finite differences in float64,
// a naive MLP forward pass, and the target's group acting on positions, written from the layout.
import type { MlpSpec, TargetLayout } from '../../compiler/spaces/target.js';
import { Rng } from '../../runtime/util/rng.js';

/** Central finite differences of a scalar function of θ, at the coordinates `which` (all by default). */
export function finiteDifferences(f: (theta: Float64Array) => number, theta: Float64Array, h: number, which?: number[]): Float64Array {
  const coords = which ?? Array.from(theta, (_, p) => p);
  const out = new Float64Array(coords.length);
  const t = Float64Array.from(theta);
  coords.forEach((p, k) => {
    const v = t[p]!;
    t[p] = v + h;
    const up = f(t);
    t[p] = v - h;
    const down = f(t);
    t[p] = v;
    out[k] = (up - down) / (2 * h);
  });
  return out;
}

/** f(x) of an MLP written from the math alone (y = σ(W x + b), linear last layer). */
export function naiveMlp(spec: MlpSpec, theta: Float64Array, x: number[]): number[] {
  let a = x;
  let offset = 0;
  const L = spec.widths.length - 1;
  for (let l = 1; l <= L; l++) {
    const rows = spec.widths[l]!;
    const cols = spec.widths[l - 1]!;
    const W = offset;
    const b = offset + rows * cols;
    offset = b + rows;
    a = Array.from({ length: rows }, (_, p) => {
      let u = theta[b + p]!;
      for (let q = 0; q < cols; q++) u += theta[W + p * cols + q]! * a[q]!;
      if (l === L) return u;
      switch (spec.activation.kind) {
        case 'relu': return Math.max(u, 0);
        case 'tanh': return Math.tanh(u);
        case 'gelu': return 0.5 * u * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (u + 0.044715 * u ** 3)));
        case 'sine': return Math.sin(spec.activation.omega0 * u);
      }
    });
  }
  return a;
}

export function logSoftmax(z: number[]): number[] {
  const m = Math.max(...z);
  const lse = m + Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0));
  return z.map((v) => v - lse);
}

/** max |a − b| / (max |b| + floor): one relative error for a whole array. */
export function relError(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-12): number {
  let diff = 0;
  let scale = floor;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  if (a.length !== b.length) return Infinity;
  return diff / scale;
}

export function randomArray(n: number, rng: Rng, scale = 1): Float64Array {
  return Float64Array.from({ length: n }, () => rng.normal() * scale);
}

/** A permutation per group id; segments sharing an id share it (the layout's group). */
export type GroupElement = Map<string, number[]>;

export function randomGroupElement(layout: TargetLayout, rng: Rng): GroupElement {
  const g: GroupElement = new Map();
  for (const s of layout.segments) if (s.group !== null && !g.has(s.group)) g.set(s.group, rng.permutation(s.size));
  return g;
}

const segmentPerm = (layout: TargetLayout, s: number, g: GroupElement) => (i: number): number => {
  const group = layout.segments[s]!.group;
  return group === null ? i : g.get(group)![i]!;
};

/** h·θ: entry [p, q] of every block moves to [τ_row(p), τ_col(q)]; bias entry p to τ_row(p). */
export function actOnParams(layout: TargetLayout, g: GroupElement, theta: Float64Array): Float64Array {
  const out = new Float64Array(theta.length);
  for (const blk of layout.params) {
    const row = segmentPerm(layout, blk.rowSegment, g);
    const cols = blk.cols ?? 1;
    const col = blk.colSegment === null ? (q: number) => q : segmentPerm(layout, blk.colSegment, g);
    for (let p = 0; p < blk.rows; p++) {
      for (let q = 0; q < cols; q++) out[blk.offset + row(p) * cols + col(q)] = theta[blk.offset + p * cols + q]!;
    }
  }
  return out;
}

/** h·Γ for Γ of shape [items, N, c]: neuron j of every item moves to τ(j) within its segment. */
export function actOnNeurons(layout: TargetLayout, g: GroupElement, gamma: Float64Array, channels: number): Float64Array {
  const N = layout.neuronCount;
  const image = new Int32Array(N);
  layout.segments.forEach((seg, s) => {
    const perm = segmentPerm(layout, s, g);
    for (let i = 0; i < seg.size; i++) image[seg.offset + i] = seg.offset + perm(i);
  });
  const out = new Float64Array(gamma.length);
  const items = gamma.length / (N * channels);
  for (let t = 0; t < items; t++) {
    for (let j = 0; j < N; j++) {
      for (let c = 0; c < channels; c++) out[(t * N + image[j]!) * channels + c] = gamma[(t * N + j) * channels + c]!;
    }
  }
  return out;
}
