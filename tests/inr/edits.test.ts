// The edits, done by OpenCV.js: dilation against an independent 3×3 max filter; CLAHE against
// outputs pinned from OpenCV 4.5.2 (what cv2.createCLAHE(clipLimit=1.0, tileGridSize=(3, 3)).apply
// computes) and against what contrast enhancement must do.
import { describe, expect, it } from 'vitest';
import { editImages } from '../../runtime/inr/edits.js';
import { IMAGE_PIXELS, IMAGE_SIDE, loadImages } from '../../runtime/inr/images.js';
import { Rng } from '../../runtime/util/rng.js';

const S = IMAGE_SIDE;

/** The 3×3 max filter, the window clipped at the borders. */
function maxFilter(image: Float32Array): Float32Array {
  return Float32Array.from({ length: IMAGE_PIXELS }, (_, p) => {
    const r = Math.floor(p / S);
    const c = p % S;
    let m = -Infinity;
    for (let dr = -1; dr <= 1; dr++) for (let dc = -1; dc <= 1; dc++) {
      const rr = r + dr;
      const cc = c + dc;
      if (rr >= 0 && rr < S && cc >= 0 && cc < S) m = Math.max(m, image[rr * S + cc]!);
    }
    return m;
  });
}

/** A low-contrast ramp: bytes 100..140 across the image. */
function ramp(): Float32Array {
  return Float32Array.from({ length: IMAGE_PIXELS }, (_, p) => (2 * (100 + Math.round((40 * (Math.floor(p / S) + (p % S))) / (2 * S - 2)))) / 255 - 1);
}

const toBytes = (xs: ArrayLike<number>): number[] => Array.from(xs, (v) => Math.round(((v + 1) / 2) * 255));

describe('image edits (OpenCV.js)', () => {
  it('dilation is the 3×3 max filter (one pixel grows to a 3×3 block; random and MNIST images)', async () => {
    const dot = new Float32Array(IMAGE_PIXELS).fill(-1);
    dot[5 * S + 7] = 1;
    const grown = await editImages('dilate', dot, 1);
    expect([...grown].flatMap((v, p) => (v === 1 ? [p] : []))).toEqual([4, 5, 6].flatMap((r) => [6, 7, 8].map((c) => r * S + c)));
    const rng = new Rng(3);
    const random = Float32Array.from({ length: IMAGE_PIXELS }, () => rng.range(-1, 1));
    const digits = loadImages('mnist', 2).pixels;
    const images = new Float32Array([...random, ...digits]);
    const got = await editImages('dilate', images, 3);
    for (let i = 0; i < 3; i++) expect([...got.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS)]).toEqual([...maxFilter(images.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS))]);
  }, 30000);

  it('CLAHE (clip 1.0, 3×3 tiles) matches OpenCV 4.5.2 and spreads a low-contrast ramp', async () => {
    const input = ramp();
    const got = toBytes(await editImages('contrast', input, 1));
    expect(got.slice(0, 8)).toEqual(PINNED_FIRST_ROW);
    expect(got.slice(IMAGE_PIXELS - 8)).toEqual(PINNED_LAST_ROW);
    const spread = (xs: number[]): number => Math.max(...xs) - Math.min(...xs);
    expect(spread(got)).toBeGreaterThan(2 * spread(toBytes(input)));
    // and the ramp still rises from corner to corner
    expect(got[IMAGE_PIXELS - 1]!).toBeGreaterThan(got[0]! + 50);
  }, 30000);
});

/** OpenCV 4.5.2's output on the ramp (first and last 8 pixels, as bytes). */
const PINNED_FIRST_ROW = [133, 135, 135, 140, 143, 148, 142, 138];
const PINNED_LAST_ROW = [198, 200, 198, 199, 202, 204, 204, 209];
