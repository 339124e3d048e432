// Many parameter vectors at once: `count` rows of `size` numbers in one flat row-major array, the
// layout a batched inner step reads (one dispatch series serves every row). PES builds its
// antithetic particles here: row 2i = φ + εᵢ, row 2i + 1 = φ − εᵢ.

export class ParticleSets {
  readonly data: Float64Array;

  constructor(
    readonly count: number,
    readonly size: number,
    data?: Float64Array,
  ) {
    if (data !== undefined && data.length !== count * size) throw new RangeError(`${count} sets of ${size} need ${count * size} numbers, got ${data.length}`);
    this.data = data ?? new Float64Array(count * size);
  }

  /** Row i, a view into `data` (writes go through). */
  row(i: number): Float64Array {
    if (!(i >= 0 && i < this.count)) throw new RangeError(`set ${i} of ${this.count}`);
    return this.data.subarray(i * this.size, (i + 1) * this.size);
  }

  /** Rows center + εᵢ and center − εᵢ, interleaved: pair i is rows 2i and 2i + 1. */
  static antithetic(center: Float64Array, noises: readonly Float64Array[]): ParticleSets {
    const sets = new ParticleSets(2 * noises.length, center.length);
    noises.forEach((eps, i) => {
      const plus = sets.row(2 * i);
      const minus = sets.row(2 * i + 1);
      for (let k = 0; k < center.length; k++) {
        plus[k] = center[k]! + eps[k]!;
        minus[k] = center[k]! - eps[k]!;
      }
    });
    return sets;
  }
}
