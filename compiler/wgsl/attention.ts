// Multi-head scaled dot-product attention along one axis, and its VJPs.
//
// Sequences: q, k, v are contiguous; sequence o (one per position of the other axes) starts at
//   base(o) = (o / inner) · s_outer + (o % inner) · s_inner
// and its element j lies `seq` floats further on. Over `set` ([n, s, t, c]): inner = T,
// s_outer = S·T·C, s_inner = C, seq = T·C. Over `site`: inner = 1, s_outer = T·C, seq = C.
// Head h owns channels [h·dh, (h+1)·dh); scores are scaled by 1/sqrt(dh).
//
// One invocation per (sequence, position, head). The head size is a compile-time constant (one
// pipeline per head size, like a matmul tile): the invocation's own rows and its accumulator live
// in registers, loops over a head's channels unroll, and each output is written once. (A uniform
// head size kept every row in memory and re-read it per key: ~10× slower on lavapipe.) Softmax is
// online (running max and sum, one pass over the keys), so no L×L buffer exists; the VJPs read
// each query row's (max, sum, D = Σ_j P_ij dP_ij), computed once per attention: max and sum by the
// forward pass itself when the same graph differentiates it (`attention_with_stats`, then
// `attention_d` for D), else by `attention_stats`; the VJPs w.r.t. k and v of the same attention
// run as one kernel (`attention_vjp_kv`).
import { header, linearMain, type Kernel, type UniformField } from './kernel.js';

const UNIFORMS: UniformField[] = [
  ...['count', 'L', 'H', 'dh', 'seq', 'inner', 's_outer', 's_inner'].map((name) => ({ name, type: 'u32' as const })),
  { name: 'scale', type: 'f32' },
];

/** Shared prologue: i = position in the sequence, h = head, base of the sequence. */
const PROLOGUE = `  let h = i % u.H;
  let pos = (i / u.H) % u.L;
  let o = i / (u.H * u.L);
  let base = (o / u.inner) * u.s_outer + (o % u.inner) * u.s_inner + h * DH;
  let me = base + pos * u.seq;`;

/** Index of the stats of query `qpos` in the same sequence and head as invocation i. */
const HELPERS = `fn stats_index(o: u32, qpos: u32, h: u32) -> u32 { return 3u * ((o * u.L + qpos) * u.H + h); }
`;

/**
 * A head's row of channels is held and read as DU units of type `unit`: vec4f when the head size
 * divides by 4 (every index is then a multiple of 4: heads, rows and sequences start on channel
 * boundaries of a multiple-of-4 width), else f32. lavapipe turns each scalar storage load of an
 * invocation into a gather, so vector units cut the loads of every key row by 4.
 */
function unitPrelude(dh: number): string {
  const vector = dh % 4 === 0;
  return vector
    ? `const DH = ${dh}u;\nconst W = 4u;\nconst DU = ${dh / 4}u;\nalias unit = vec4f;\nfn dotu(a: vec4f, b: vec4f) -> f32 { return dot(a, b); }\n`
    : `const DH = ${dh}u;\nconst W = 1u;\nconst DU = ${dh}u;\nalias unit = f32;\nfn dotu(a: f32, b: f32) -> f32 { return a * b; }\n`;
}

function kernel(name: string, dh: number, comment: string, bindings: Kernel['bindings'], body: string): Kernel {
  if (!Number.isInteger(dh) || dh < 1) throw new Error(`internal: attention head size ${dh}`);
  const source = `// ${name}: ${comment} (head size ${dh})\n${unitPrelude(dh)}${header(UNIFORMS, bindings)}${HELPERS}${linearMain('u.count', `${PROLOGUE}\n${body}`)}`;
  return { name, source, uniforms: UNIFORMS, bindings, workgroup: [64, 1] };
}

/** Head rows (q, k, v, dy, outputs) are bound as arrays of units; statistics as f32. */
const READ = (name: string): Kernel['bindings'][number] => ({ name, element: 'unit', access: 'read' });
const WRITE = (name: string): Kernel['bindings'][number] => ({ name, element: 'unit', access: 'read_write' });
const STATS = (access: 'read' | 'read_write'): Kernel['bindings'][number] => ({ name: 'stats', element: 'f32', access });

/** Loads the head row of `buf` at element `at` into the register array `name`, times `factor`. */
const load = (name: string, buf: string, at: string, factor = ''): string =>
  `  var ${name}: array<unit, DU>;\n  for (var d = 0u; d < DU; d++) { ${name}[d] = ${buf}[${at} / W + d]${factor}; }`;
/** `var dot_<regs>_<buf>` = the register row `regs` · the head row of `buf` at element `row`. */
const dotFn = (regs: string, buf: string): string => `    var dot_${regs}_${buf} = 0.0;
    for (var d = 0u; d < DU; d++) { dot_${regs}_${buf} += dotu(${regs}[d], ${buf}[row / W + d]); }`;

/** Online softmax over the keys of query `me` (registers qs = q·scale): running max m and sum l. */
function onlineRows(perKey: string, rescale: string): string {
  return `  var m = -3.4e38;
  var l = 0.0;
  for (var j = 0u; j < u.L; j++) {
    let row = base + j * u.seq;
${dotFn('qs', 'k')}
    let s = dot_qs_k;
    if (s > m) {
      let c = exp(m - s);
      l *= c;
${rescale}
      m = s;
    }
    let p = exp(s - m);
    l += p;
${perKey}
  }`;
}

/**
 * With `withStats`, each query row's softmax (max, sum) also goes to stats[3·i], stats[3·i+1] for
 * the VJPs, which then need only D (`attentionDKernel`) instead of a second pass over the keys.
 */
export function attentionKernel(dh: number, withStats = false): Kernel {
  const bindings = withStats ? [READ('q'), READ('k'), READ('v'), STATS('read_write'), WRITE('out')] : [READ('q'), READ('k'), READ('v'), WRITE('out')];
  const name = withStats ? 'attention_with_stats' : 'attention';
  return kernel(name, dh, 'softmax(q kᵀ / sqrt(dh)) v per head', bindings, `${load('qs', 'q', 'me', ' * u.scale')}
  var acc: array<unit, DU>;
${onlineRows('    for (var d = 0u; d < DU; d++) { acc[d] += p * v[row / W + d]; }', '      for (var d = 0u; d < DU; d++) { acc[d] *= c; }')}
  let inv = 1.0 / l;
  for (var d = 0u; d < DU; d++) { out[me / W + d] = acc[d] * inv; }${withStats ? `
  stats[3u * i] = m;
  stats[3u * i + 1u] = l;` : ''}`);
}

/**
 * stats[3·i + 2] = D of query row i from the forward output: D_i = Σ_j P_ij (dy_i · v_j) = dy_i · o_i
 * (o_i = Σ_j P_ij v_j), one dot product of the head's channels instead of a pass over the keys.
 */
export function attentionDKernel(dh: number): Kernel {
  return kernel('attention_d', dh, 'D_i = dy_i · o_i next to the forward\'s softmax max and sum', [READ('dy'), READ('fwd'), STATS('read_write')], `  var D = 0.0;
  for (var d = 0u; d < DU; d++) { D += dotu(dy[me / W + d], fwd[me / W + d]); }
  stats[3u * i + 2u] = D;`);
}

/** stats[3·i .. 3·i+2] = (max, sum, D) of query row i, for the VJPs. */
export function attentionStatsKernel(dh: number): Kernel {
  return kernel('attention_stats', dh, 'softmax row max, sum and D = Σ_j P_ij (dy_i · v_j)', [READ('q'), READ('k'), READ('v'), READ('dy'), STATS('read_write')], `${load('qs', 'q', 'me', ' * u.scale')}
${load('g', 'dy', 'me')}
  var D = 0.0;
${onlineRows(`${dotFn('g', 'v')}
    D += p * dot_g_v;`, '      D *= c;')}
  stats[3u * i] = m;
  stats[3u * i + 1u] = l;
  stats[3u * i + 2u] = D / l;`);
}

export function attentionVjpKernel(wrt: 'q' | 'k' | 'v', dh: number): Kernel {
  const bindings = [READ('q'), READ('k'), READ('v'), READ('dy'), STATS('read'), WRITE('out')];
  if (wrt === 'q') {
    return kernel('attention_vjp_q', dh, 'dq_i = scale · Σ_j P_ij (dy_i·v_j − D_i) k_j', bindings, `  let st = stats_index(o, pos, h);
  let m = stats[st];
  let inv_l = 1.0 / stats[st + 1u];
  let D = stats[st + 2u];
${load('qs', 'q', 'me', ' * u.scale')}
${load('g', 'dy', 'me')}
  var acc: array<unit, DU>;
  for (var j = 0u; j < u.L; j++) {
    let row = base + j * u.seq;
${dotFn('qs', 'k')}
${dotFn('g', 'v')}
    let w = exp(dot_qs_k - m) * inv_l * (dot_g_v - D) * u.scale;
    for (var d = 0u; d < DU; d++) { acc[d] += w * k[row / W + d]; }
  }
  for (var d = 0u; d < DU; d++) { out[me / W + d] = acc[d]; }`);
  }
  // For k and v, invocation `pos` is a key position j and sums over queries i.
  const perQuery = wrt === 'k'
    ? `${dotFn('vs', 'dy')}
    let w = p * (dot_vs_dy - stats[st + 2u]) * u.scale;
    for (var d = 0u; d < DU; d++) { acc[d] += w * q[row / W + d]; }`
    : `    for (var d = 0u; d < DU; d++) { acc[d] += p * dy[row / W + d]; }`;
  const comment = wrt === 'k' ? 'dk_j = scale · Σ_i P_ij (dy_i·v_j − D_i) q_i' : 'dv_j = Σ_i P_ij dy_i';
  return kernel(`attention_vjp_${wrt}`, dh, comment, bindings, `${load('ks', 'k', 'me', ' * u.scale')}
${wrt === 'k' ? load('vs', 'v', 'me') : ''}
  var acc: array<unit, DU>;
  for (var qpos = 0u; qpos < u.L; qpos++) {
    let row = base + qpos * u.seq;
    let st = stats_index(o, qpos, h);
${dotFn('ks', 'q')}
    let p = exp(dot_ks_q - stats[st]) / stats[st + 1u];
${perQuery}
  }
  for (var d = 0u; d < DU; d++) { out[me / W + d] = acc[d]; }`);
}

/** dk and dv of the same keys in one pass over the queries (P is computed once for both). */
export function attentionVjpKvKernel(dh: number): Kernel {
  const bindings = [READ('q'), READ('k'), READ('v'), READ('dy'), STATS('read'), WRITE('out_k'), WRITE('out_v')];
  return kernel('attention_vjp_kv', dh, 'dk_j = scale · Σ_i P_ij (dy_i·v_j − D_i) q_i and dv_j = Σ_i P_ij dy_i', bindings, `${load('ks', 'k', 'me', ' * u.scale')}
${load('vs', 'v', 'me')}
  var acc_k: array<unit, DU>;
  var acc_v: array<unit, DU>;
  for (var qpos = 0u; qpos < u.L; qpos++) {
    let row = base + qpos * u.seq;
    let st = stats_index(o, qpos, h);
${dotFn('ks', 'q')}
    let p = exp(dot_ks_q - stats[st]) / stats[st + 1u];
${dotFn('vs', 'dy')}
    let w = p * (dot_vs_dy - stats[st + 2u]) * u.scale;
    for (var d = 0u; d < DU; d++) {
      acc_k[d] += w * q[row / W + d];
      acc_v[d] += p * dy[row / W + d];
    }
  }
  for (var d = 0u; d < DU; d++) {
    out_k[me / W + d] = acc_k[d];
    out_v[me / W + d] = acc_v[d];
  }`);
}
