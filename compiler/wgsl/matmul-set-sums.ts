// The batched-weight matmul with an epilogue whose output is also summed over the set axis:
// GradMetaNet's set layers on PES particles, whose outputs the next set layer (or the pool) averages
// over the b set elements. An invocation's register rows are `rows` consecutive sets of one site, so
// it adds up its epilogue values in registers and writes one partial row per block of sets,
//
//   P[z, block, t, n] = Σ_{s in block} epilogue(A[z, s, t, :] · B[z])[n]
//
// — b/rows rows, which a reduce over the blocks finishes (plan.ts), instead of a pass over the full
// [z, b, T, N] output. With `store` the full output is written too (it has other readers); without,
// it never goes to memory. The weight reads, register block and workgroup are those of
// batchedMatmulVec4Kernel (matmul-batched.ts); only the rows an invocation owns differ.
import { exprName } from './elementwise.js';
import { header, type Kernel } from './kernel.js';
import { columnGuarded, epilogueValue, fastLayout, type Epilogue } from './matmul.js';
import { BATCHED_VEC4_TILE, batchedProductLoop, type BatchedVec4Tile } from './matmul-batched.js';

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/**
 * Uniforms as batchedMatmulVec4Kernel's with an epilogue (d1 = sets, d2 = sites, M = d1·d2);
 * bindings A, B, the epilogue's other inputs, then C (with `store`) and P, [z, blocks, d2, N].
 */
export function batchedSetSumsKernel(epilogue: Epilogue, store: boolean, tile: BatchedVec4Tile = BATCHED_VEC4_TILE): Kernel {
  const { uniforms, bindings } = fastLayout('f32', epilogue, ['M', 'N', 'K', 'sa', 'b_off', 'sb'], store ? ['C', 'P'] : ['P']);
  const { rows: VM, cols: VN, lanes } = tile;
  const v = VN / 4;
  const lines: string[] = [];
  // Lane i of element z: site i % d2 of set block i / d2 (one division per invocation).
  lines.push(`  let col4 = wg.x * ${v}u;`);
  lines.push(`  let lane = wg.y * ${lanes}u + lid.y;`);
  lines.push(`  let N4 = u.N / 4u;`);
  lines.push(`  let setBlocks = (u.d1 + ${VM - 1}u) / ${VM}u;`);
  lines.push(`  let site = lane % u.d2;`);
  lines.push(`  let setBlock = lane / u.d2;`);
  lines.push(`  if (col4 >= N4 || setBlock >= setBlocks) { return; }`);
  lines.push(`  let z = wg.z;`);
  lines.push(`  let bz = u.b_off + z * u.sb;`);
  lines.push(`  let firstSet = setBlock * ${VM}u;`);
  // Sets past the last read the last one (and are neither stored nor summed).
  for (const r of range(VM)) lines.push(`  let arow${r} = z * u.sa + (min(firstSet + ${r}u, u.d1 - 1u) * u.d2 + site) * u.K;`);
  lines.push(...batchedProductLoop(VM, v));
  for (const j of range(v)) lines.push(`  var sum${j} = vec4f(0.0);`);
  for (const r of range(VM)) {
    lines.push(`  if (firstSet + ${r}u < u.d1) {`);
    lines.push(`    let n${r} = z;`);
    lines.push(`    let s${r} = firstSet + ${r}u;`);
    lines.push(`    let t${r} = site;`);
    if (store) lines.push(`    let row${r} = z * u.M + s${r} * u.d2 + site;`);
    for (const j of range(v)) {
      const { lines: run, result } = epilogueValue(epilogue, r, j);
      if (store) run.push(`    C[row${r} * N4 + col4 + ${j}u] = ${result};`);
      run.push(`    sum${j} += ${result};`);
      lines.push(...columnGuarded(j, run));
    }
    lines.push(`  }`);
  }
  lines.push(`  let prow = (z * setBlocks + setBlock) * u.d2 + site;`);
  for (const j of range(v)) lines.push(...columnGuarded(j, [`    P[prow * N4 + col4 + ${j}u] = sum${j};`]));
  const source = `// matmul_batched_w_vec4 with set sums: ${exprName(epilogue.expr)} of A[z]·B[z] (x${epilogue.acc} = the product), ${store ? 'stored and ' : ''}summed over blocks of ${VM} sets; ${VM}x${VN} register blocks
${header(uniforms, bindings)}
@compute @workgroup_size(1, ${lanes})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
${lines.join('\n')}
}
`;
  return { name: `matmul_batched_w_vec4_${VM}x${VN}_fused_set_sums${store ? '' : '_only'}`, source, uniforms, bindings, workgroup: [1, lanes] };
}

/** Blocks of sets the partial sums have: P is [batch, setBlocks, sites, N]. */
export function setBlocks(sets: number, tile: BatchedVec4Tile = BATCHED_VEC4_TILE): number {
  return Math.ceil(sets / tile.rows);
}

/** Workgroups for `batch` elements of [sets, sites] rows and N columns. */
export function batchedSetSumsGrid(sets: number, sites: number, N: number, batch: number, tile: BatchedVec4Tile = BATCHED_VEC4_TILE): [number, number, number] {
  return [Math.ceil(N / tile.cols), Math.ceil((setBlocks(sets, tile) * sites) / tile.lanes), batch];
}
