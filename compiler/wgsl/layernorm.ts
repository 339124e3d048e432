// Layer norm over channels (no affine part) and its VJP; one invocation per row of C channels.
//   y  = (x - μ) / σ,                  σ = sqrt(var + eps), var biased (as PyTorch)
//   dx = (dy - mean(dy) - x̂ · mean(dy · x̂)) / σ
import { header, linearMain, type Kernel } from './kernel.js';

const UNIFORMS = [
  { name: 'rows', type: 'u32' as const },
  { name: 'C', type: 'u32' as const },
  { name: 'eps', type: 'f32' as const },
];

const STATS = `  let base = i * u.C;
  let inv_c = 1.0 / f32(u.C);
  var mean = 0.0;
  for (var c = 0u; c < u.C; c++) { mean += x[base + c]; }
  mean *= inv_c;
  var variance = 0.0;
  for (var c = 0u; c < u.C; c++) { let d = x[base + c] - mean; variance += d * d; }
  let rstd = inverseSqrt(variance * inv_c + u.eps);`;

export function layernormKernel(): Kernel {
  const bindings = [
    { name: 'x', element: 'f32', access: 'read' as const },
    { name: 'out', element: 'f32', access: 'read_write' as const },
  ];
  const body = `${STATS}
  for (var c = 0u; c < u.C; c++) { out[base + c] = (x[base + c] - mean) * rstd; }`;
  return { name: 'layernorm', source: `// layernorm over channels, one row per invocation\n${header(UNIFORMS, bindings)}${linearMain('u.rows', body)}`, uniforms: UNIFORMS, bindings, workgroup: [64, 1] };
}

export function layernormVjpKernel(): Kernel {
  const bindings = [
    { name: 'x', element: 'f32', access: 'read' as const },
    { name: 'dy', element: 'f32', access: 'read' as const },
    { name: 'out', element: 'f32', access: 'read_write' as const },
  ];
  const body = `${STATS}
  var mean_dy = 0.0;
  var mean_dy_xhat = 0.0;
  for (var c = 0u; c < u.C; c++) {
    let g = dy[base + c];
    mean_dy += g;
    mean_dy_xhat += g * (x[base + c] - mean) * rstd;
  }
  mean_dy *= inv_c;
  mean_dy_xhat *= inv_c;
  for (var c = 0u; c < u.C; c++) {
    let xhat = (x[base + c] - mean) * rstd;
    out[base + c] = (dy[base + c] - mean_dy - xhat * mean_dy_xhat) * rstd;
  }`;
  return { name: 'layernorm_vjp', source: `// layernorm_vjp: dx from x and dy, one row per invocation\n${header(UNIFORMS, bindings)}${linearMain('u.rows', body)}`, uniforms: UNIFORMS, bindings, workgroup: [64, 1] };
}
