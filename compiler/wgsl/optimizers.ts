// Optimizer updates, one invocation per parameter entry, in place on the parameter and its state.
//   Adam / AdamW (decoupled = 1):  m ← β1 m + (1−β1) g;  v ← β2 v + (1−β2) g²
//                                  p ← p − lr · ( (m / bc1) / (sqrt(v / bc2) + eps) + wd_adamw · p )
//                                  with Adam's L2 weight decay (decoupled = 0) added to g instead.
//   SGD with momentum:             g ← g + wd · p;  b ← μ b + g;  p ← p − lr · b
//   Accumulation (micro-batches):  acc ← acc + g, so one update applies a whole batch's gradient
//   Gradient-norm clipping (before the update, over all K parameters' gradients, as PyTorch's
//   clip_grad_norm_):  norms[k] ← Σ g_k²;  g ← g · min(1, clip / (sqrt(Σ_k norms[k]) + 1e-6))
// The step-dependent bias corrections bc1 = 1 − β1^t and bc2 = 1 − β2^t come in as uniforms.
import { header, linearMain, type Kernel } from './kernel.js';

export function adamKernel(): Kernel {
  const uniforms = [
    { name: 'count', type: 'u32' as const },
    { name: 'decoupled', type: 'u32' as const },
    ...['lr', 'beta1', 'beta2', 'eps', 'wd', 'bc1', 'bc2'].map((name) => ({ name, type: 'f32' as const })),
  ];
  const bindings = [
    { name: 'grad', element: 'f32', access: 'read' as const },
    { name: 'param', element: 'f32', access: 'read_write' as const },
    { name: 'm', element: 'f32', access: 'read_write' as const },
    { name: 'v', element: 'f32', access: 'read_write' as const },
  ];
  const body = `  var g = grad[i];
  let p = param[i];
  if (u.decoupled == 0u) { g += u.wd * p; }
  let mi = u.beta1 * m[i] + (1.0 - u.beta1) * g;
  let vi = u.beta2 * v[i] + (1.0 - u.beta2) * g * g;
  m[i] = mi;
  v[i] = vi;
  var step = (mi / u.bc1) / (sqrt(vi / u.bc2) + u.eps);
  if (u.decoupled != 0u) { step += u.wd * p; }
  param[i] = p - u.lr * step;`;
  return { name: 'adam', source: `// adam: Adam (L2 decay) or AdamW (decoupled decay) update in place\n${header(uniforms, bindings)}${linearMain('u.count', body)}`, uniforms, bindings, workgroup: [64, 1] };
}

export function sgdKernel(): Kernel {
  const uniforms = [{ name: 'count', type: 'u32' as const }, ...['lr', 'momentum', 'wd'].map((name) => ({ name, type: 'f32' as const }))];
  const bindings = [
    { name: 'grad', element: 'f32', access: 'read' as const },
    { name: 'param', element: 'f32', access: 'read_write' as const },
    { name: 'buf', element: 'f32', access: 'read_write' as const },
  ];
  const body = `  let p = param[i];
  let g = grad[i] + u.wd * p;
  let b = u.momentum * buf[i] + g;
  buf[i] = b;
  param[i] = p - u.lr * b;`;
  return { name: 'sgd', source: `// sgd: SGD with momentum (and L2 decay) in place\n${header(uniforms, bindings)}${linearMain('u.count', body)}`, uniforms, bindings, workgroup: [64, 1] };
}

export function accumulateKernel(): Kernel {
  const uniforms = [{ name: 'count', type: 'u32' as const }];
  const bindings = [
    { name: 'grad', element: 'f32', access: 'read' as const },
    { name: 'acc', element: 'f32', access: 'read_write' as const },
  ];
  const body = '  acc[i] = acc[i] + grad[i];';
  return { name: 'accumulate', source: `// accumulate: a micro-batch's gradient added to the batch's\n${header(uniforms, bindings)}${linearMain('u.count', body)}`, uniforms, bindings, workgroup: [64, 1] };
}

/** Invocations of sum_squares: one workgroup strides over a whole gradient (the editors' are small). */
const SUM_WORKGROUP = 256;

/** Clipping's first pass: one part's sum of squared gradient entries into norms[part] (one workgroup). */
export function sumSquaresKernel(): Kernel {
  const uniforms = [{ name: 'count', type: 'u32' as const }, { name: 'part', type: 'u32' as const }];
  const bindings = [
    { name: 'grad', element: 'f32', access: 'read' as const },
    { name: 'norms', element: 'f32', access: 'read_write' as const },
  ];
  const source = `// sum_squares: the squared norm of one parameter's gradient, for gradient-norm clipping
${header(uniforms, bindings)}var<workgroup> partial: array<f32, ${SUM_WORKGROUP}>;
@compute @workgroup_size(${SUM_WORKGROUP})
fn main(@builtin(local_invocation_index) lane: u32) {
  var sum = 0.0;
  for (var i = lane; i < u.count; i += ${SUM_WORKGROUP}u) { sum += grad[i] * grad[i]; }
  partial[lane] = sum;
  workgroupBarrier();
  for (var half = ${SUM_WORKGROUP / 2}u; half > 0u; half = half / 2u) {
    if (lane < half) { partial[lane] += partial[lane + half]; }
    workgroupBarrier();
  }
  if (lane == 0u) { norms[u.part] = partial[0]; }
}
`;
  return { name: 'sum_squares', source, uniforms, bindings, workgroup: [SUM_WORKGROUP, 1] };
}

/** Clipping's second pass: one part's gradient scaled in place so that the norm over all `parts` is at most `clip`. */
export function clipKernel(): Kernel {
  const uniforms = [{ name: 'count', type: 'u32' as const }, { name: 'parts', type: 'u32' as const }, { name: 'clip', type: 'f32' as const }];
  const bindings = [
    { name: 'norms', element: 'f32', access: 'read' as const },
    { name: 'grad', element: 'f32', access: 'read_write' as const },
  ];
  const body = `  var total = 0.0;
  for (var k = 0u; k < u.parts; k++) { total += norms[k]; }
  grad[i] = grad[i] * min(1.0, u.clip / (sqrt(total) + 1e-6));`;
  return { name: 'clip', source: `// clip: a gradient scaled by min(1, clip / global norm)\n${header(uniforms, bindings)}${linearMain('u.count', body)}`, uniforms, bindings, workgroup: [64, 1] };
}
