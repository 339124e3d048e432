// Issue 25's stability criterion: a meta-trained optimizer must not blow its base network up, i.e.
// its mean test loss over seeds must stay within 10% of its step-0 value over the whole horizon.
// The report states the worst ratio per optimizer and flags those above the limit.
import type { Curve } from './evaluation.js';

/** The most a mean test loss may rise above its step-0 value (issue 25: 10%). */
export const RISE_LIMIT = 1.1;

export interface LossRise {
  /** The largest mean test loss over the recorded steps ÷ the mean at step 0 (Infinity if non-finite). */
  ratio: number;
  /** The first step where that largest mean occurs. */
  step: number;
}

/** The worst rise of the seed-mean curve of `curves` (one per seed, recorded at the same steps). */
export function worstRise(curves: readonly Curve[]): LossRise {
  const steps = curves[0]!.steps;
  const means = steps.map((_, i) => curves.reduce((a, c) => a + c.losses[i]!, 0) / curves.length);
  // A diverged run (NaN or Infinity) is the worst rise there is.
  const rise = (mean: number) => (Number.isFinite(mean) ? mean / means[0]! : Infinity);
  let worst = 0;
  means.forEach((mean, i) => {
    if (rise(mean) > rise(means[worst]!)) worst = i;
  });
  return { ratio: rise(means[worst]!), step: steps[worst]! };
}
