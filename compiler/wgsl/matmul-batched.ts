// The channel matmul with per-element weights: C[z] = A[z] · B[z] for every batch element z, where
// B (the weight) is batched — a graph whose params became inputs (compiler/ir/params-as-inputs.ts:
// PES particles, each with its own update-net weights). Workgroup z is the batch element and
// workgroup x one block of columns, so every read of the element's weight has one address in the
// whole workgroup (lavapipe: a uniform load, not a gather); each invocation owns a register block of
// rows, with guards on every edge (K, N and M are free: update nets map 19, 22 or 33 channels to 32,
// 14 or 1).
//
//   C[z·M·N + m·N + n] = Σ_k A[z·sa + m·K + k] · B[z·sb + k·sbk + n·sbn]
//
// sa = 0 reads one A for every element (an unbatched operand); sbk, sbn give B's layout ([K, N], or
// [N, K] for a transposed weight).
import { exprName } from './elementwise.js';
import { header, linearMain, type Kernel } from './kernel.js';
import { fastLayout, fastStores, type Epilogue } from './matmul.js';

const TM = 4;
const TN = 4;
/** Invocations per workgroup of the 4 × 4 kernel, along rows. */
const ROW_LANES = 64;

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

export function batchedMatmulKernel(): Kernel {
  const uniforms = ['M', 'N', 'K', 'sa', 'sb', 'sbk', 'sbn'].map((name) => ({ name, type: 'u32' as const }));
  const bindings = [
    { name: 'A', element: 'f32', access: 'read' as const },
    { name: 'B', element: 'f32', access: 'read' as const },
    { name: 'C', element: 'f32', access: 'read_write' as const },
  ];
  const lines: string[] = [];
  lines.push(`  let col0 = wg.x * ${TN}u;`);
  lines.push(`  let row0 = (wg.y * ${ROW_LANES}u + lid.y) * ${TM}u;`);
  lines.push(`  if (col0 >= u.N || row0 >= u.M) { return; }`);
  lines.push(`  let z = wg.z;`);
  lines.push(`  let bz = z * u.sb;`);
  // Out-of-range rows and columns read the last valid one (and are not stored).
  for (const r of range(TM)) lines.push(`  let arow${r} = z * u.sa + min(row0 + ${r}u, u.M - 1u) * u.K;`);
  for (const j of range(TN)) lines.push(`  let bcol${j} = bz + min(col0 + ${j}u, u.N - 1u) * u.sbn;`);
  for (const r of range(TM)) for (const j of range(TN)) lines.push(`  var acc${r}_${j} = 0.0;`);
  lines.push(`  for (var k = 0u; k < u.K; k++) {`);
  for (const j of range(TN)) lines.push(`    let b${j} = B[bcol${j} + k * u.sbk];`);
  for (const r of range(TM)) {
    lines.push(`    let a${r} = A[arow${r} + k];`);
    for (const j of range(TN)) lines.push(`    acc${r}_${j} += a${r} * b${j};`);
  }
  lines.push(`  }`);
  lines.push(`  let cz = z * u.M * u.N;`);
  for (const r of range(TM)) {
    for (const j of range(TN)) {
      lines.push(`  if (row0 + ${r}u < u.M && col0 + ${j}u < u.N) { C[cz + (row0 + ${r}u) * u.N + col0 + ${j}u] = acc${r}_${j}; }`);
    }
  }
  const source = `// matmul_batched_w: C[z] = A[z]·B[z], each batch element with its own weight B[z]; ${TM}x${TN} register blocks
${header(uniforms, bindings)}
@compute @workgroup_size(1, ${ROW_LANES})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
${lines.join('\n')}
}
`;
  return { name: `matmul_batched_w_${TM}x${TN}`, source, uniforms, bindings, workgroup: [1, ROW_LANES] };
}

/** Workgroups for an [M, N] product per element over `batch` elements. */
export function batchedMatmulGrid(M: number, N: number, batch: number): [number, number, number] {
  return [Math.ceil(N / TN), Math.ceil(M / TM / ROW_LANES), batch];
}

/**
 * The same product when N is small (an update net's 1-channel readouts): one invocation per row of
 * every element, all N columns, so no lane of a 4 × 4 block computes a clamped duplicate column.
 */
export function batchedMatvecKernel(): Kernel {
  const uniforms = ['count', 'M', 'N', 'K', 'sa', 'sb', 'sbk', 'sbn'].map((name) => ({ name, type: 'u32' as const }));
  const bindings = [
    { name: 'A', element: 'f32', access: 'read' as const },
    { name: 'B', element: 'f32', access: 'read' as const },
    { name: 'C', element: 'f32', access: 'read_write' as const },
  ];
  const body = `  let z = i / u.M;
  let m = i % u.M;
  let a = z * u.sa + m * u.K;
  let b = z * u.sb;
  for (var n = 0u; n < u.N; n++) {
    var acc = 0.0;
    for (var k = 0u; k < u.K; k++) { acc += A[a + k] * B[b + k * u.sbk + n * u.sbn]; }
    C[i * u.N + n] = acc;
  }`;
  return { name: 'matvec_batched_w', source: `// matvec_batched_w: C[z] = A[z]·B[z] for small N, one row per invocation\n${header(uniforms, bindings)}${linearMain('u.count', body)}`, uniforms, bindings, workgroup: [64, 1] };
}

/** The vec4 kernel's register block (cols a multiple of 4) and its invocations per workgroup, along rows. */
export interface BatchedVec4Tile {
  rows: number;
  cols: number;
  lanes: number;
}

// Measured on lavapipe for F_ϕ's 16 × [2410, 32]·[32, 32] (CPU ms, load ~16): 8×8 10.8, 16×8 10.6,
// 4×8 11.6, 8×4 13.2, 16×4 13.4, 4×4 16.3: 8×8 kept (as fast as 16×8 with half the registers).
export const BATCHED_VEC4_TILE: BatchedVec4Tile = { rows: 8, cols: 8, lanes: 64 };

/**
 * The product when N % 4 == 0 and the weight is not transposed (GradMetaNet's and F_ϕ's 32-wide
 * layers): 8 × 8 register blocks, B and C as vec4 runs along N, A read one scalar at a time (any K).
 * Element z's weight starts at vec4 b_off + z·sb: a block of rows of a larger batched matrix (the
 * part of a concatenation's weight one input reads) is read in place. With an epilogue, the
 * consumer's elementwise chain runs on the product before the store (as in matmul.ts), the
 * output's rows being [batch, d1, d2] with d1·d2 = M.
 */
export function batchedMatmulVec4Kernel(epilogue?: Epilogue, tile = BATCHED_VEC4_TILE): Kernel {
  const { uniforms, bindings } = fastLayout('f32', epilogue, ['M', 'N', 'K', 'sa', 'b_off', 'sb']);
  const { rows: VM, cols: VN, lanes } = tile;
  const v = VN / 4;
  const lines: string[] = [];
  // A workgroup is one column block of one element: its reads of B have the same address in every
  // invocation (uniform loads: on lavapipe a scalar load, not a gather; 14 → 9.5 ms of CPU for F_ϕ's
  // 16 × [2410, 32]·[32, 32] against 8 × 8 workgroups, docs/performance.md).
  lines.push(`  let col4 = wg.x * ${v}u;`);
  lines.push(`  let row0 = (wg.y * ${lanes}u + lid.y) * ${VM}u;`);
  lines.push(`  let N4 = u.N / 4u;`);
  lines.push(`  if (col4 >= N4 || row0 >= u.M) { return; }`);
  lines.push(`  let z = wg.z;`);
  lines.push(`  let bz = u.b_off + z * u.sb;`);
  for (const r of range(VM)) lines.push(`  let arow${r} = z * u.sa + min(row0 + ${r}u, u.M - 1u) * u.K;`);
  lines.push(...batchedProductLoop(VM, v));
  // N4 is a multiple of v only when N % 8 == 0: the stores guard their column too.
  lines.push(...fastStores(VM, v, epilogue, 'z * u.M + ', true));
  const note = epilogue === undefined ? '' : `, then ${exprName(epilogue.expr)} with x${epilogue.acc} = the product`;
  const source = `// matmul_batched_w_vec4: C[z] = A[z]·B[z], each batch element with its own weight; ${VM}x${VN} register blocks, vec4 B and C${note}
${header(uniforms, bindings)}
@compute @workgroup_size(1, ${lanes})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
${lines.join('\n')}
}
`;
  return { name: `matmul_batched_w_vec4_${VM}x${VN}${epilogue === undefined ? '' : '_fused'}`, source, uniforms, bindings, workgroup: [1, lanes] };
}

/**
 * The register block's products over K: acc{r}_{j} (vec4 runs of columns) of A's rows at arow{r}
 * and element z's weight from vec4 bz, columns clamped to the last run (col4, N4 in scope).
 */
export function batchedProductLoop(VM: number, v: number): string[] {
  const lines: string[] = [];
  for (const j of range(v)) lines.push(`  let c${j} = min(col4 + ${j}u, N4 - 1u);`);
  for (const r of range(VM)) for (const j of range(v)) lines.push(`  var acc${r}_${j} = vec4f(0.0);`);
  lines.push(`  for (var k = 0u; k < u.K; k++) {`);
  for (const j of range(v)) lines.push(`    let b${j} = B[bz + k * N4 + c${j}];`);
  for (const r of range(VM)) {
    lines.push(`    let a${r} = A[arow${r} + k];`);
    for (const j of range(v)) lines.push(`    acc${r}_${j} += a${r} * b${j};`);
  }
  lines.push(`  }`);
  return lines;
}

/** Workgroups of the vec4 kernel for an [M, N] product per element over `batch` elements. */
export function batchedMatmulVec4Grid(M: number, N: number, batch: number, tile = BATCHED_VEC4_TILE): [number, number, number] {
  return [Math.ceil(N / tile.cols), Math.ceil(M / tile.rows / tile.lanes), batch];
}

/**
 * The one-column product (N = 1) when K % 4 == 0 and A has a batch stride (the update nets'
 * readouts from 32 channels): 4 rows per invocation, vec4 loads along K of A and of the element's
 * weight column — a quarter of the invocations and loads of `batchedMatvecKernel`.
 */
export function batchedMatvecVec4Kernel(rows = 4): Kernel {
  const uniforms = ['count', 'M', 'K', 'sa', 'sb'].map((name) => ({ name, type: 'u32' as const }));
  const bindings = [
    { name: 'A', element: 'vec4f', access: 'read' as const },
    { name: 'B', element: 'vec4f', access: 'read' as const },
    { name: 'C', element: 'f32', access: 'read_write' as const },
  ];
  const rs = range(rows);
  const body = `  let blocks = (u.M + ${rows - 1}u) / ${rows}u;
  let z = i / blocks;
  let row0 = (i % blocks) * ${rows}u;
  let K4 = u.K / 4u;
  let b0 = z * u.sb / 4u;
${rs.map((r) => `  let a${r} = (z * u.sa + min(row0 + ${r}u, u.M - 1u) * u.K) / 4u;`).join('\n')}
${rs.map((r) => `  var acc${r} = 0.0;`).join('\n')}
  for (var k4 = 0u; k4 < K4; k4++) {
    let b = B[b0 + k4];
${rs.map((r) => `    acc${r} += dot(A[a${r} + k4], b);`).join('\n')}
  }
${rs.map((r) => `  if (row0 + ${r}u < u.M) { C[z * u.M + row0 + ${r}u] = acc${r}; }`).join('\n')}`;
  return { name: `matvec_batched_w_vec4_${rows}`, source: `// matvec_batched_w_vec4: C[z] = A[z]·b[z] (one column), ${rows} rows per invocation, vec4 loads along K\n${header(uniforms, bindings)}${linearMain('u.count', body)}`, uniforms, bindings, workgroup: [64, 1] };
}
