// Area (box-filter) downsampling of square greyscale images, e.g. 28×28 → 8×8 for the paper's
// "8×8 downsampled" image MLPs: output pixel (i, j) is the mean of the input over the square it
// covers, input pixels cut by its border counted by the fraction inside. Mean brightness is kept.

/** W[o, k]: the share of input row k in output row o (rows sum to 1). */
function areaWeights(from: number, to: number): Float64Array {
  const w = new Float64Array(to * from);
  const scale = from / to;
  for (let o = 0; o < to; o++) {
    const lo = o * scale;
    const hi = (o + 1) * scale;
    for (let k = Math.floor(lo); k < Math.min(from, Math.ceil(hi)); k++) w[o * from + k] = (Math.min(hi, k + 1) - Math.max(lo, k)) / scale;
  }
  return w;
}

/**
 * [count, from, from] bytes → [count, to·to] floats in [0, 1] (pixel / 255), row-major: W·X·Wᵀ per
 * image with W the area weights.
 */
export function downsampleImages(pixels: Uint8Array, count: number, from: number, to: number): Float32Array {
  if (pixels.length !== count * from * from) throw new RangeError(`${count} images of ${from}×${from} need ${count * from * from} bytes, got ${pixels.length}`);
  if (!(to >= 1 && to <= from)) throw new RangeError(`cannot downsample ${from}×${from} to ${to}×${to}`);
  const w = areaWeights(from, to);
  const out = new Float32Array(count * to * to);
  const rows = new Float64Array(to * from);
  for (let n = 0; n < count; n++) {
    const image = pixels.subarray(n * from * from, (n + 1) * from * from);
    rows.fill(0);
    // rows = W·X: [to, from]
    for (let o = 0; o < to; o++) {
      for (let k = 0; k < from; k++) {
        const wk = w[o * from + k]!;
        if (wk === 0) continue;
        for (let c = 0; c < from; c++) rows[o * from + c] = rows[o * from + c]! + wk * image[k * from + c]!;
      }
    }
    // out = rows·Wᵀ / 255
    for (let o = 0; o < to; o++) {
      for (let p = 0; p < to; p++) {
        let s = 0;
        for (let c = 0; c < from; c++) s += rows[o * from + c]! * w[p * from + c]!;
        out[n * to * to + o * to + p] = s / 255;
      }
    }
  }
  return out;
}
