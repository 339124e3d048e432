// Optimizers in float64, as plain functions over Float64Arrays (the reference for the WGSL kernels
// of compiler/wgsl/optimizers.ts, which implement the same formulas):
//   Adam / AdamW:   m ← β1 m + (1−β1) g;  v ← β2 v + (1−β2) g²;  t = step + 1
//                   p ← p − lr · ( (m / (1−β1^t)) / (sqrt(v / (1−β2^t)) + eps) + wd·p )   (AdamW: decoupled)
//                   Adam's weight decay is L2: g ← g + wd·p before the moments.
//   SGD momentum:   g ← g + wd·p;  buf ← μ·buf + g;  p ← p − lr·buf
// With a cosine schedule, lr is replaced by lr_t = lr · ½(1 + cos(π·t/T)) for update t = 0 … T−1,
// and stays at its final value past T. A warm-up of W updates multiplies it by min(1, (t+1)/W): the
// rate rises linearly to its full value at update W − 1 (ScaleGMN's editing config: 1000 updates).
// With `clipNorm` c, the gradients of all parameters are first scaled together by
// min(1, c / (‖g‖ + 1e-6)), ‖g‖ their joint Euclidean norm (PyTorch's clip_grad_norm_; ScaleGMN's
// editing config clips at 10): clipGradients, before the updates.
export type OptimizerConfig =
  | { kind: 'adam' | 'adamw'; lr: number; beta1: number; beta2: number; eps: number; weightDecay: number; schedule?: LrSchedule; clipNorm?: number }
  | { kind: 'sgd'; lr: number; momentum: number; weightDecay: number; schedule?: LrSchedule; clipNorm?: number };

/** How the learning rate changes over the updates of a run (absent: constant). */
export interface LrSchedule {
  /** `cosine` decays the rate to 0 over `steps` updates; `constant` keeps it (after any warm-up). */
  kind: 'cosine' | 'constant';
  /** T: the number of updates the rate decays over (the run's length). */
  steps: number;
  /** W: the updates over which the rate rises linearly to its value (absent or 0: none). */
  warmup?: number;
}

/** Per-parameter state slots: Adam [m, v], SGD [buf]. */
export interface OptimizerState {
  slots: Map<string, Float64Array[]>;
}

export function adam(overrides: Partial<Omit<Extract<OptimizerConfig, { kind: 'adam' | 'adamw' }>, 'kind'>> = {}, decoupled = false): OptimizerConfig {
  return { kind: decoupled ? 'adamw' : 'adam', lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: decoupled ? 0.01 : 0, ...overrides };
}

export function initOptimizerState(config: OptimizerConfig, params: ReadonlyMap<string, Float64Array>): OptimizerState {
  const slotCount = config.kind === 'sgd' ? 1 : 2;
  return { slots: new Map([...params].map(([name, p]) => [name, Array.from({ length: slotCount }, () => new Float64Array(p.length))])) };
}

/** The learning rate of the update that follows `step` earlier updates. */
export function learningRate(config: OptimizerConfig, step: number): number {
  const schedule = config.schedule;
  if (schedule === undefined) return config.lr;
  const warm = schedule.warmup !== undefined && schedule.warmup > 0 ? Math.min(1, (step + 1) / schedule.warmup) : 1;
  if (schedule.kind === 'constant') return config.lr * warm;
  const progress = Math.min(step, schedule.steps) / schedule.steps;
  return config.lr * warm * 0.5 * (1 + Math.cos(Math.PI * progress));
}

/** Scales every gradient in place by min(1, clipNorm / (‖g‖ + 1e-6)) over all of them; returns ‖g‖. */
export function clipGradients(grads: readonly Float64Array[], clipNorm: number): number {
  let squares = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) squares += g[i]! * g[i]!;
  const norm = Math.sqrt(squares);
  const factor = Math.min(1, clipNorm / (norm + 1e-6));
  if (factor < 1) for (const g of grads) for (let i = 0; i < g.length; i++) g[i] = g[i]! * factor;
  return norm;
}

/** Updates `param` and its slots in place; `step` is the number of updates already applied. */
export function optimizerUpdate(config: OptimizerConfig, param: Float64Array, grad: Float64Array, slots: Float64Array[], step: number): void {
  const lr = learningRate(config, step);
  if (config.kind === 'sgd') {
    sgdUpdate(config, lr, param, grad, slots[0]!);
    return;
  }
  adamUpdate(config, lr, param, grad, slots[0]!, slots[1]!, step);
}

function adamUpdate(config: Extract<OptimizerConfig, { kind: 'adam' | 'adamw' }>, lr: number, p: Float64Array, g: Float64Array, m: Float64Array, v: Float64Array, step: number): void {
  const t = step + 1;
  const bc1 = 1 - config.beta1 ** t;
  const bc2 = 1 - config.beta2 ** t;
  const decoupled = config.kind === 'adamw';
  for (let i = 0; i < p.length; i++) {
    const gi = decoupled ? g[i]! : g[i]! + config.weightDecay * p[i]!;
    m[i] = config.beta1 * m[i]! + (1 - config.beta1) * gi;
    v[i] = config.beta2 * v[i]! + (1 - config.beta2) * gi * gi;
    let update = m[i]! / bc1 / (Math.sqrt(v[i]! / bc2) + config.eps);
    if (decoupled) update += config.weightDecay * p[i]!;
    p[i] = p[i]! - lr * update;
  }
}

function sgdUpdate(config: Extract<OptimizerConfig, { kind: 'sgd' }>, lr: number, p: Float64Array, g: Float64Array, buf: Float64Array): void {
  for (let i = 0; i < p.length; i++) {
    const gi = g[i]! + config.weightDecay * p[i]!;
    buf[i] = config.momentum * buf[i]! + gi;
    p[i] = p[i]! - lr * buf[i]!;
  }
}
