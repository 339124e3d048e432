// Mean and variance of a stream of numbers arriving in chunks, merged with Chan et al.'s pairwise
// formula (each chunk two-pass), so millions of float32 values accumulate without cancellation.
export class Moments {
  count = 0;
  mean = 0;
  private m2 = 0;

  /** Adds values[start], values[start + 1], …, values[end - 1]. */
  add(values: ArrayLike<number>, start: number, end: number): void {
    const n = end - start;
    if (n <= 0) return;
    let sum = 0;
    for (let i = start; i < end; i++) sum += values[i]!;
    const mean = sum / n;
    let m2 = 0;
    for (let i = start; i < end; i++) {
      const d = values[i]! - mean;
      m2 += d * d;
    }
    const total = this.count + n;
    const delta = mean - this.mean;
    this.mean += (delta * n) / total;
    this.m2 += m2 + (delta * delta * this.count * n) / total;
    this.count = total;
  }

  /** The population standard deviation. */
  get std(): number {
    return this.count === 0 ? 0 : Math.sqrt(this.m2 / this.count);
  }
}
