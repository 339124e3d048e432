// Multi-head scaled dot-product attention along one axis, and its VJPs.
//
// Sequences: q, k, v are contiguous; sequence o (one per position of the other axes) starts at
//   base(o) = (o / inner) · s_outer + (o % inner) · s_inner
// and its element j lies `seq` floats further on. Over `set` ([n, s, t, c]): inner = T,
// s_outer = S·T·C, s_inner = C, seq = T·C. Over `site`: inner = 1, s_outer = T·C, seq = C.
// Head h owns channels [h·dh, (h+1)·dh); scores are scaled by 1/sqrt(dh).
//
// One invocation per (sequence, position, head). Softmax rows are recomputed rather than stored,
// so no L×L buffer exists; the VJPs first store each query row's (max, sum, D = Σ_j P_ij dP_ij).
import { header, linearMain, type Kernel, type UniformField } from './kernel.js';

const UNIFORMS: UniformField[] = [
  ...['count', 'L', 'H', 'dh', 'seq', 'inner', 's_outer', 's_inner'].map((name) => ({ name, type: 'u32' as const })),
  { name: 'scale', type: 'f32' },
];

/** Shared prologue: i = position in the sequence, h = head, base of the sequence. */
const PROLOGUE = `  let h = i % u.H;
  let pos = (i / u.H) % u.L;
  let o = i / (u.H * u.L);
  let base = (o / u.inner) * u.s_outer + (o % u.inner) * u.s_inner + h * u.dh;
  let me = base + pos * u.seq;`;

const HELPERS = `fn dot_rows(a: u32, b: u32) -> f32 {
  var acc = 0.0;
  for (var d = 0u; d < u.dh; d++) { acc += q[a + d] * k[b + d]; }
  return acc * u.scale;
}
`;

function kernel(name: string, comment: string, bindings: Kernel['bindings'], body: string, helpers = HELPERS): Kernel {
  return { name, source: `// ${name}: ${comment}\n${header(UNIFORMS, bindings)}${helpers}${linearMain('u.count', `${PROLOGUE}\n${body}`)}`, uniforms: UNIFORMS, bindings, workgroup: [64, 1] };
}

const READ = (name: string): Kernel['bindings'][number] => ({ name, element: 'f32', access: 'read' });
const WRITE = (name: string): Kernel['bindings'][number] => ({ name, element: 'f32', access: 'read_write' });

/** Row statistics of query `me`: max and sum of exp of its scores. */
const ROW_STATS = `  var m = -3.4e38;
  for (var j = 0u; j < u.L; j++) { m = max(m, dot_rows(me, base + j * u.seq)); }
  var l = 0.0;
  for (var j = 0u; j < u.L; j++) { l += exp(dot_rows(me, base + j * u.seq) - m); }`;

export function attentionKernel(): Kernel {
  return kernel('attention', 'softmax(q kᵀ / sqrt(dh)) v per head', [READ('q'), READ('k'), READ('v'), WRITE('out')], `${ROW_STATS}
  for (var d = 0u; d < u.dh; d++) { out[me + d] = 0.0; }
  for (var j = 0u; j < u.L; j++) {
    let kj = base + j * u.seq;
    let p = exp(dot_rows(me, kj) - m) / l;
    for (var d = 0u; d < u.dh; d++) { out[me + d] += p * v[kj + d]; }
  }`);
}

/** stats[3·i .. 3·i+2] = (max, sum, D) of query row i, for the VJPs. */
export function attentionStatsKernel(): Kernel {
  return kernel('attention_stats', 'softmax row max, sum and D = Σ_j P_ij (dy_i · v_j)', [READ('q'), READ('k'), READ('v'), READ('dy'), WRITE('stats')], `${ROW_STATS}
  var D = 0.0;
  for (var j = 0u; j < u.L; j++) {
    let kj = base + j * u.seq;
    var dp = 0.0;
    for (var d = 0u; d < u.dh; d++) { dp += dy[me + d] * v[kj + d]; }
    D += exp(dot_rows(me, kj) - m) / l * dp;
  }
  stats[3u * i] = m;
  stats[3u * i + 1u] = l;
  stats[3u * i + 2u] = D;`);
}

/** Index of the stats of query `qpos` in the same sequence and head as invocation i. */
const STATS_OF = `fn stats_index(o: u32, qpos: u32, h: u32) -> u32 { return 3u * ((o * u.L + qpos) * u.H + h); }
`;

export function attentionVjpKernel(wrt: 'q' | 'k' | 'v'): Kernel {
  const bindings = [READ('q'), READ('k'), READ('v'), READ('dy'), READ('stats'), WRITE('out')];
  const helpers = HELPERS + STATS_OF;
  if (wrt === 'q') {
    // dq_i = scale Σ_j P_ij (dy_i·v_j − D_i) k_j
    return kernel('attention_vjp_q', 'dq_i = scale · Σ_j P_ij (dy_i·v_j − D_i) k_j', bindings, `  let st = stats_index(o, pos, h);
  for (var d = 0u; d < u.dh; d++) { out[me + d] = 0.0; }
  for (var j = 0u; j < u.L; j++) {
    let kj = base + j * u.seq;
    var dp = 0.0;
    for (var d = 0u; d < u.dh; d++) { dp += dy[me + d] * v[kj + d]; }
    let g = exp(dot_rows(me, kj) - stats[st]) / stats[st + 1u] * (dp - stats[st + 2u]) * u.scale;
    for (var d = 0u; d < u.dh; d++) { out[me + d] += g * k[kj + d]; }
  }`, helpers);
  }
  // For k and v, invocation `pos` is a key position j and sums over queries i.
  const perQuery = wrt === 'k'
    ? `    var dp = 0.0;
    for (var d = 0u; d < u.dh; d++) { dp += dy[qi + d] * v[me + d]; }
    let g = p * (dp - stats[st + 2u]) * u.scale;
    for (var d = 0u; d < u.dh; d++) { out[me + d] += g * q[qi + d]; }`
    : `    for (var d = 0u; d < u.dh; d++) { out[me + d] += p * dy[qi + d]; }`;
  const comment = wrt === 'k' ? 'dk_j = scale · Σ_i P_ij (dy_i·v_j − D_i) q_i' : 'dv_j = Σ_i P_ij dy_i';
  return kernel(`attention_vjp_${wrt}`, comment, bindings, `  for (var d = 0u; d < u.dh; d++) { out[me + d] = 0.0; }
  for (var qpos = 0u; qpos < u.L; qpos++) {
    let qi = base + qpos * u.seq;
    let st = stats_index(o, qpos, h);
    let p = exp(dot_rows(qi, me) - stats[st]) / stats[st + 1u];
${perQuery}
  }`, helpers);
}
