// GradMetaNet_ψ's input in a learned optimizer (paper §6.2, Eq. 11): the current batch's decomposed
// per-example gradients Γ_b ([b, N, 2]: one (a, g) pair per neuron and example) and six EMAs of them
// with the feature momenta's decays, stacked on the channel axis: [b, N, 14], channels 2k and 2k + 1
// holding (a, g) of source k (k = 0 the current set, k = 1..6 the EMAs, decays 0.1 … 0.9999). The EMA
// is taken per batch slot, though slot i holds a different example at each step (as the paper does).
import { MOMENTUM_DECAYS } from './features.js';

export const GRAD_SET_CHANNELS = 2 * (1 + MOMENTUM_DECAYS.length);

/** Updates the six slot EMAs with this step's factors (in place) and returns the stacked input. */
export function gradientSets(factors: Float64Array, emas: readonly Float64Array[]): Float64Array {
  if (emas.length !== MOMENTUM_DECAYS.length || emas.some((e) => e.length !== factors.length)) {
    throw new RangeError(`expected ${MOMENTUM_DECAYS.length} EMAs of ${factors.length} values`);
  }
  const items = factors.length / 2;
  const out = new Float64Array(items * GRAD_SET_CHANNELS);
  MOMENTUM_DECAYS.forEach((d, k) => {
    const e = emas[k]!;
    for (let i = 0; i < factors.length; i++) e[i] = d * e[i]! + (1 - d) * factors[i]!;
  });
  for (let i = 0; i < items; i++) {
    const row = i * GRAD_SET_CHANNELS;
    out[row] = factors[2 * i]!;
    out[row + 1] = factors[2 * i + 1]!;
    emas.forEach((e, k) => {
      out[row + 2 * (k + 1)] = e[2 * i]!;
      out[row + 2 * (k + 1) + 1] = e[2 * i + 1]!;
    });
  }
  return out;
}
