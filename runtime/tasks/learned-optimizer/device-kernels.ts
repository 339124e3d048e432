// The WGSL kernels of a learned-optimizer inner step on the device, for R runs at once (PES
// particles, or evaluation runs), each with its own θ and optimizer state. One invocation per
// entry, shapes in uniforms (compiler/wgsl/kernel.ts conventions). Every kernel is the float32
// twin of a float64 function, its test oracle:
//
//   windowsKernel      the drawn text windows into token ids and targets (language-model.ts trainLoss)
//   nllSeedKernel      g^L = softmax(f) − e_y and ℓ = −log softmax(f)_y   (targets/mlp.ts)
//   runLossKernel      each run's mean batch loss, added into its truncation mean (inner-task.ts)
//   batchGradKernel    ∇ = mean over the run's items of the rank-1 factors' products (factors.ts; the LM)
//   adamRunsKernel     Adam with a learning rate per run                   (train/optimizers.ts)
//   momentumKernel     v ← μv + (1 − μ)∇ and the six feature momenta      (update-rule.ts)
//   rmsKernel          per tensor and channel: 1/√(ε + mean clip(x)²)     (features.ts)
//   featuresKernel     the [P, 8] normalised features, the 11 time channels (features.ts)
//   gradSetsKernel     the six slot EMAs of Γ_b and the stacked [b, N, 14] (gradient-sets.ts)
//   updateKernel       θ ← θ − α(v + β·tanh F_ϕ)                           (update-rule.ts)
//
// Layouts (row-major): θ, ∇, v [R, P]; the six momenta [R, 6, P]; act, g [R·b, N]; factors
// [R·b, N, 2]; slot EMAs [R, 6, b, N, 2]; rule [R, 4] = (α, μ, 1 − μ, β).
import { TANH } from '../../../compiler/wgsl/activation.js';
import { header, linearMain, type Binding, type Kernel, type UniformField } from '../../../compiler/wgsl/kernel.js';
import { MOMENTUM_DECAYS, TIME_SCALES } from './features.js';

const u32 = (name: string): UniformField => ({ name, type: 'u32' });
const f32 = (name: string): UniformField => ({ name, type: 'f32' });
const read = (name: string, element = 'f32'): Binding => ({ name, element, access: 'read' });
const write = (name: string, element = 'f32'): Binding => ({ name, element, access: 'read_write' });

function kernel(name: string, note: string, uniforms: UniformField[], bindings: Binding[], body: string, prelude = ''): Kernel {
  return { name, source: `// ${name}: ${note}\n${header(uniforms, bindings)}${prelude}${linearMain('u.count', body)}`, uniforms, bindings, workgroup: [64, 1] };
}

/** The decays d_k as a WGSL array (the feature momenta and the slot EMAs share them). */
const DECAYS = `const DECAYS = array<f32, ${MOMENTUM_DECAYS.length}>(${MOMENTUM_DECAYS.map((d) => d.toString()).join(', ')});\n`;
const MOMENTA = MOMENTUM_DECAYS.length;
/** Channels normalised per tensor: θ, ∇ and the six momenta. */
const NORMALISED = 2 + MOMENTA;

/**
 * One invocation per token row r of [R, batch, T]: ids[r] = text[s + t] and targets[r] = text[s + t + 1]
 * with t = r mod T and s = index[indexOff + r / T] the window's start.
 */
export function windowsKernel(): Kernel {
  return kernel('lopt_windows', 'the drawn windows into token ids and next-byte targets', [u32('count'), u32('T'), u32('indexOff')],
    [read('text', 'u32'), read('index', 'u32'), write('ids', 'u32'), write('targets', 'u32')], `  let t = i % u.T;
  let s = index[u.indexOff + i / u.T];
  ids[i] = text[s + t];
  targets[i] = text[s + t + 1u];`);
}

/** One invocation per example: g^L = softmax(f) − e_y into g, ℓ = logsumexp(f) − f_y into loss. */
export function nllSeedKernel(): Kernel {
  return kernel('lopt_nll_seed', 'cross-entropy loss and its output gradient', [u32('count'), u32('N'), u32('outOff'), u32('width')],
    [read('act'), read('labels', 'u32'), write('g'), write('loss')], `  let o = i * u.N + u.outOff;
  var m = act[o];
  for (var k = 1u; k < u.width; k++) { m = max(m, act[o + k]); }
  var z = 0.0;
  for (var k = 0u; k < u.width; k++) { z += exp(act[o + k] - m); }
  let y = labels[i];
  for (var k = 0u; k < u.width; k++) { g[o + k] = exp(act[o + k] - m) / z - select(0.0, 1.0, k == y); }
  loss[i] = m + log(z) - act[o + y];`);
}

/** One invocation per run: losses[r] += scale · Σ_e loss[r·b + e] (scale = 1 / (b · steps)). */
export function runLossKernel(): Kernel {
  return kernel('lopt_run_loss', "each run's batch loss into its mean over the unroll", [u32('count'), u32('b'), f32('scale')],
    [read('loss'), write('losses')], `  var s = 0.0;
  for (var e = 0u; e < u.b; e++) { s += loss[i * u.b + e]; }
  losses[i] = losses[i] + u.scale * s;`);
}

/**
 * One invocation per (run r, parameter p): ∇[r, p] = (1/b) Σ_e g[e, row p] · a[e, col p] over the
 * run's examples, with a = 1 for biases (col −1); factors hold (a, g) per neuron as in factors.ts.
 */
export function batchGradKernel(): Kernel {
  return kernel('lopt_batch_grad', 'the mean gradient of each run from its rank-1 factors', [u32('count'), u32('P'), u32('N'), u32('b'), f32('invB')],
    [read('factors'), read('rows', 'i32'), read('cols', 'i32'), write('grad')], `  let r = i / u.P;
  let p = i % u.P;
  let row = u32(rows[p]);
  let col = cols[p];
  let c = u32(max(col, 0));
  var acc = 0.0;
  for (var e = 0u; e < u.b; e++) {
    let base = (r * u.b + e) * u.N * 2u;
    acc += factors[base + row * 2u + 1u] * select(1.0, factors[base + c * 2u], col >= 0);
  }
  grad[i] = acc * u.invB;`);
}

/** One invocation per (run, parameter): Adam (no weight decay) with run r's rate lrs[r]. */
export function adamRunsKernel(): Kernel {
  return kernel('lopt_adam_runs', 'Adam with a learning rate per run', [u32('count'), u32('P'), f32('beta1'), f32('beta2'), f32('eps'), f32('bc1'), f32('bc2')],
    [read('grad'), read('lrs'), write('theta'), write('m'), write('v')], `  let g = grad[i];
  let mi = u.beta1 * m[i] + (1.0 - u.beta1) * g;
  let vi = u.beta2 * v[i] + (1.0 - u.beta2) * g * g;
  m[i] = mi;
  v[i] = vi;
  theta[i] = theta[i] - lrs[i / u.P] * ((mi / u.bc1) / (sqrt(vi / u.bc2) + u.eps));`);
}

/** One invocation per (run, parameter): v ← μ v + (1 − μ) ∇ and m_k ← d_k m_k + (1 − d_k) ∇. */
export function momentumKernel(): Kernel {
  return kernel('lopt_momentum', 'the nominal momentum and the six feature momenta', [u32('count'), u32('P')],
    [read('grad'), read('rule'), write('mom'), write('moms')], `  let r = i / u.P;
  let p = i % u.P;
  let g = grad[i];
  mom[i] = rule[r * 4u + 1u] * mom[i] + rule[r * 4u + 2u] * g;
  for (var k = 0u; k < ${MOMENTA}u; k++) {
    let j = (r * ${MOMENTA}u + k) * u.P + p;
    moms[j] = DECAYS[k] * moms[j] + (1.0 - DECAYS[k]) * g;
  }`, DECAYS);
}

/** Channel c of run r at parameter p: θ, ∇, then the six momenta (a WGSL helper). */
const CHANNEL = `fn channel(r: u32, p: u32, c: u32) -> f32 {
  if (c == 0u) { return theta[r * u.P + p]; }
  if (c == 1u) { return grad[r * u.P + p]; }
  return moms[(r * ${MOMENTA}u + c - 2u) * u.P + p];
}
`;

/**
 * One invocation per (run r, tensor t, channel c < 8): scales[r, t, c] = 1/√(ε + mean clip(x)²) over
 * the tensor's entries; tensors[2t], tensors[2t + 1] are its offset and size.
 */
export function rmsKernel(): Kernel {
  return kernel('lopt_rms', 'the per-tensor RMS of the clipped features', [u32('count'), u32('P'), u32('T')],
    [read('theta'), read('grad'), read('moms'), read('tensors', 'u32'), write('scales')], `  let c = i % ${NORMALISED}u;
  let t = (i / ${NORMALISED}u) % u.T;
  let r = i / (${NORMALISED}u * u.T);
  let offset = tensors[2u * t];
  let size = tensors[2u * t + 1u];
  var s = 0.0;
  for (var p = offset; p < offset + size; p++) {
    let x = clamp(channel(r, p, c), -1.0, 1.0);
    s += x * x;
  }
  scales[i] = 1.0 / sqrt(1e-5 + s / f32(size));`, CHANNEL);
}

/**
 * One invocation per (run r, parameter p): features[r, p, 0..7] = clip(x_c) · scales[r, tensor p, c];
 * the run's parameter 0 also writes time[r, 0..10] = tanh(t/s − 1) at the run's step t = steps[r] + u.t,
 * the time embedding F_ϕ's device graph reads once per run (time-embedding-input.ts).
 */
export function featuresKernel(): Kernel {
  const scales = `const SCALES = array<f32, ${TIME_SCALES.length}>(${TIME_SCALES.map((s) => `${s}.0`).join(', ')});\n`;
  return kernel('lopt_features', 'the normalised per-parameter features and the time embedding', [u32('count'), u32('P'), u32('T'), u32('t')],
    [read('theta'), read('grad'), read('moms'), read('tensorOf', 'u32'), read('scales'), read('steps', 'u32'), write('features'), write('time')], `  let r = i / u.P;
  let p = i % u.P;
  let t = tensorOf[p];
  for (var c = 0u; c < ${NORMALISED}u; c++) {
    features[i * ${NORMALISED}u + c] = clamp(channel(r, p, c), -1.0, 1.0) * scales[(r * u.T + t) * ${NORMALISED}u + c];
  }
  if (p == 0u) {
    let step = f32(steps[r] + u.t);
    for (var k = 0u; k < ${TIME_SCALES.length}u; k++) {
      time[r * ${TIME_SCALES.length}u + k] = tanh_safe(step / SCALES[k] - 1.0);
    }
  }`, CHANNEL + scales + TANH);
}

/**
 * One invocation per (run, example slot, neuron) item q: the slot EMAs e_k ← d_k e_k + (1 − d_k) f
 * of the factors f = (a, g), and sets[q] = (f, e_1, …, e_6) on 14 channels. Every (a, g) pair is
 * one vec2 load or store: lavapipe pays per load and store of each invocation, not per float.
 */
export function gradSetsKernel(): Kernel {
  const pairs = 1 + MOMENTA;
  return kernel('lopt_grad_sets', 'the gradient set and its six slot EMAs', [u32('count'), u32('items')],
    [read('factors', 'vec2f'), write('emas', 'vec2f'), write('sets', 'vec2f')], `  let r = i / u.items;
  let q = i % u.items;
  let f = factors[i];
  sets[i * ${pairs}u] = f;
  for (var k = 0u; k < ${MOMENTA}u; k++) {
    let j = (r * ${MOMENTA}u + k) * u.items + q;
    let e = DECAYS[k] * emas[j] + (1.0 - DECAYS[k]) * f;
    emas[j] = e;
    sets[i * ${pairs}u + 1u + k] = e;
  }`, DECAYS);
}

/** One invocation per (run, parameter): θ ← θ − α (v + β · tanh(direction)) (`learned` 0: SGDM, no direction). */
export function updateKernel(): Kernel {
  return kernel('lopt_update', 'the learned update rule', [u32('count'), u32('P'), u32('learned')],
    [read('mom'), read('rule'), read('direction'), write('theta')], `  let r = i / u.P;
  var d = 0.0;
  if (u.learned == 1u) { d = rule[r * 4u + 3u] * tanh_safe(direction[i]); }
  theta[i] = theta[i] - rule[r * 4u] * (mom[i] + d);`, TANH);
}
