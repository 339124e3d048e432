// The batched-weight matmul whose epilogue output is also summed over blocks of sets
// (compiler/wgsl/matmul-set-sums.ts) against float64: the partial sums of relu(product + a
// per-(element, set) row + a per-(element, site) row) over blocks of sets — the last block partial,
// N not a multiple of the 8-column block — with and without the full output stored, for the default
// tile and finer ones. Then the planner's use of it: two GradMetaNet set layers and a pool on
// per-element weights, where the first layer's output is stored and summed and the second's only
// summed, agree with the float64 reference executor.
import { afterAll, describe, expect, it } from 'vitest';
import { paramsAsInputs } from '../../compiler/ir/params-as-inputs.js';
import { shapeOf } from '../../compiler/ir/types.js';
import { optimizeNet } from '../../compiler/optimize/passes.js';
import { BATCHED_VEC4_TILE } from '../../compiler/wgsl/matmul-batched.js';
import { batchedSetSumsGrid, batchedSetSumsKernel, setBlocks } from '../../compiler/wgsl/matmul-set-sums.js';
import { planGraph } from '../../compiler/wgsl/plan.js';
import { GpuExecutor, layoutTables } from '../../runtime/gpu/index.js';
import { executeGraph, tensor } from '../../runtime/reference/index.js';
import { Rng } from '../../runtime/util/rng.js';
import { expectClose, openTestGpu } from '../device/gpu-fixture.js';
import { lowerSource, probe } from '../ir/lower-helpers.js';
import { matmul64, randomArray } from './oracle.js';
import { f32, runKernel } from './run-kernel.js';

const gpu = await openTestGpu();
afterAll(() => gpu?.destroy());

describe.skipIf(gpu === null)('batched-weight matmul with set sums', () => {
  // 3 elements; rows [set 10, sites 5] (blocks of 8 sets: the second holds 2); K = 7; N = 12.
  const [B, S, T, K, N] = [3, 10, 5, 7, 12];
  const M = S * T;
  const rng = new Rng(23);
  const a = randomArray(rng, B * M * K);
  const w = randomArray(rng, B * K * N);
  const pooled = randomArray(rng, B * S * N);
  const site = randomArray(rng, B * T * N);
  /** relu(A[z]·B[z] + pooled[z, s] + site[z, t]) in float64, [B, S, T, N]. */
  const full = Array.from({ length: B }, (_, z) => {
    const p = matmul64(a.subarray(z * M * K, (z + 1) * M * K), w.subarray(z * K * N, (z + 1) * K * N), M, K, N);
    return [...p].map((v, i) => {
      const [m, n] = [Math.floor(i / N), i % N];
      return Math.max(v + pooled[(z * S + Math.floor(m / T)) * N + n]! + site[(z * T + (m % T)) * N + n]!, 0);
    });
  }).flat();
  /** Sums of `full` over each block of `rows` sets, [B, blocks, T, N]. */
  const blockSums = (rows: number): number[] => {
    const blocks = Math.ceil(S / rows);
    const out = new Array<number>(B * blocks * T * N).fill(0);
    for (let z = 0; z < B; z++) for (let s = 0; s < S; s++) for (let t = 0; t < T; t++) for (let n = 0; n < N; n++) {
      out[((z * blocks + Math.floor(s / rows)) * T + t) * N + n] += full[((z * S + s) * T + t) * N + n]!;
    }
    return out;
  };
  const x = (index: number) => ({ kind: 'input' as const, index });
  const expr = { kind: 'unary' as const, fn: 'relu' as const, x: { kind: 'binary' as const, fn: 'add' as const, a: { kind: 'binary' as const, fn: 'add' as const, a: x(0), b: x(1) }, b: x(2) } };
  const uniforms = {
    M, N, K, sa: M * K, b_off: 0, sb: (K * N) / 4, d1: S, d2: T,
    x1_off: 0, x1_s0: S * N, x1_s1: N, x1_s2: 0, x1_s3: 1,
    x2_off: 0, x2_s0: T * N, x2_s1: 0, x2_s2: N, x2_s3: 1,
  };

  const tiles = [BATCHED_VEC4_TILE, { rows: 4, cols: 4, lanes: 2 }, { rows: 3, cols: 8, lanes: 5 }];
  for (const store of [true, false]) {
    it.each(tiles)(`${store ? 'stores the output and' : 'only'} sums it over blocks of sets (tile $rows × $cols, $lanes lanes)`, async (tile) => {
      const kernel = batchedSetSumsKernel({ expr, acc: 0, vec4Inputs: new Set([1, 2]) }, store, tile);
      expect(kernel.name).toBe(`matmul_batched_w_vec4_${tile.rows}x${tile.cols}_fused_set_sums${store ? '' : '_only'}`);
      const partials = new Float32Array(B * setBlocks(S, tile) * T * N + 4).fill(7);
      const outputs = store ? [new Float32Array(B * M * N), partials] : [partials];
      const got = await runKernel(gpu!, kernel, uniforms, [f32(a), f32(w), f32(pooled), f32(site), ...outputs], batchedSetSumsGrid(S, T, N, B, tile));
      const sums = got.at(-1)!;
      expectClose(sums.subarray(0, partials.length - 4), blockSums(tile.rows), 1e-4, 1e-5 * Math.sqrt(K) * tile.rows);
      // Nothing is written past the partial sums' last row.
      expect([...sums.subarray(partials.length - 4)]).toEqual([7, 7, 7, 7]);
      if (store) expectClose(got[0]!, full, 1e-4, 1e-5 * Math.sqrt(K));
    });
  }
});

describe('set layers and a pool on per-element weights', () => {
  const src = 'use std/layers\nnet f(g: grads(T, b)[4]) -> neurons(T)[8] {\n  return pool(relu(set_layer(relu(set_layer(g, 8)), 8)), 8)\n}\n';
  const lowered = lowerSource(src, 'f', { target: probe([1, 3, 4, 1]), b: 10 });
  if (!lowered.ok) throw new Error(lowered.diagnostics[0]!.message);
  const { instantiation } = lowered.value;
  const graph = paramsAsInputs(optimizeNet(lowered.value.graph, instantiation));
  const batch = 3;

  it('sum each layer\'s output over the set in its matmul: the first stored too (the next layer reads it), the second never', () => {
    const plan = planGraph(graph, instantiation, { batch, tables: layoutTables(instantiation) });
    const names = plan.dispatches.map((d) => plan.kernels[d.kernel]!.name);
    expect(names.filter((n) => n === 'matmul_batched_w_vec4_8x8_fused_set_sums')).toHaveLength(1);
    expect(names.filter((n) => n === 'matmul_batched_w_vec4_8x8_fused_set_sums_only')).toHaveLength(1);
    expect(names.indexOf('matmul_batched_w_vec4_8x8_fused_set_sums')).toBeLessThan(names.indexOf('matmul_batched_w_vec4_8x8_fused_set_sums_only'));
  });

  it.skipIf(gpu === null)('and agree with the float64 reference, each element under its own weights', async () => {
    const rng = new Rng(24);
    const inputs = new Map([...graph.inputs].map(([name, id]) => {
      const shape = [batch, ...shapeOf(graph.nodes[id]!.type, instantiation)];
      return [name, tensor(shape, Array.from({ length: shape.reduce((p, q) => p * q, 1) }, () => rng.normal()))] as const;
    }));
    const want = executeGraph(graph, instantiation, inputs, new Map()).output;
    const exec = new GpuExecutor(gpu!, graph, instantiation, { tables: layoutTables(instantiation) });
    const { values } = await exec.run(new Map([...inputs].map(([k, t]) => [k, t.data])), batch);
    expectClose(values.get(graph.output)!, want.data, 1e-4, 1e-5);
    exec.release();
  });
});
