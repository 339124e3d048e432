// Matmul (fast and strided, split-K), layer norm, attention and optimizer kernels against float64
// oracles on the test adapter, with sizes 1, 3, 33 and non-multiples of the tiles.
import { afterAll, describe, expect, it } from 'vitest';
import { attentionDKernel, attentionKernel, attentionStatsKernel, attentionVjpKernel, attentionVjpKvKernel } from '../../compiler/wgsl/attention.js';
import { linearGrid } from '../../compiler/wgsl/kernel.js';
import { layernormKernel, layernormVjpKernel } from '../../compiler/wgsl/layernorm.js';
import { contractColumnKernel, contractGroup, contractKernel, fitTile, GENERIC_TILE, LAVAPIPE_TILE, matmulFastKernel, matmulKernel, matvecKernel, vec4Readable } from '../../compiler/wgsl/matmul.js';
import { adamKernel, sgdKernel } from '../../compiler/wgsl/optimizers.js';
import { reduceKernel } from '../../compiler/wgsl/reduce.js';
import { Rng } from '../../runtime/util/rng.js';
import { expectClose, openTestGpu } from '../device/gpu-fixture.js';
import { attention64, layernorm64, matmul64, randomArray } from './oracle.js';
import { f32, runKernel } from './run-kernel.js';

const gpu = await openTestGpu();
afterAll(() => gpu?.destroy());

describe.skipIf(gpu === null)('matmul kernels', () => {
  const g = gpu!;
  const rng = new Rng(3);

  it('strided matmul: odd sizes and transposed operands', async () => {
    const shapes: [number, number, number][] = [[1, 1, 1], [3, 5, 7], [33, 17, 9], [65, 33, 3]];
    for (const [M, K, N] of shapes) {
      for (const [at, bt] of [[false, false], [false, true], [true, false]] as const) {
        const a = randomArray(rng, M * K);
        const b = randomArray(rng, K * N);
        const want = matmul64(a, b, M, K, N, at, bt);
        const uniforms = { M, N, K, kchunk: K, a_off: 0, sam: at ? 1 : K, sak: at ? M : 1, b_off: 0, sbk: bt ? 1 : N, sbn: bt ? K : 1 };
        const { tm, tn, wx, wy } = GENERIC_TILE;
        const [out] = await runKernel(g, matmulKernel(), uniforms, [f32(a), f32(b), new Float32Array(M * N)], [Math.ceil(N / tn / wx), Math.ceil(M / tm / wy), 1]);
        expectClose(out!, want, 1e-4, 1e-5 * Math.sqrt(K));
      }
    }
  });

  it('split-K partial sums reduce to the contract aᵀb over 1000 rows', async () => {
    const [rows, I, O, splits] = [1000, 5, 3, 4];
    const a = randomArray(rng, rows * I);
    const b = randomArray(rng, rows * O);
    const want = matmul64(a, b, I, rows, O, true, false);
    const kchunk = Math.ceil(rows / splits);
    const uniforms = { M: I, N: O, K: rows, kchunk, a_off: 0, sam: 1, sak: I, b_off: 0, sbk: O, sbn: 1 };
    const [partial] = await runKernel(g, matmulKernel(), uniforms, [f32(a), f32(b), new Float32Array(splits * I * O)], [1, 1, splits]);
    const [out] = await runKernel(g, reduceKernel(), { count: I * O, d1: 1, d2: 1, d3: I * O, x_off: 0, x_s0: 0, x_s1: I * O, x_s2: 0, x_s3: 1, r1: splits, r2: 1, scale: 1 }, [partial!, new Float32Array(I * O)], linearGrid(I * O));
    expectClose(out!, want, 1e-4, 1e-4);
  });

  it('fast 8×8 vec4 matmul with a ragged row count (M = 33, 1) matches float64', async () => {
    for (const [M, K, N] of [[33, 12, 16], [1, 4, 8], [70, 64, 64], [33, 18, 8], [3, 1, 8]] as [number, number, number][]) {
      const a = randomArray(rng, M * K);
      const b = randomArray(rng, K * N);
      const want = matmul64(a, b, M, K, N);
      const { tm, tn, wx, wy } = LAVAPIPE_TILE;
      // K % 4 != 0 takes the scalar-A variant.
      const kernel = matmulFastKernel(LAVAPIPE_TILE, K % 4 === 0);
      const [out] = await runKernel(g, kernel, { M, N, K }, [f32(a), f32(b), new Float32Array(M * N)], [Math.ceil(N / tn / wx), Math.ceil(M / tm / wy), 1]);
      expectClose(out!, want, 1e-4, 1e-5 * Math.sqrt(K));
    }
  });

  it('fast matmul with the workgroup fitted to narrow outputs (N = 8, 16, 24, 40; ragged M) matches float64', async () => {
    for (const [M, K, N] of [[1001, 16, 16], [333, 12, 8], [97, 10, 24], [65, 16, 40]] as [number, number, number][]) {
      const tile = fitTile(LAVAPIPE_TILE, N);
      expect(tile.wx * tile.wy).toBe(LAVAPIPE_TILE.wx * LAVAPIPE_TILE.wy);
      expect(tile.wx * tile.tn).toBeGreaterThanOrEqual(Math.min(N, LAVAPIPE_TILE.wx * LAVAPIPE_TILE.tn));
      const a = randomArray(rng, M * K);
      const b = randomArray(rng, K * N);
      const kernel = matmulFastKernel(tile, K % 4 === 0);
      const [out] = await runKernel(g, kernel, { M, N, K }, [f32(a), f32(b), new Float32Array(M * N)], [Math.ceil(N / tile.tn / tile.wx), Math.ceil(M / tile.tm / tile.wy), 1]);
      expectClose(out!, matmul64(a, b, M, K, N), 1e-4, 1e-5 * Math.sqrt(K));
    }
  });

  it('one-column readouts: matvec (M = 1, 33, 1003) and its weight gradient aᵀb over 1001 rows match float64', async () => {
    for (const M of [1, 33, 1003]) {
      const K = 12;
      const a = randomArray(rng, M * K);
      const b = randomArray(rng, K);
      const [out] = await runKernel(g, matvecKernel(), { M, K }, [f32(a), f32(b), new Float32Array(M)], linearGrid(Math.ceil(M / 4)));
      expectClose(out!, matmul64(a, b, M, K, 1), 1e-4, 1e-5 * Math.sqrt(K));
    }
    const [rows, I, splits] = [1001, 8, 7];
    const a = randomArray(rng, rows * I);
    const b = randomArray(rng, rows);
    const chunk = Math.ceil(rows / splits);
    const [partial] = await runKernel(g, contractColumnKernel(), { I, R: rows, chunk }, [f32(a), f32(b), new Float32Array(splits * I)], [1, splits, 1]);
    const summed = new Float64Array(I);
    for (let z = 0; z < splits; z++) for (let i = 0; i < I; i++) summed[i]! += partial![z * I + i]!;
    expectClose(summed, matmul64(a, b, I, rows, 1, true, false), 1e-4, 1e-4);
  });
});

describe.skipIf(gpu === null)('layernorm, attention and optimizer kernels', () => {
  const g = gpu!;
  const rng = new Rng(4);

  it('layernorm and its VJP (rows 1 and 33, C = 3 and 64)', async () => {
    for (const [rows, C] of [[1, 3], [33, 64]] as [number, number][]) {
      const eps = 1e-5;
      const x = randomArray(rng, rows * C, 3);
      const dy = randomArray(rng, rows * C);
      const { y, rstd } = layernorm64(x, rows, C, eps);
      const [out] = await runKernel(g, layernormKernel(), { rows, C, eps }, [f32(x), new Float32Array(rows * C)], linearGrid(rows));
      expectClose(out!, y, 1e-4, 1e-5);
      // dx = rstd (dy − mean(dy) − ŷ mean(dy ŷ)), from the float64 forward.
      const dx = new Float64Array(rows * C);
      for (let r = 0; r < rows; r++) {
        let mdy = 0;
        let mdyy = 0;
        for (let c = 0; c < C; c++) { mdy += dy[r * C + c]! / C; mdyy += (dy[r * C + c]! * y[r * C + c]!) / C; }
        for (let c = 0; c < C; c++) dx[r * C + c] = rstd[r]! * (dy[r * C + c]! - mdy - y[r * C + c]! * mdyy);
      }
      const [grad] = await runKernel(g, layernormVjpKernel(), { rows, C, eps }, [f32(x), f32(dy), new Float32Array(rows * C)], linearGrid(rows));
      expectClose(grad!, dx, 1e-4, 1e-5);
    }
  });

  it('attention over the set axis and over the site axis, with VJPs, 2 heads (head sizes 2, 3 and 8: scalar and vec4 rows)', async () => {
    for (const C of [4, 6, 16]) await attentionCase(C);
  });

  async function attentionCase(C: number): Promise<void> {
    const [B, S, T, H] = [2, 5, 3, 2];
    const dh = C / H;
    const size = B * S * T * C;
    const [q, k, v, dy] = [0, 1, 2, 3].map(() => randomArray(rng, size));
    for (const over of ['set', 'site'] as const) {
      // The sequences as lists of row indices (row = n·S·T + s·T + t).
      const seqs: number[][] = [];
      if (over === 'set') for (let n = 0; n < B; n++) for (let t = 0; t < T; t++) seqs.push(Array.from({ length: S }, (_, s) => (n * S + s) * T + t));
      else for (let n = 0; n < B; n++) for (let s = 0; s < S; s++) seqs.push(Array.from({ length: T }, (_, t) => (n * S + s) * T + t));
      const want = attention64(q!, k!, v!, dy!, seqs, C, H);
      const L = over === 'set' ? S : T;
      const uniforms = over === 'set'
        ? { L, seq: T * C, inner: T, s_outer: S * T * C, s_inner: C }
        : { L, seq: C, inner: 1, s_outer: T * C, s_inner: 0 };
      const count = seqs.length * L * H;
      const u = { ...uniforms, count, H, dh: C / H, scale: 1 / Math.sqrt(C / H) };
      const inputs = [f32(q!), f32(k!), f32(v!)];
      const [y] = await runKernel(g, attentionKernel(dh), u, [...inputs, new Float32Array(size)], linearGrid(count));
      expectClose(y!, want.y, 1e-4, 1e-5);
      const [stats] = await runKernel(g, attentionStatsKernel(dh), u, [...inputs, f32(dy!), new Float32Array(3 * count)], linearGrid(count));
      for (const [wrt, expected] of [['q', want.dq], ['k', want.dk], ['v', want.dv]] as const) {
        const [grad] = await runKernel(g, attentionVjpKernel(wrt, dh), u, [...inputs, f32(dy!), stats!, new Float32Array(size)], linearGrid(count));
        expectClose(grad!, expected, 1e-4, 1e-5);
      }
      const [dk, dv] = await runKernel(g, attentionVjpKvKernel(dh), u, [...inputs, f32(dy!), stats!, new Float32Array(size), new Float32Array(size)], linearGrid(count));
      expectClose(dk!, want.dk, 1e-4, 1e-5);
      expectClose(dv!, want.dv, 1e-4, 1e-5);
      // The same statistics from the forward pass (max, sum) and D = dy · y: the VJPs match again.
      const [fromForward, y2] = await runKernel(g, attentionKernel(dh, true), u, [...inputs, new Float32Array(3 * count), new Float32Array(size)], linearGrid(count));
      expectClose(y2!, want.y, 1e-4, 1e-5);
      const [withD] = await runKernel(g, attentionDKernel(dh), u, [f32(dy!), y2!, fromForward!], linearGrid(count));
      expectClose(withD!, stats!, 1e-4, 1e-5);
      const [dq] = await runKernel(g, attentionVjpKernel('q', dh), u, [...inputs, f32(dy!), withD!, new Float32Array(size)], linearGrid(count));
      expectClose(dq!, want.dq, 1e-4, 1e-5);
    }
  }

  it('Adam, AdamW and SGD-momentum updates over two steps (33 entries)', async () => {
    const n = 33;
    const p0 = randomArray(rng, n);
    const grads = [randomArray(rng, n), randomArray(rng, n)];
    for (const decoupled of [0, 1]) {
      const [lr, beta1, beta2, eps, wd] = [1e-2, 0.9, 0.999, 1e-8, 0.1];
      const p = Float64Array.from(p0);
      const m = new Float64Array(n);
      const v = new Float64Array(n);
      let state = [f32(p0), new Float32Array(n), new Float32Array(n)];
      for (let step = 1; step <= 2; step++) {
        const gr = grads[step - 1]!;
        for (let i = 0; i < n; i++) {
          const g0 = gr[i]! + (decoupled ? 0 : wd * p[i]!);
          m[i] = beta1 * m[i]! + (1 - beta1) * g0;
          v[i] = beta2 * v[i]! + (1 - beta2) * g0 * g0;
          const upd = m[i]! / (1 - beta1 ** step) / (Math.sqrt(v[i]! / (1 - beta2 ** step)) + eps) + (decoupled ? wd * p[i]! : 0);
          p[i] = p[i]! - lr * upd;
        }
        const uniforms = { count: n, decoupled, lr, beta1, beta2, eps, wd, bc1: 1 - beta1 ** step, bc2: 1 - beta2 ** step };
        const out = await runKernel(g, adamKernel(), uniforms, [f32(gr), ...state], linearGrid(n));
        state = out;
      }
      expectClose(state[0]!, p, 1e-5, 1e-6);
    }
    const [lr, momentum, wd] = [0.1, 0.9, 0.01];
    const p = Float64Array.from(p0);
    const b = new Float64Array(n);
    let state = [f32(p0), new Float32Array(n)];
    for (const gr of grads) {
      for (let i = 0; i < n; i++) {
        b[i] = momentum * b[i]! + gr[i]! + wd * p[i]!;
        p[i] = p[i]! - lr * b[i]!;
      }
      state = await runKernel(g, sgdKernel(), { count: n, lr, momentum, wd }, [f32(gr), ...state], linearGrid(n));
    }
    expectClose(state[0]!, p, 1e-5, 1e-6);
  });
});

describe.skipIf(gpu === null)('contract kernel', () => {
  it('aᵀb over 1000 rows with 8×8, 4×8, 6×8 (scalar a) and 3×4 blocks, split over rows, matches float64', async () => {
    const g = gpu!;
    const rng = new Rng(6);
    for (const [I, O, ti, to, splits] of [[16, 8, 8, 8, 5], [12, 24, 4, 8, 1], [18, 8, 6, 8, 3], [3, 4, 3, 4, 2]] as [number, number, number, number, number][]) {
      const rows = 1000;
      const a = randomArray(rng, rows * I);
      const b = randomArray(rng, rows * O);
      const want = matmul64(a, b, I, rows, O, true, false);
      const chunk = Math.ceil(rows / splits);
      const [partial] = await runKernel(g, contractKernel(ti, to), { I, O, R: rows, chunk }, [f32(a), f32(b), new Float32Array(splits * I * O)], [Math.ceil(O / to / 8), Math.ceil(I / ti / 8), splits]);
      const summed = new Float64Array(I * O);
      for (let z = 0; z < splits; z++) for (let k = 0; k < I * O; k++) summed[k]! += partial![z * I * O + k]!;
      expectClose(summed, want, 1e-4, 1e-4);
    }
  });

  it('row chunks along the workgroup\'s z (16×16, 8×8 and 24×12 weights, chunks past the last row) match float64', async () => {
    const g = gpu!;
    const rng = new Rng(7);
    for (const [I, O, rows, zGroups] of [[16, 16, 1000, 3], [8, 8, 37, 1], [24, 12, 700, 2]] as [number, number, number, number][]) {
      const ti = 8;
      const to = O % 8 === 0 ? 8 : 4;
      const [wx, wy, wz] = contractGroup(I, O, ti, to);
      expect(wx * wy * wz).toBe(64);
      const splits = zGroups * wz;
      const a = randomArray(rng, rows * I);
      const b = randomArray(rng, rows * O);
      const chunk = Math.ceil(rows / splits);
      const [partial] = await runKernel(g, contractKernel(ti, to, wx, wy, wz), { I, O, R: rows, chunk }, [f32(a), f32(b), new Float32Array(splits * I * O).fill(Number.NaN)], [Math.ceil(O / to / wx), Math.ceil(I / ti / wy), zGroups]);
      const summed = new Float64Array(I * O);
      for (let z = 0; z < splits; z++) for (let k = 0; k < I * O; k++) summed[k]! += partial![z * I * O + k]!;
      expectClose(summed, matmul64(a, b, I, rows, O, true, false), 1e-4, 1e-4);
    }
  });
  it('row chunks summed inside the workgroup write C itself (16×16, 24×12 with an idle block row, 16×8 over 5 rows) and match float64', async () => {
    const g = gpu!;
    const rng = new Rng(9);
    for (const [I, O, rows] of [[16, 16, 1000], [24, 12, 700], [16, 8, 5]] as [number, number, number][]) {
      const ti = 8;
      const to = O % 8 === 0 ? 8 : 4;
      const [wx, wy, wz] = contractGroup(I, O, ti, to);
      expect(wz).toBeGreaterThan(1);
      const a = randomArray(rng, rows * I);
      const b = randomArray(rng, rows * O);
      const chunk = Math.ceil(rows / wz);
      const kernel = contractKernel(ti, to, wx, wy, wz, true);
      const [out] = await runKernel(g, kernel, { I, O, R: rows, chunk }, [f32(a), f32(b), new Float32Array(I * O).fill(Number.NaN)], [Math.ceil(O / to / wx), Math.ceil(I / ti / wy), 1]);
      expectClose(out!, matmul64(a, b, I, rows, O, true, false), 1e-4, 1e-4);
    }
  });
});

describe.skipIf(gpu === null)('matmul epilogue', () => {
  it('relu(A·B + bias) · mask-row with 33 ragged rows, evaluated before the store, matches float64', async () => {
    const g = gpu!;
    const rng = new Rng(8);
    for (const vec4A of [true, false]) {
      const [M, K, N] = [33, vec4A ? 12 : 6, 16];
      const a = randomArray(rng, M * K);
      const b = randomArray(rng, K * N);
      const bias = randomArray(rng, N);
      const rowScale = randomArray(rng, M);
      const prod = matmul64(a, b, M, K, N);
      const want = prod.map((p, i) => Math.max(p + bias[i % N]!, 0) * rowScale[Math.floor(i / N)]!);
      const x = (index: number) => ({ kind: 'input' as const, index });
      const epilogue = { expr: { kind: 'binary' as const, fn: 'mul' as const, a: { kind: 'unary' as const, fn: 'relu' as const, x: { kind: 'binary' as const, fn: 'add' as const, a: x(1), b: x(0) } }, b: x(2) }, acc: 1 };
      const kernel = matmulFastKernel(LAVAPIPE_TILE, vec4A, epilogue);
      // Output dims [1, 3, 11, N]: rows are (s, t); the bias broadcasts over rows, rowScale over channels.
      const uniforms = {
        M, N, K, d1: 3, d2: 11,
        x0_off: 0, x0_s0: 0, x0_s1: 0, x0_s2: 0, x0_s3: 1,
        x2_off: 0, x2_s0: 0, x2_s1: 11, x2_s2: 1, x2_s3: 0,
      };
      const { tm, tn, wx, wy } = LAVAPIPE_TILE;
      const [out] = await runKernel(g, kernel, uniforms, [f32(a), f32(b), f32(bias), f32(rowScale), new Float32Array(M * N)], [Math.ceil(N / tn / wx), Math.ceil(M / tm / wy), 1]);
      expectClose(out!, want, 1e-4, 1e-5 * Math.sqrt(K));
    }
  });

  it('reads aligned epilogue inputs as vec4 runs: relu(A·B + pooled[s]) at 33 rows matches float64', async () => {
    const g = gpu!;
    const rng = new Rng(9);
    const [M, K, N] = [33, 8, 16];
    const a = randomArray(rng, M * K);
    const b = randomArray(rng, K * N);
    const pooled = randomArray(rng, 3 * N); // one row per set element, repeated over the 11 sites
    const prod = matmul64(a, b, M, K, N);
    const want = prod.map((p, i) => Math.max(p + pooled[Math.floor(Math.floor(i / N) / 11) * N + (i % N)]!, 0));
    const x = (index: number) => ({ kind: 'input' as const, index });
    const pooledView = { offset: 0, strides: [0, N, 0, 1] };
    expect(vec4Readable(pooledView)).toBe(true);
    expect(vec4Readable({ offset: 2, strides: [0, N, 0, 1] })).toBe(false);
    const epilogue = { expr: { kind: 'unary' as const, fn: 'relu' as const, x: { kind: 'binary' as const, fn: 'add' as const, a: x(0), b: x(1) } }, acc: 0, vec4Inputs: new Set([1]) };
    const kernel = matmulFastKernel(LAVAPIPE_TILE, true, epilogue);
    expect(kernel.source).toContain('array<vec4f>');
    const uniforms = { M, N, K, d1: 3, d2: 11, x1_off: 0, x1_s0: 0, x1_s1: N, x1_s2: 0, x1_s3: 1 };
    const { tm, tn, wx, wy } = LAVAPIPE_TILE;
    const [out] = await runKernel(g, kernel, uniforms, [f32(a), f32(b), f32(pooled), new Float32Array(M * N)], [Math.ceil(N / tn / wx), Math.ceil(M / tm / wy), 1]);
    expectClose(out!, want, 1e-4, 1e-5 * Math.sqrt(K));
  });
});
