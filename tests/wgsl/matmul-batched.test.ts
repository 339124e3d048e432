// The batched-weight matmuls (each batch element with its own weight, compiler/wgsl/matmul-batched.ts)
// against float64: the 4 × 4 kernel for any N (a weight [K, N] or transposed [N, K], A shared or per
// element, over more rows than one workgroup holds); the vec4 kernel: weights read in place as a block of rows of a larger per-element matrix (b_off,
// sb), N not a multiple of the 8-column block (guarded stores), register tiles and workgroups split finer, and an epilogue that adds a
// per-(element, set) row broadcast over the sites and a per-(element, site) row broadcast over the sets, then applies a ReLU before the store.
import { afterAll, describe, expect, it } from 'vitest';
import { BATCHED_VEC4_TILE, batchedMatmulGrid, batchedMatmulKernel, batchedMatmulVec4Grid, batchedMatmulVec4Kernel } from '../../compiler/wgsl/matmul-batched.js';
import { Rng } from '../../runtime/util/rng.js';
import { expectClose, openTestGpu } from '../device/gpu-fixture.js';
import { matmul64, randomArray } from './oracle.js';
import { f32, runKernel } from './run-kernel.js';

const gpu = await openTestGpu();
afterAll(() => gpu?.destroy());

describe.skipIf(gpu === null)('batched-weight vec4 matmul', () => {
  // 3 elements; rows [set 2, sites 5]; K = 7 of each element's 10 weight rows, from row 3; N = 12.
  const [B, S, T, K, N, rowsPerElement, firstRow] = [3, 2, 5, 7, 12, 10, 3];
  const M = S * T;
  const rng = new Rng(21);
  const a = randomArray(rng, B * M * K);
  const w = randomArray(rng, B * rowsPerElement * N);
  const pooled = randomArray(rng, B * S * N);
  /** Element z's product with its weight block, float64. */
  const product = (z: number): Float64Array => matmul64(a.subarray(z * M * K, (z + 1) * M * K), w.subarray((z * rowsPerElement + firstRow) * N, (z * rowsPerElement + firstRow + K) * N), M, K, N);
  const view = { b_off: (firstRow * N) / 4, sb: (rowsPerElement * N) / 4 };

  // The default tile holds all 10 rows in one invocation; the others split them over invocations and workgroups (partial last ones).
  it.each([BATCHED_VEC4_TILE, { rows: 4, cols: 4, lanes: 2 }, { rows: 1, cols: 8, lanes: 3 }])('reads each element\'s block of weight rows in place, stores only the N columns (tile $rows × $cols, $lanes lanes)', async (tile) => {
    const want = Array.from({ length: B }, (_, z) => [...product(z)]).flat();
    const out = new Float32Array(B * M * N + 8).fill(7);
    const [got] = await runKernel(gpu!, batchedMatmulVec4Kernel(undefined, tile), { M, N, K, sa: M * K, ...view }, [f32(a), f32(w), out], batchedMatmulVec4Grid(M, N, B, tile));
    expectClose(got!.subarray(0, B * M * N), want, 1e-4, 1e-5 * Math.sqrt(K));
    expect([...got!.subarray(B * M * N)]).toEqual(Array(8).fill(7));
  });

  // The epilogue steps each row's (element, set, site) on from the block's first row: tiles whose
  // rows wrap past a site count (T = 5) and a set count (S = 2) inside one block.
  const site = randomArray(rng, B * T * N);
  it.each([BATCHED_VEC4_TILE, { rows: 4, cols: 4, lanes: 2 }, { rows: 3, cols: 8, lanes: 2 }, { rows: 1, cols: 8, lanes: 3 }])('applies relu(product + pooled[z, s] + site[z, t]) before the store (tile $rows × $cols, $lanes lanes)', async (tile) => {
    const want = Array.from({ length: B }, (_, z) => [...product(z)].map((p, i) => {
      const [m, n] = [Math.floor(i / N), i % N];
      return Math.max(p + pooled[(z * S + Math.floor(m / T)) * N + n]! + site[(z * T + (m % T)) * N + n]!, 0);
    })).flat();
    const x = (index: number) => ({ kind: 'input' as const, index });
    const sum = { kind: 'binary' as const, fn: 'add' as const, a: { kind: 'binary' as const, fn: 'add' as const, a: x(0), b: x(1) }, b: x(2) };
    const kernel = batchedMatmulVec4Kernel({ expr: { kind: 'unary', fn: 'relu', x: sum }, acc: 0, vec4Inputs: new Set([1, 2]) }, tile);
    expect(kernel.name).toBe(`matmul_batched_w_vec4_${tile.rows}x${tile.cols}_fused`);
    const uniforms = {
      M, N, K, sa: M * K, ...view, d1: S, d2: T,
      x1_off: 0, x1_s0: S * N, x1_s1: N, x1_s2: 0, x1_s3: 1,
      x2_off: 0, x2_s0: T * N, x2_s1: 0, x2_s2: N, x2_s3: 1,
    };
    const [got] = await runKernel(gpu!, kernel, uniforms, [f32(a), f32(w), f32(pooled), f32(site), new Float32Array(B * M * N)], batchedMatmulVec4Grid(M, N, B, tile));
    expectClose(got!, want, 1e-4, 1e-5 * Math.sqrt(K));
  });
});

describe.skipIf(gpu === null)('batched-weight 4 × 4 matmul', () => {
  // 3 elements, M = 300 rows (more than a workgroup's 64 × 4, a partial last block), K = 7, N = 14.
  const [B, M, K, N] = [3, 300, 7, 14];
  const rng = new Rng(22);
  const a = randomArray(rng, B * M * K);
  const w = randomArray(rng, B * K * N);
  const transposed = (z: number) => Float64Array.from({ length: N * K }, (_, i) => w[z * K * N + (i % K) * N + Math.floor(i / K)]!);

  it.each([
    { layout: '[K, N]', weight: () => w, sbk: N, sbn: 1, shared: false },
    { layout: '[N, K]', weight: () => Array.from({ length: B }, (_, z) => [...transposed(z)]).flat(), sbk: 1, sbn: K, shared: false },
    { layout: '[K, N], one A for all elements', weight: () => w, sbk: N, sbn: 1, shared: true },
  ])('C[z] = A[z]·B[z] with the weight as $layout', async ({ weight, sbk, sbn, shared }) => {
    const want = Array.from({ length: B }, (_, z) => [...matmul64(a.subarray(shared ? 0 : z * M * K, (shared ? 1 : z + 1) * M * K), w.subarray(z * K * N, (z + 1) * K * N), M, K, N)]).flat();
    const uniforms = { M, N, K, sa: shared ? 0 : M * K, sb: K * N, sbk, sbn };
    const [got] = await runKernel(gpu!, batchedMatmulKernel(), uniforms, [f32(a), f32(Float64Array.from(weight())), new Float32Array(B * M * N)], batchedMatmulGrid(M, N, B));
    expectClose(got!, want, 1e-4, 1e-5 * Math.sqrt(K));
  });
});
