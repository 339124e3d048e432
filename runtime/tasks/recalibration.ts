// The recalibrated estimator: a learned linear correction of the standard estimator's output,
// ŷ = a_k · x + c_k for every entry of parameter block k (two numbers per block), fitted by least
// squares on the training sets. It is the reference line that tells how much of a learned model's
// gain over the estimator is mere shrinkage of the estimator's noisy values.

/** The least-squares line ŷ = a·x + c of one group of entries. */
export interface AffineFit {
  a: number;
  c: number;
}

/**
 * Fits one line per group: `groupOf[j]` is the group of entry j of every example (examples are
 * rows of `x` and `y`, `groupOf.length` entries each). Simple linear regression in closed form,
 * a = cov(x, y) / var(x), c = ȳ − a·x̄, per group; a group whose inputs do not vary gets a = 0.
 */
export function fitRecalibration(x: Float64Array, y: Float64Array, groupOf: readonly number[], groups: number): AffineFit[] {
  const width = groupOf.length;
  if (x.length !== y.length || x.length % width !== 0) {
    throw new Error(`internal: recalibration needs matching [examples, ${width}] arrays, got ${x.length} and ${y.length} values`);
  }
  const n = new Float64Array(groups);
  const sx = new Float64Array(groups);
  const sy = new Float64Array(groups);
  for (let i = 0; i < x.length; i++) {
    const g = groupOf[i % width]!;
    n[g]! += 1;
    sx[g]! += x[i]!;
    sy[g]! += y[i]!;
  }
  const mx = Array.from(n, (count, g) => sx[g]! / count);
  const my = Array.from(n, (count, g) => sy[g]! / count);
  // Second pass on centred values: the single-pass sums of squares cancel badly when |x| ≫ its spread.
  const sxx = new Float64Array(groups);
  const sxy = new Float64Array(groups);
  for (let i = 0; i < x.length; i++) {
    const g = groupOf[i % width]!;
    const dx = x[i]! - mx[g]!;
    sxx[g]! += dx * dx;
    sxy[g]! += dx * (y[i]! - my[g]!);
  }
  return Array.from(n, (count, g) => {
    if (count === 0) return { a: 0, c: 0 };
    const a = sxx[g]! > 0 ? sxy[g]! / sxx[g]! : 0;
    return { a, c: my[g]! - a * mx[g]! };
  });
}

/** ŷ = a_g · x + c_g, entry by entry. */
export function applyRecalibration(fits: readonly AffineFit[], x: Float64Array, groupOf: readonly number[]): Float64Array {
  const width = groupOf.length;
  return x.map((v, i) => {
    const fit = fits[groupOf[i % width]!]!;
    return fit.a * v + fit.c;
  });
}
