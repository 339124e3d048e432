// Elementwise, data-movement, reduction and incidence kernels against float64 oracles on the
// test adapter (lavapipe on CPU machines), including odd sizes.
import { afterAll, describe, expect, it } from 'vitest';
import type { UnaryFn } from '../../compiler/ir/ops.js';
import { mapKernel, type Expr } from '../../compiler/wgsl/elementwise.js';
import { gatherKernel, incidenceCsr, incidenceUniforms, scatterKernel } from '../../compiler/wgsl/incidence.js';
import { linearGrid } from '../../compiler/wgsl/kernel.js';
import { reduceKernel, reduceMiddleKernel, segmentMeanKernel } from '../../compiler/wgsl/reduce.js';
import { contiguous, dimValues, viewValues, type Dims4, type View } from '../../compiler/wgsl/view.js';
import { unaryFn } from '../../runtime/reference/pointwise.js';
import { Rng } from '../../runtime/util/rng.js';
import { expectClose, openTestGpu } from '../device/gpu-fixture.js';
import { randomArray } from './oracle.js';
import { f32, runKernel } from './run-kernel.js';

const gpu = await openTestGpu();
afterAll(() => gpu?.destroy());

const count = (d: Dims4): number => d[0] * d[1] * d[2] * d[3];
const at = (v: View, n: number, s: number, t: number, c: number): number =>
  v.offset + n * v.strides[0] + s * v.strides[1] + t * v.strides[2] + c * v.strides[3];
function forEach(d: Dims4, f: (n: number, s: number, t: number, c: number, i: number) => void): void {
  let i = 0;
  for (let n = 0; n < d[0]; n++) for (let s = 0; s < d[1]; s++) for (let t = 0; t < d[2]; t++) for (let c = 0; c < d[3]; c++) f(n, s, t, c, i++);
}

const UNARY: Record<UnaryFn, (x: number) => number> = {
  relu: (x) => Math.max(x, 0),
  // GELU is the tanh approximation everywhere: the reference executor's own function is the oracle.
  gelu: unaryFn('gelu'),
  tanh: Math.tanh,
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  silu: (x) => x / (1 + Math.exp(-x)),
  sin: Math.sin,
  cos: Math.cos,
  exp: Math.exp,
  log: (x) => Math.log(Math.abs(x) + 0.5),
  neg: (x) => -x,
  square: (x) => x * x,
  sqrt: (x) => Math.sqrt(Math.abs(x) + 0.5),
  abs: Math.abs,
  relu_grad: (x) => (x > 0 ? 1 : 0),
  gelu_grad: unaryFn('gelu_grad'),
  tanh_grad: (x) => 1 - Math.tanh(x) ** 2,
  sigmoid_grad: (x) => Math.exp(-x) / (1 + Math.exp(-x)) ** 2,
  silu_grad: (x) => {
    const s = 1 / (1 + Math.exp(-x));
    return s * (1 + x * (1 - s));
  },
  sign: Math.sign,
};

describe.skipIf(gpu === null)('elementwise kernels (map)', () => {
  const g = gpu!;
  const rng = new Rng(1);

  it('every unary function matches float64 on 33 values', async () => {
    const x = randomArray(rng, 33, 2);
    x[0] = 0.25;
    // Where GELU's erf and tanh forms differ most (up to ~2e-4 apart): a mismatch fails here.
    [x[1], x[2], x[3], x[4]] = [1.5, -2, 3, -0.75];
    for (const fn of Object.keys(UNARY) as UnaryFn[]) {
      // log and sqrt are tested on their domain: the inputs are shifted |x| + 0.5.
      const domain = fn === 'log' || fn === 'sqrt';
      const input = domain ? x.map((v) => Math.abs(v) + 0.5) : x;
      const want = domain ? x.map(UNARY[fn]) : x.map(UNARY[fn]);
      const dims: Dims4 = [1, 1, 1, 33];
      const k = mapKernel({ kind: 'unary', fn, x: { kind: 'input', index: 0 } });
      const [out] = await runKernel(g, k, { ...dimValues(dims), ...viewValues('o', contiguous(dims)), ...viewValues('x0', contiguous(dims)) }, [f32(input), new Float32Array(33)], linearGrid(33));
      expectClose(out!, want, 2e-5, 2e-6);
    }
  });

  it('binary ops broadcast a missing set axis, a missing batch axis and one channel', async () => {
    for (const fn of ['add', 'sub', 'mul', 'div'] as const) {
      const dims: Dims4 = [3, 5, 7, 3];
      const a = randomArray(rng, count(dims));
      // b lacks the batch and set axes and has one channel: [7, 1].
      const b = randomArray(rng, 7).map((v) => v + (v >= 0 ? 1 : -1));
      const bView: View = { offset: 0, strides: [0, 0, 1, 0] };
      const want = new Float64Array(count(dims));
      forEach(dims, (n, s, t, c, i) => {
        const x = a[i]!;
        const y = b[at(bView, n, s, t, c)]!;
        want[i] = fn === 'add' ? x + y : fn === 'sub' ? x - y : fn === 'mul' ? x * y : x / y;
      });
      const k = mapKernel({ kind: 'binary', fn, a: { kind: 'input', index: 0 }, b: { kind: 'input', index: 1 } });
      const [out] = await runKernel(g, k, { ...dimValues(dims), ...viewValues('o', contiguous(dims)), ...viewValues('x0', contiguous(dims)), ...viewValues('x1', bView) }, [f32(a), f32(b), new Float32Array(count(dims))], linearGrid(count(dims)));
      expectClose(out!, want);
    }
  });

  it('a fused chain select(m, relu(a·2.5 + b), -a) is one kernel and matches float64', async () => {
    const expr: Expr = {
      kind: 'select',
      mask: { kind: 'input', index: 2 },
      a: { kind: 'unary', fn: 'relu', x: { kind: 'binary', fn: 'add', a: { kind: 'scale', x: { kind: 'input', index: 0 }, factor: 2.5 }, b: { kind: 'input', index: 1 } } },
      b: { kind: 'unary', fn: 'neg', x: { kind: 'input', index: 0 } },
    };
    const dims: Dims4 = [2, 1, 33, 4];
    const a = randomArray(rng, count(dims));
    const b = randomArray(rng, 4); // a bias: channels only
    const mask = Float64Array.from({ length: 33 }, (_, t) => t % 3 === 0 ? 1 : 0); // per site
    const bView: View = { offset: 0, strides: [0, 0, 0, 1] };
    const mView: View = { offset: 0, strides: [0, 0, 1, 0] };
    const want = new Float64Array(count(dims));
    forEach(dims, (_n, _s, t, c, i) => {
      want[i] = mask[t] !== 0 ? Math.max(a[i]! * 2.5 + b[c]!, 0) : -a[i]!;
    });
    const uniforms = { ...dimValues(dims), ...viewValues('o', contiguous(dims)), ...viewValues('x0', contiguous(dims)), ...viewValues('x1', bView), ...viewValues('x2', mView), f0: 2.5 };
    const [out] = await runKernel(g, mapKernel(expr, 'fused'), uniforms, [f32(a), f32(b), f32(mask), new Float32Array(count(dims))], linearGrid(count(dims)));
    expectClose(out!, want);
    // The same chain with 4 or 2 channels per invocation and x0 / out indexed linearly.
    for (const lanes of [4, 2]) {
      const k = mapKernel(expr, 'fused', { contiguity: { out: true, inputs: [true, false, false] }, lanes });
      const [outLanes] = await runKernel(g, k, uniforms, [f32(a), f32(b), f32(mask), new Float32Array(count(dims))], linearGrid(count(dims) / lanes));
      expectClose(outLanes!, want);
    }
  });

  it('on vec4 runs: aligned views load vectors, a view at an odd offset loads lane by lane, 1, 2 or 4 runs per invocation, same numbers', async () => {
    const expr: Expr = { kind: 'binary', fn: 'mul', a: { kind: 'unary', fn: 'relu', x: { kind: 'binary', fn: 'add', a: { kind: 'input', index: 0 }, b: { kind: 'input', index: 1 } } }, b: { kind: 'input', index: 2 } };
    for (const [dims, runs] of [[[3, 5, 7, 8], 1], [[3, 5, 7, 8], 2], [[2, 3, 5, 16], 4], [[2, 3, 5, 16], 2]] as [Dims4, number][]) {
      const a = randomArray(rng, count(dims));
      const row = randomArray(rng, dims[1] * dims[3]); // [set, channel], repeated over batch and site
      const shifted = randomArray(rng, 3 + count(dims)); // read from offset 3: not 4-aligned
      const rowView: View = { offset: 0, strides: [0, dims[3], 0, 1] };
      const shiftedView: View = { offset: 3, strides: contiguous(dims).strides };
      const want = new Float64Array(count(dims));
      forEach(dims, (n, s, t, c, i) => {
        want[i] = Math.max(a[i]! + row[at(rowView, n, s, t, c)]!, 0) * shifted[at(shiftedView, n, s, t, c)]!;
      });
      const uniforms = { ...dimValues(dims), ...viewValues('o', contiguous(dims)), ...viewValues('x0', contiguous(dims)), ...viewValues('x1', rowView), ...viewValues('x2', shiftedView) };
      const k = mapKernel(expr, 'fused', { contiguity: { out: true, inputs: [true, false, false] }, vec4: { inputs: [true, true, false], runs } });
      expect(k.bindings.map((b) => b.element)).toEqual(['vec4f', 'vec4f', 'f32', 'vec4f']);
      const [out] = await runKernel(g, k, uniforms, [f32(a), f32(row), f32(shifted), new Float32Array(count(dims)).fill(Number.NaN)], linearGrid(count(dims) / (4 * runs)));
      expectClose(out!, want);
    }
  });

  it('gathered inputs read rows through an incidence table (−1 reads 0), scalar lanes and vec4 runs alike', async () => {
    // x: [2, 3, 5 neurons, 8]; y = relu(gather_rows(x) + gather_cols(x)) over 7 "parameters".
    const xd: Dims4 = [2, 3, 5, 8];
    const dims: Dims4 = [2, 3, 7, 8];
    const x = randomArray(rng, count(xd));
    const rows = Int32Array.from([0, 4, 4, 2, 1, 3, 3]);
    const cols = Int32Array.from([1, -1, 0, 4, -1, 2, 2]);
    const read = (n: number, s: number, j: number, c: number): number => (j < 0 ? 0 : x[((n * 3 + s) * 5 + j) * 8 + c]!);
    const want = new Float64Array(count(dims));
    forEach(dims, (n, s, t, c, i) => {
      want[i] = Math.max(read(n, s, rows[t]!, c) + read(n, s, cols[t]!, c), 0);
    });
    const expr: Expr = { kind: 'unary', fn: 'relu', x: { kind: 'binary', fn: 'add', a: { kind: 'input', index: 0 }, b: { kind: 'input', index: 1 } } };
    const uniforms = { ...dimValues(dims), ...viewValues('o', contiguous(dims)), ...viewValues('x0', contiguous(xd)), ...viewValues('x1', contiguous(xd)) };
    const layouts = [
      { lanes: 1, gathered: [true, true] },
      { contiguity: { out: true, inputs: [false, false] }, vec4: { inputs: [true, false] }, gathered: [true, true] },
      { contiguity: { out: true, inputs: [false, false] }, vec4: { inputs: [true, false], runs: 2 }, gathered: [true, true] },
    ];
    for (const layout of layouts) {
      const k = mapKernel(expr, 'fused', layout);
      expect(k.bindings.map((b) => b.name)).toEqual(['x0', 'x1', 'idx0', 'idx1', 'out']);
      const per = layout.vec4 === undefined ? 1 : 4 * (layout.vec4.runs ?? 1);
      const [out] = await runKernel(g, k, uniforms, [f32(x), f32(x), rows, cols, new Float32Array(count(dims)).fill(Number.NaN)], linearGrid(count(dims) / per));
      expectClose(out!, want);
    }
  });

  it('copy views implement concat (channel offset), slice and fold (set → channels)', async () => {
    // fold set into channels: x [B=2, S=3, T=5, C=3] → y [2, 1, 5, 9], y[n, t, s·C + c] = x[n, s, t, c].
    const xd: Dims4 = [2, 3, 5, 3];
    const x = randomArray(rng, count(xd));
    const oView: View = { offset: 0, strides: [5 * 9, 3, 9, 1] };
    const want = new Float64Array(2 * 5 * 9);
    forEach(xd, (n, s, t, c, i) => { want[n * 45 + t * 9 + s * 3 + c] = x[i]!; });
    const copy = mapKernel({ kind: 'input', index: 0 }, 'copy');
    const [folded] = await runKernel(g, copy, { ...dimValues(xd), ...viewValues('o', oView), ...viewValues('x0', contiguous(xd)) }, [f32(x), new Float32Array(90)], linearGrid(count(xd)));
    expectClose(folded!, f32(want), 0, 0);
    // slice channels [1, 3) of x, then write them at channel offset 4 of a 6-channel concat output.
    const sd: Dims4 = [2, 3, 5, 2];
    const sliceIn: View = { offset: 1, strides: contiguous(xd).strides };
    const concatOut: View = { offset: 4, strides: [3 * 5 * 6, 5 * 6, 6, 1] };
    const init = new Float32Array(2 * 3 * 5 * 6).fill(7);
    const want2 = Float64Array.from(init);
    forEach(sd, (n, s, t, c) => { want2[at(concatOut, n, s, t, c)] = x[at(sliceIn, n, s, t, c)]!; });
    const [cat] = await runKernel(g, copy, { ...dimValues(sd), ...viewValues('o', concatOut), ...viewValues('x0', sliceIn) }, [f32(x), init], linearGrid(count(sd)));
    expectClose(cat!, f32(want2), 0, 0);
  });
});

describe.skipIf(gpu === null)('reduction and incidence kernels', () => {
  const g = gpu!;
  const rng = new Rng(2);

  it('reduce: mean over set, sum over site, mean over both (odd sizes)', async () => {
    for (const xd of [[3, 33, 7, 8], [2, 3, 5, 5]] as Dims4[]) {
      const x = randomArray(rng, count(xd));
      const cases: { set: boolean; site: boolean; mean: boolean }[] = [
        { set: true, site: false, mean: true },
        { set: false, site: true, mean: false },
        { set: true, site: true, mean: true },
      ];
      for (const cse of cases) {
        const od: Dims4 = [xd[0], cse.set ? 1 : xd[1], cse.site ? 1 : xd[2], xd[3]];
        const r1 = cse.set ? xd[1] : 1;
        const r2 = cse.site ? xd[2] : 1;
        const want = new Float64Array(count(od));
        forEach(xd, (n, s, t, c, i) => {
          want[((n * od[1] + (cse.set ? 0 : s)) * od[2] + (cse.site ? 0 : t)) * od[3] + c]! += x[i]! / (cse.mean ? r1 * r2 : 1);
        });
        const uniforms = { ...dimValues(od), ...viewValues('x', contiguous(xd)), r1, r2, scale: cse.mean ? 1 / (r1 * r2) : 1 };
        const [out] = await runKernel(g, reduceKernel(), uniforms, [f32(x), new Float32Array(count(od))], linearGrid(count(od)));
        expectClose(out!, want);
        if (xd[3] % 4 === 0) {
          // The same reduction as the middle axis of [outer, mid, inner] on vec4 runs (mid = 33, 7 or
          // 231: the 4-row main loop and its remainder both run).
          const inner = (cse.site ? 1 : xd[2]) * xd[3];
          const mid = r1 * r2;
          const middle = { count: count(od) / 4, mid, inner: inner / 4, scale: uniforms.scale };
          const [out4] = await runKernel(g, reduceMiddleKernel(), middle, [f32(x), new Float32Array(count(od))], linearGrid(count(od) / 4));
          expectClose(out4!, want);
        }
      }
    }
  });

  it('segment_mean averages within each segment of sizes 1, 3, 33 and 2', async () => {
    const sizes = [1, 3, 33, 2];
    const seg: number[] = [];
    let off = 0;
    for (const s of sizes) { for (let j = 0; j < s; j++) seg.push(off, s); off += s; }
    const xd: Dims4 = [2, 3, off, 3];
    const x = randomArray(rng, count(xd));
    const want = new Float64Array(count(xd));
    forEach(xd, (n, s, t, c, i) => {
      const [start, size] = [seg[2 * t]!, seg[2 * t + 1]!];
      let acc = 0;
      for (let j = start; j < start + size; j++) acc += x[((n * 3 + s) * off + j) * 3 + c]!;
      want[i] = acc / size;
    });
    const [out] = await runKernel(g, segmentMeanKernel(), dimValues(xd), [f32(x), Uint32Array.from(seg), new Float32Array(count(xd))], linearGrid(count(xd)));
    expectClose(out!, want);
  });

  it('gather then scatter along a 1→3→2 MLP incidence table (2 channels, and 8 as vec4 runs); scatter is gather\'s adjoint', async () => {
    // params: W1 [3,1] rows→layer1, b1 [3], W2 [2,3], b2 [2]; neurons 0 | 1..3 | 4..5.
    const rows: number[] = [];
    const cols: number[] = [];
    for (let p = 0; p < 3; p++) { rows.push(1 + p); cols.push(0); }
    for (let p = 0; p < 3; p++) { rows.push(1 + p); cols.push(-1); }
    for (let p = 0; p < 2; p++) for (let q = 0; q < 3; q++) { rows.push(4 + p); cols.push(1 + q); }
    for (let p = 0; p < 2; p++) { rows.push(4 + p); cols.push(-1); }
    const N = 6;
    const P = rows.length;
    for (const [idx, C] of [[Int32Array.from(rows), 2], [Int32Array.from(cols), 2], [Int32Array.from(rows), 8], [Int32Array.from(cols), 8]] as const) {
      // 8 channels: the vec4 variants (rows move as vec4 runs).
      const vec4 = C % 4 === 0;
      const xd: Dims4 = [2, 3, N, C];
      const x = randomArray(rng, count(xd));
      const gd: Dims4 = [2, 3, P, C];
      const wantG = new Float64Array(count(gd));
      forEach(gd, (n, s, p, c, i) => { wantG[i] = idx[p]! >= 0 ? x[((n * 3 + s) * N + idx[p]!) * C + c]! : 0; });
      const gu = incidenceUniforms(gd, N, vec4);
      const [gathered] = await runKernel(g, gatherKernel(vec4), gu, [f32(x), idx, new Float32Array(count(gd))], linearGrid(gu.count));
      expectClose(gathered!, f32(wantG), 0, 0);
      const y = randomArray(rng, count(gd));
      const wantS = new Float64Array(count(xd));
      forEach(gd, (n, s, p, c, i) => { if (idx[p]! >= 0) wantS[((n * 3 + s) * N + idx[p]!) * C + c]! += y[i]!; });
      const { start, members } = incidenceCsr(idx, N);
      const su = incidenceUniforms(xd, P, vec4);
      const [scattered] = await runKernel(g, scatterKernel(vec4), su, [f32(y), start, members, new Float32Array(count(xd))], linearGrid(su.count));
      expectClose(scattered!, wantS);
      // <gather(x), y> == <x, scatter(y)>
      const lhs = wantG.reduce((acc, v, i) => acc + v * y[i]!, 0);
      const rhs = wantS.reduce((acc, v, i) => acc + v * x[i]!, 0);
      expect(Math.abs(lhs - rhs)).toBeLessThan(1e-9 * (1 + Math.abs(lhs)));
    }
  });
});
