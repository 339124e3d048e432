// Channel matmul kernels, register-blocked for lavapipe (recipe §5): each invocation owns a
// tm × tn block of the output and keeps it in registers; no workgroup memory, no barriers.
// Tile sizes are generator parameters so a real GPU can be given other shapes.
//
//   matmulFastKernel   C[M,N] = A[M,K] · B[K,N], all contiguous, K % 4 == 0, N % tn == 0;
//                      vec4 loads of A along K and of B along N. Rows are guarded, so M is free.
//   matmulKernel       C[M,N] = Σ_k A[a_off + m·sam + k·sak] · B[b_off + k·sbk + n·sbn]: any
//                      strides (transposed operands, the contract op's aᵀb), any size (guards on
//                      every edge), and split-K: workgroup z sums its own chunk of K into its own
//                      partial output C_z, which a reduction adds up afterwards.
import { arity, exprName, factors, printExpr, type Expr } from './elementwise.js';
import { header, linearMain, type Kernel, type UniformField } from './kernel.js';
import { viewFields } from './view.js';

/**
 * An elementwise expression applied to the matmul's result before it is stored (the consumer's
 * fused chain): input `acc` is the product; every other input k is read through view `x{k}` of
 * the output's 4-D dims [*, u.d1, u.d2, N], whose rows are the product's rows. Evaluated on vec4
 * runs of 4 columns, so the expression must be `vec4Friendly`.
 */
export interface Epilogue {
  expr: Expr;
  acc: number;
  /**
   * Inputs read as vec4 runs (bound as array<vec4f>): those whose view has channel stride 1 and
   * every other stride and offset a multiple of 4. One vector load instead of four scalar ones per
   * run; on lavapipe that halved the epilogue's cost. Default: none.
   */
  vec4Inputs?: ReadonlySet<number>;
}

/** Whether a view (offset, strides [batch, set, site, channel]) can be read as aligned vec4 runs of channels. */
export function vec4Readable(view: { offset: number; strides: readonly number[] }): boolean {
  const [s0, s1, s2, s3] = view.strides;
  return s3 === 1 && [view.offset, s0!, s1!, s2!].every((v) => v % 4 === 0);
}

export interface Tile {
  /** Output rows per invocation. */
  tm: number;
  /** Output columns per invocation (a multiple of 4 for the fast kernel). */
  tn: number;
  /** Workgroup size along x (columns) and y (rows). */
  wx: number;
  wy: number;
}

export const LAVAPIPE_TILE: Tile = { tm: 8, tn: 8, wx: 8, wy: 8 };

/**
 * The tile's workgroup reshaped for an output N columns wide: no wider along x than the column
 * blocks there are, taller along y by as much, the same invocations per workgroup. With width-16
 * channel maps an 8-wide workgroup left 6 of every 8 invocations idle, and lavapipe pays for idle
 * invocations too: GradMetaNet's set-layer matmul in the INR editor (68,608 rows × 16) took 27 ms
 * of one profiled step as 8×8 and 8 ms as 2×32 (loads 5 and 23: indicative, not a timing).
 */
export function fitTile(tile: Tile, N: number): Tile {
  const blocks = Math.max(1, Math.ceil(N / tile.tn));
  let wx = tile.wx;
  while (wx > 1 && wx / 2 >= blocks) wx /= 2;
  return { ...tile, wx, wy: (tile.wy * tile.wx) / wx };
}
/**
 * The strided kernel's tile. 8×4 beat 4×4 (and 8×8, 4×8, 16×4) on lavapipe for the width-30
 * channel maps of DWS/GMN+Concat: their training step 155–162 → 140–148 ms.
 */
export const GENERIC_TILE: Tile = { tm: 8, tn: 4, wx: 8, wy: 8 };

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/**
 * `vec4A` = false reads A one scalar at a time along K, so K need not divide by 4 (a first layer
 * over 18 input channels); B is still read as vec4 runs.
 */
export function matmulFastKernel(tile: Tile = LAVAPIPE_TILE, vec4A = true, epilogue?: Epilogue): Kernel {
  const { tm, tn, wx, wy } = tile;
  if (tn % 4 !== 0) throw new Error(`internal: fast matmul needs tn % 4 == 0, got ${tn}`);
  if (!vec4A) return matmulScalarAKernel(tile, epilogue);
  const v = tn / 4;
  const { uniforms, bindings } = fastLayout('vec4f', epilogue);
  const lines: string[] = [];
  lines.push(`  let col4 = gid.x * ${v}u;`);
  lines.push(`  let row0 = gid.y * ${tm}u;`);
  lines.push(`  if (col4 * 4u >= u.N || row0 >= u.M) { return; }`);
  lines.push(`  let K4 = u.K / 4u;`);
  lines.push(`  let N4 = u.N / 4u;`);
  for (const r of range(tm)) lines.push(`  let arow${r} = min(row0 + ${r}u, u.M - 1u) * K4;`);
  for (const r of range(tm)) for (const j of range(v)) lines.push(`  var acc${r}_${j} = vec4f(0.0);`);
  lines.push(`  for (var k4 = 0u; k4 < K4; k4++) {`);
  lines.push(`    let brow = k4 * 4u * N4 + col4;`);
  for (const kk of range(4)) for (const j of range(v)) lines.push(`    let b${kk}_${j} = B[brow + ${kk}u * N4 + ${j}u];`);
  for (const r of range(tm)) {
    lines.push(`    let a${r} = A[arow${r} + k4];`);
    for (const j of range(v)) lines.push(`    acc${r}_${j} += a${r}.x * b0_${j} + a${r}.y * b1_${j} + a${r}.z * b2_${j} + a${r}.w * b3_${j};`);
  }
  lines.push(`  }`);
  lines.push(...fastStores(tm, v, epilogue));
  const note = epilogue === undefined ? '' : `, then ${exprName(epilogue.expr)} with x${epilogue.acc} = the product`;
  const source = `// matmul_fast: C = A·B, ${tm}x${tn} register blocks, vec4 loads, no barriers${note}
${header(uniforms, bindings)}
@compute @workgroup_size(${wx}, ${wy})
fn main(@builtin(global_invocation_id) gid: vec3u) {
${lines.join('\n')}
}
`;
  return { name: `matmul_fast_${tm}x${tn}${workgroupSuffix(tile)}${fusedSuffix(epilogue)}`, source, uniforms, bindings, workgroup: [wx, wy] };
}

/** `_w2x32` for a workgroup other than the square 8×8 (profiles tell the shapes apart). */
function workgroupSuffix(tile: Tile): string {
  return tile.wx === tile.wy ? '' : `_w${tile.wx}x${tile.wy}`;
}

function fusedSuffix(epilogue?: Epilogue): string {
  return epilogue === undefined ? '' : '_fused';
}

/**
 * Uniforms and bindings of the fast kernels: A, B, the epilogue's other inputs, then the outputs,
 * vec4 runs (`shape`: the kernel's own uniforms before the epilogue's).
 */
export function fastLayout(aElement: string, epilogue?: Epilogue, shape: readonly string[] = ['M', 'N', 'K'], outputs: readonly string[] = ['C']): { uniforms: UniformField[]; bindings: Kernel['bindings'] } {
  const uniforms: UniformField[] = shape.map((name) => ({ name, type: 'u32' as const }));
  const bindings: Kernel['bindings'] = [
    { name: 'A', element: aElement, access: 'read' },
    { name: 'B', element: 'vec4f', access: 'read' },
  ];
  if (epilogue !== undefined) {
    uniforms.push({ name: 'd1', type: 'u32' }, { name: 'd2', type: 'u32' });
    for (const k of epilogueInputs(epilogue)) {
      uniforms.push(...viewFields(`x${k}`));
      bindings.push({ name: `x${k}`, element: epilogue.vec4Inputs?.has(k) === true ? 'vec4f' : 'f32', access: 'read' });
    }
    factors(epilogue.expr).forEach((_, j) => uniforms.push({ name: `f${j}`, type: 'f32' }));
  }
  for (const name of outputs) bindings.push({ name, element: 'vec4f', access: 'read_write' });
  return { uniforms, bindings };
}

/** The epilogue's inputs other than the product, in binding order. */
export function epilogueInputs(epilogue: Epilogue): number[] {
  return Array.from({ length: arity(epilogue.expr) }, (_, k) => k).filter((k) => k !== epilogue.acc);
}

/**
 * Stores of the accumulators acc{r}_{j}, through the epilogue when there is one. `rowBase`: the
 * output row of block row 0 is rowBase + row0 (a batched-weight kernel's element z starts at z·M);
 * `guardColumns`: each run is stored only when it is inside N (N4 need not divide into blocks).
 */
export function fastStores(tm: number, v: number, epilogue?: Epilogue, rowBase = '', guardColumns = false): string[] {
  const lines: string[] = [];
  const guarded = (j: number, run: string[]): string[] => (guardColumns ? columnGuarded(j, run) : run);
  if (epilogue !== undefined) {
    // Coordinates of block row 0 in the output's [*, d1, d2, N] dims; the next rows step them on:
    // integer division has no vector instruction on a CPU (lavapipe divides lane by lane), so four
    // divisions per block rather than four per row.
    lines.push(`  var et = (${rowBase}row0) % u.d2;`);
    lines.push(`  var es = ((${rowBase}row0) / u.d2) % u.d1;`);
    lines.push(`  var en = (${rowBase}row0) / (u.d2 * u.d1);`);
  }
  for (const r of range(tm)) {
    lines.push(`  if (row0 + ${r}u < u.M) {`);
    if (epilogue === undefined) {
      for (const j of range(v)) lines.push(...guarded(j, [`    C[(${rowBase}row0 + ${r}u) * N4 + col4 + ${j}u] = acc${r}_${j};`]));
    } else {
      lines.push(`    let row${r} = ${rowBase}row0 + ${r}u;`);
      lines.push(`    let t${r} = et;`);
      lines.push(`    let s${r} = es;`);
      lines.push(`    let n${r} = en;`);
      for (const j of range(v)) {
        const { lines: run, result } = epilogueValue(epilogue, r, j);
        run.push(`    C[row${r} * N4 + col4 + ${j}u] = ${result};`);
        lines.push(...guarded(j, run));
      }
    }
    lines.push(`  }`);
    if (epilogue !== undefined && r < tm - 1) {
      lines.push(`  let wrapT${r} = et + 1u == u.d2;`);
      lines.push(`  et = select(et + 1u, 0u, wrapT${r});`);
      lines.push(`  let wrapS${r} = wrapT${r} && es + 1u == u.d1;`);
      lines.push(`  es = select(select(es, es + 1u, wrapT${r}), 0u, wrapS${r});`);
      lines.push(`  en = select(en, en + 1u, wrapS${r});`);
    }
  }
  return lines;
}

/** Run `run` only for a column run j inside N (N4 need not divide into register blocks). */
export function columnGuarded(j: number, run: string[]): string[] {
  return [`    if (col4 + ${j}u < N4) {`, ...run.map((l) => `  ${l}`), '    }'];
}

/**
 * The epilogue applied to accumulator run acc{r}_{j}: its other inputs read at the output
 * coordinates (n{r}, s{r}, t{r}) and columns (col4 + j)·4 of the row; `result` names the value.
 */
export function epilogueValue(epilogue: Epilogue, r: number, j: number): { lines: string[]; result: string } {
  const suffix = `_${r}_${j}`;
  const lines = [`    let c${suffix} = (col4 + ${j}u) * 4u;`];
  for (const k of epilogueInputs(epilogue)) {
    const p = `x${k}`;
    const base = `u.${p}_off + n${r} * u.${p}_s0 + s${r} * u.${p}_s1 + t${r} * u.${p}_s2 + c${suffix} * u.${p}_s3`;
    lines.push(`    let b${k}${suffix} = ${base};`);
    if (epilogue.vec4Inputs?.has(k) === true) lines.push(`    let ${p}v${suffix} = ${p}[b${k}${suffix} / 4u];`);
    else lines.push(`    let ${p}v${suffix} = vec4f(${p}[b${k}${suffix}], ${p}[b${k}${suffix} + u.${p}_s3], ${p}[b${k}${suffix} + 2u * u.${p}_s3], ${p}[b${k}${suffix} + 3u * u.${p}_s3]);`);
  }
  lines.push(`    let x${epilogue.acc}v${suffix} = acc${r}_${j};`);
  const { lines: body, result } = printExpr(epilogue.expr, suffix, true);
  lines.push(...body.map((l) => `  ${l}`));
  return { lines, result };
}

function matmulScalarAKernel(tile: Tile, epilogue?: Epilogue): Kernel {
  const { tm, tn, wx, wy } = tile;
  const v = tn / 4;
  const { uniforms, bindings } = fastLayout('f32', epilogue);
  const lines: string[] = [];
  lines.push(`  let col4 = gid.x * ${v}u;`);
  lines.push(`  let row0 = gid.y * ${tm}u;`);
  lines.push(`  if (col4 * 4u >= u.N || row0 >= u.M) { return; }`);
  lines.push(`  let N4 = u.N / 4u;`);
  for (const r of range(tm)) lines.push(`  let arow${r} = min(row0 + ${r}u, u.M - 1u) * u.K;`);
  for (const r of range(tm)) for (const j of range(v)) lines.push(`  var acc${r}_${j} = vec4f(0.0);`);
  lines.push(`  for (var k = 0u; k < u.K; k++) {`);
  for (const j of range(v)) lines.push(`    let b${j} = B[k * N4 + col4 + ${j}u];`);
  for (const r of range(tm)) {
    lines.push(`    let a${r} = A[arow${r} + k];`);
    for (const j of range(v)) lines.push(`    acc${r}_${j} += a${r} * b${j};`);
  }
  lines.push(`  }`);
  lines.push(...fastStores(tm, v, epilogue));
  const note = epilogue === undefined ? '' : `, then ${exprName(epilogue.expr)} with x${epilogue.acc} = the product`;
  const source = `// matmul_fast_scalar_a: C = A·B, ${tm}x${tn} register blocks, scalar loads of A (any K), vec4 loads of B${note}
${header(uniforms, bindings)}
@compute @workgroup_size(${wx}, ${wy})
fn main(@builtin(global_invocation_id) gid: vec3u) {
${lines.join('\n')}
}
`;
  return { name: `matmul_fast_scalar_a_${tm}x${tn}${workgroupSuffix(tile)}${fusedSuffix(epilogue)}`, source, uniforms, bindings, workgroup: [wx, wy] };
}

export function matmulKernel(tile: Tile = GENERIC_TILE): Kernel {
  const { tm, tn, wx, wy } = tile;
  const uniforms = ['M', 'N', 'K', 'kchunk', 'a_off', 'sam', 'sak', 'b_off', 'sbk', 'sbn'].map((name) => ({ name, type: 'u32' as const }));
  const bindings = [
    { name: 'A', element: 'f32', access: 'read' as const },
    { name: 'B', element: 'f32', access: 'read' as const },
    { name: 'C', element: 'f32', access: 'read_write' as const },
  ];
  const lines: string[] = [];
  lines.push(`  let col0 = gid.x * ${tn}u;`);
  lines.push(`  let row0 = gid.y * ${tm}u;`);
  lines.push(`  if (col0 >= u.N || row0 >= u.M) { return; }`);
  lines.push(`  let kb = gid.z * u.kchunk;`);
  lines.push(`  let ke = min(u.K, kb + u.kchunk);`);
  // Out-of-range rows/columns read a clamped (valid) element and are simply not stored.
  for (const r of range(tm)) lines.push(`  let ar${r} = u.a_off + min(row0 + ${r}u, u.M - 1u) * u.sam;`);
  for (const j of range(tn)) lines.push(`  let bc${j} = u.b_off + min(col0 + ${j}u, u.N - 1u) * u.sbn;`);
  for (const r of range(tm)) for (const j of range(tn)) lines.push(`  var acc${r}_${j} = 0.0;`);
  lines.push(`  for (var k = kb; k < ke; k++) {`);
  lines.push(`    let ak = k * u.sak;`);
  lines.push(`    let bk = k * u.sbk;`);
  for (const r of range(tm)) lines.push(`    let a${r} = A[ar${r} + ak];`);
  for (const j of range(tn)) lines.push(`    let b${j} = B[bk + bc${j}];`);
  for (const r of range(tm)) for (const j of range(tn)) lines.push(`    acc${r}_${j} += a${r} * b${j};`);
  lines.push(`  }`);
  lines.push(`  let base = gid.z * u.M * u.N;`);
  for (const r of range(tm)) {
    for (const j of range(tn)) {
      lines.push(`  if (row0 + ${r}u < u.M && col0 + ${j}u < u.N) { C[base + (row0 + ${r}u) * u.N + col0 + ${j}u] = acc${r}_${j}; }`);
    }
  }
  const source = `// matmul: C = A·B with strided operands, ${tm}x${tn} register blocks, guards on every edge, split-K over z
${header(uniforms, bindings)}
@compute @workgroup_size(${wx}, ${wy})
fn main(@builtin(global_invocation_id) gid: vec3u) {
${lines.join('\n')}
}
`;
  return { name: `matmul_${tm}x${tn}`, source, uniforms, bindings, workgroup: [wx, wy] };
}

/** Strided operand description for `matmulKernel`. */
export interface MatmulShape {
  M: number;
  N: number;
  K: number;
  a: { offset: number; sm: number; sk: number };
  b: { offset: number; sk: number; sn: number };
}

/**
 * Whether a fast kernel applies (contiguous row-major A and B, N a multiple of the tile width):
 * 'vec4' when K also divides by 4, 'scalar-a' otherwise, null when neither applies.
 */
export function fastApplies(s: MatmulShape, tile: Tile = LAVAPIPE_TILE): 'vec4' | 'scalar-a' | null {
  const contiguousOperands = s.a.offset === 0 && s.b.offset === 0 && s.a.sm === s.K && s.a.sk === 1 && s.b.sk === s.N && s.b.sn === 1;
  if (!contiguousOperands || s.N % tile.tn !== 0) return null;
  return s.K % 4 === 0 ? 'vec4' : 'scalar-a';
}

/** Split-K factor: enough z-slices to give ~`target` workgroups when the output alone is too small. */
export function splitK(s: MatmulShape, tile: Tile = GENERIC_TILE, target = 64, minChunk = 256): number {
  const groups = Math.ceil(s.N / tile.tn / tile.wx) * Math.ceil(s.M / tile.tm / tile.wy);
  if (groups >= target) return 1;
  return Math.max(1, Math.min(Math.ceil(target / groups), Math.floor(s.K / minChunk)));
}

/**
 * The weight gradient (IR `contract`): C[i, o] = Σ_r a[r, i] · b[r, o] over R rows (every
 * non-channel axis, the batch included). Each invocation owns a ti × to block of C and walks its
 * own chunk of rows (workgroup z), reading one vec4 run of a's and of b's channels per row: an
 * outer-product accumulation with no barriers. Partial blocks go to C_z; a reduction sums them.
 * Needs I % ti == 0 and O % to == 0 (to a multiple of 4; ti any, vec4 loads of a when ti % 4 == 0).
 * `wz` > 1 gives the workgroup's invocations row chunks of their own along z (contractGroup): with
 * few blocks (16×16 weights: 2×2 blocks of 8×8) an 8×8 workgroup kept 60 of its 64 invocations idle.
 * `sumInGroup` (one workgroup along z): the wz chunks' blocks are added up in workgroup memory and
 * written to C itself, so no reduction dispatch follows (most weight gradients of the INR editor's
 * GradMetaNet and backbone have a few thousand rows: one workgroup along z).
 */
export function contractKernel(ti = 8, to = 8, wx = 8, wy = 8, wz = 1, sumInGroup = false): Kernel {
  if (to % 4 !== 0) throw new Error(`internal: contract column tiles must be multiples of 4, got ${to}`);
  // A row block that is not a multiple of 4 reads a's channels one scalar at a time.
  const vec4A = ti % 4 === 0;
  const uniforms = ['I', 'O', 'R', 'chunk'].map((name) => ({ name, type: 'u32' as const }));
  const bindings = [
    { name: 'A', element: vec4A ? 'vec4f' : 'f32', access: 'read' as const },
    { name: 'B', element: 'vec4f', access: 'read' as const },
    { name: 'C', element: 'vec4f', access: 'read_write' as const },
  ];
  const qa = Math.ceil(ti / 4);
  const qb = to / 4;
  const lane = ['x', 'y', 'z', 'w'];
  const lines: string[] = [];
  lines.push(`  let o4 = gid.x * ${qb}u;`);
  lines.push(`  let i0 = gid.y * ${ti}u;`);
  // Summing in the group, every invocation reaches the barrier: a block outside C walks no rows.
  if (sumInGroup) lines.push(`  let live = o4 * 4u < u.O && i0 < u.I;`);
  else lines.push(`  if (o4 * 4u >= u.O || i0 >= u.I) { return; }`);
  lines.push(`  let O4 = u.O / 4u;`);
  lines.push(`  let rb = gid.z * u.chunk;`);
  lines.push(`  let re = ${sumInGroup ? 'select(rb, min(u.R, rb + u.chunk), live)' : 'min(u.R, rb + u.chunk)'};`);
  for (const i of range(ti)) for (const j of range(qb)) lines.push(`  var acc${i}_${j} = vec4f(0.0);`);
  lines.push(`  for (var r = rb; r < re; r++) {`);
  if (vec4A) for (const q of range(qa)) lines.push(`    let a${q} = A[(r * u.I + i0) / 4u + ${q}u];`);
  else for (const i of range(ti)) lines.push(`    let s${i} = A[r * u.I + i0 + ${i}u];`);
  for (const j of range(qb)) lines.push(`    let b${j} = B[r * O4 + o4 + ${j}u];`);
  const a = (i: number): string => (vec4A ? `a${Math.floor(i / 4)}.${lane[i % 4]}` : `s${i}`);
  for (const i of range(ti)) for (const j of range(qb)) lines.push(`    acc${i}_${j} += ${a(i)} * b${j};`);
  lines.push(`  }`);
  const block = ti * qb;
  let shared = '';
  if (sumInGroup) {
    // Invocation (x, y, z) keeps its block at partial[((z·wy + y)·wx + x)·block + …]; z = 0 adds up the others.
    shared = `var<workgroup> partial: array<vec4f, ${wx * wy * wz * block}>;\n`;
    lines.push(`  let mine = ((lid.z * ${wy}u + lid.y) * ${wx}u + lid.x) * ${block}u;`);
    for (const i of range(ti)) for (const j of range(qb)) lines.push(`  partial[mine + ${i * qb + j}u] = acc${i}_${j};`);
    lines.push('  workgroupBarrier();');
    lines.push('  if (lid.z != 0u || !live) { return; }');
    // Only the chunks that hold rows (a bound known at run time also keeps LLVM from unrolling the loop).
    lines.push(`  let chunks = min(${wz}u, (u.R + u.chunk - 1u) / u.chunk);`);
    lines.push('  for (var z = 1u; z < chunks; z++) {');
    lines.push(`    let theirs = mine + z * ${wx * wy * block}u;`);
    for (const i of range(ti)) for (const j of range(qb)) lines.push(`    acc${i}_${j} += partial[theirs + ${i * qb + j}u];`);
    lines.push('  }');
    for (const i of range(ti)) for (const j of range(qb)) lines.push(`  C[(i0 + ${i}u) * O4 + o4 + ${j}u] = acc${i}_${j};`);
  } else {
    lines.push(`  let base = gid.z * u.I * O4;`);
    for (const i of range(ti)) for (const j of range(qb)) lines.push(`  C[base + (i0 + ${i}u) * O4 + o4 + ${j}u] = acc${i}_${j};`);
  }
  const how = sumInGroup ? 'split over rows (z) and summed in the workgroup' : 'split over rows (z)';
  const source = `// contract: C = aᵀ·b over all rows, ${ti}x${to} blocks, ${vec4A ? 'vec4' : 'scalar'} loads of a, vec4 loads of b, ${how}
${header(uniforms, bindings)}${shared}
@compute @workgroup_size(${wx}, ${wy}, ${wz})
fn main(@builtin(global_invocation_id) gid: vec3u${sumInGroup ? ', @builtin(local_invocation_id) lid: vec3u' : ''}) {
${lines.join('\n')}
}
`;
  const shaped = wx === 8 && wy === 8 && wz === 1 ? '' : `_w${wx}x${wy}x${wz}`;
  return { name: `contract_${ti}x${to}${shaped}${sumInGroup ? '_summed' : ''}`, source, uniforms, bindings, workgroup: [wx, wy, wz] };
}

/** Invocations per workgroup of the contract kernel. */
const CONTRACT_INVOCATIONS = 64;

/**
 * The contract kernel's workgroup for I × O weights in ti × to blocks: x and y no larger than the
 * block grid (powers of two), z taking the rest of the 64 invocations, each a row chunk of its own.
 */
export function contractGroup(I: number, O: number, ti: number, to: number): [number, number, number] {
  const fit = (blocks: number): number => {
    let w = 8;
    while (w > 1 && w / 2 >= blocks) w /= 2;
    return w;
  };
  const wx = fit(Math.ceil(O / to));
  const wy = fit(Math.ceil(I / ti));
  return [wx, wy, CONTRACT_INVOCATIONS / (wx * wy)];
}

/**
 * One output column (a readout to 1 channel): y[r] = A[r, :] · b for contiguous A [M, K] with
 * K % 4 == 0, read as vec4 runs, `rows` rows per invocation. The generic kernel would spend three
 * quarters of its 4-wide column tile on columns that do not exist.
 */
export function matvecKernel(rows = 4): Kernel {
  const uniforms = (['M', 'K'] as const).map((name) => ({ name, type: 'u32' as const }));
  const bindings = [
    { name: 'A', element: 'vec4f', access: 'read' as const },
    { name: 'B', element: 'vec4f', access: 'read' as const },
    { name: 'C', element: 'f32', access: 'read_write' as const },
  ];
  const rs = range(rows);
  const body = `  let row0 = i * ${rows}u;
  let K4 = u.K / 4u;
${rs.map((r) => `  let a${r} = min(row0 + ${r}u, u.M - 1u) * K4;`).join('\n')}
${rs.map((r) => `  var acc${r} = 0.0;`).join('\n')}
  for (var k4 = 0u; k4 < K4; k4++) {
    let b = B[k4];
${rs.map((r) => `    acc${r} += dot(A[a${r} + k4], b);`).join('\n')}
  }
${rs.map((r) => `  if (row0 + ${r}u < u.M) { C[row0 + ${r}u] = acc${r}; }`).join('\n')}`;
  const source = `// matvec: C = A·b (one output column), ${rows} rows per invocation, vec4 loads along K
${header(uniforms, bindings)}${linearMain(`(u.M + ${rows - 1}u) / ${rows}u`, body)}`;
  return { name: `matvec_${rows}`, source, uniforms, bindings, workgroup: [64, 1] };
}

/**
 * The weight gradient of a one-column readout: C[i] = Σ_r a[r, i] · b[r] over R rows (I % 4 == 0).
 * Each invocation owns 4 consecutive i (one vec4 of a per row) and walks its own chunk of rows
 * (workgroup y); partial sums go to C_y, which a reduction adds up.
 */
export function contractColumnKernel(): Kernel {
  const uniforms = (['I', 'R', 'chunk'] as const).map((name) => ({ name, type: 'u32' as const }));
  const bindings = [
    { name: 'A', element: 'vec4f', access: 'read' as const },
    { name: 'B', element: 'f32', access: 'read' as const },
    { name: 'C', element: 'vec4f', access: 'read_write' as const },
  ];
  const body = `  let I4 = u.I / 4u;
  let rb = gid.y * u.chunk;
  let re = min(u.R, rb + u.chunk);
  var acc = vec4f(0.0);
  for (var r = rb; r < re; r++) {
    acc += A[r * I4 + i4] * B[r];
  }
  C[gid.y * I4 + i4] = acc;`;
  const source = `// contract_column: C = aᵀ·b for a one-column b, vec4 runs of a, split over rows (y)
${header(uniforms, bindings)}
@compute @workgroup_size(64, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i4 = gid.x;
  if (i4 * 4u >= u.I) { return; }
${body}
}
`;
  return { name: 'contract_column', source, uniforms, bindings, workgroup: [64, 1] };
}
