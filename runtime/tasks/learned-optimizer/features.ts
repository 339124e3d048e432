// The per-parameter input of a learned optimizer F_ϕ (paper §6.2, following UNF and
// learned_optimization's MLP optimizer): 19 channels per parameter, [P, 19] row-major —
//   θ, ∇, six gradient momenta (decays 0.1 … 0.9999), an 11-feature tanh time embedding.
// The first 8 channels are clipped to [−1, 1] and divided, per tensor and per channel, by their
// RMS over the tensor's entries (ε 1e-5); the time embedding, the same for every parameter, is
// appended after normalisation. Float64 here: the oracle of the device kernels.

/** The decays of the six feature momenta, m ← d·m + (1 − d)·∇. */
export const MOMENTUM_DECAYS = [0.1, 0.5, 0.9, 0.99, 0.999, 0.9999] as const;
/** The time scales s of the embedding tanh(t/s − 1). */
export const TIME_SCALES = [1, 3, 10, 30, 100, 300, 1000, 3000, 10000, 30000, 100000] as const;

export const NORMALISED_CHANNELS = 2 + MOMENTUM_DECAYS.length;
export const FEATURE_CHANNELS = NORMALISED_CHANNELS + TIME_SCALES.length;
const RMS_EPS = 1e-5;

/** A parameter tensor of the target: entries [offset, offset + size) of θ. */
export interface ParamTensor {
  offset: number;
  size: number;
}

/** The tensors of a target layout's parameter blocks (each weight matrix and bias is one tensor). */
export function paramTensors(blocks: readonly { offset: number; rows: number; cols: number | null }[]): ParamTensor[] {
  return blocks.map((b) => ({ offset: b.offset, size: b.rows * (b.cols ?? 1) }));
}

/** tanh(t/s − 1) for each time scale s: t is the number of steps taken before this one. */
export function timeEmbedding(step: number): Float64Array {
  return Float64Array.from(TIME_SCALES, (s) => Math.tanh(step / s - 1));
}

/** θ, ∇ and the six momenta (each length P), after this step's momentum update. */
export interface FeatureInputs {
  theta: Float64Array;
  grad: Float64Array;
  momenta: readonly Float64Array[];
}

/** The [P, 19] features at `step` (see the header). */
export function standardFeatures(inputs: FeatureInputs, step: number, tensors: readonly ParamTensor[]): Float64Array {
  const P = inputs.theta.length;
  const raw = [inputs.theta, inputs.grad, ...inputs.momenta];
  if (raw.length !== NORMALISED_CHANNELS) throw new Error(`expected ${MOMENTUM_DECAYS.length} momenta, got ${inputs.momenta.length}`);
  const out = new Float64Array(P * FEATURE_CHANNELS);
  for (const { offset, size } of tensors) {
    raw.forEach((channel, c) => {
      let squares = 0;
      for (let i = offset; i < offset + size; i++) squares += clip(channel[i]!) ** 2;
      const scale = 1 / Math.sqrt(RMS_EPS + squares / size);
      for (let i = offset; i < offset + size; i++) out[i * FEATURE_CHANNELS + c] = clip(channel[i]!) * scale;
    });
  }
  const time = timeEmbedding(step);
  for (let i = 0; i < P; i++) out.set(time, i * FEATURE_CHANNELS + NORMALISED_CHANNELS);
  return out;
}

function clip(x: number): number {
  return Math.min(1, Math.max(-1, x));
}
