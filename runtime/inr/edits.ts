// The image edits an editor learns (paper §6.3), done by OpenCV's JavaScript build (npm
// `@techstark/opencv-js`, the same functions the paper's benchmark code calls in cv2):
//   dilate     dilation with a 3×3 ones kernel, one iteration (MNIST); applied to the [−1, 1]
//              floats directly, since dilation (a max filter) commutes with increasing maps
//   contrast   CLAHE with clip limit 1.0 and 3×3 tiles, on the image as 8-bit grayscale, scaled
//              back to [−1, 1] (the paper's CIFAR-10 edit, here on grayscale Fashion-MNIST)
import { createRequire } from 'node:module';
import { IMAGE_SIDE } from './images.js';

export type ImageEdit = 'dilate' | 'contrast';

/** The few OpenCV.js functions used here (the package's own typings are far larger than needed). */
interface Mat {
  data: Uint8Array;
  data32F: Float32Array;
  delete(): void;
}
interface OpenCv {
  Mat: { new(): Mat; ones(rows: number, cols: number, type: number): Mat };
  Point: new (x: number, y: number) => unknown;
  Size: new (w: number, h: number) => unknown;
  CLAHE: new (clip: number, tiles: unknown) => { apply(src: Mat, dst: Mat): void; delete(): void };
  matFromArray(rows: number, cols: number, type: number, data: ArrayLike<number>): Mat;
  dilate(src: Mat, dst: Mat, kernel: Mat, anchor: unknown, iterations: number): void;
  CV_8U: number;
  CV_8UC1: number;
  CV_32FC1: number;
  onRuntimeInitialized?: () => void;
  then?: (ready: () => void) => void;
}

let opencv: Promise<{ cv: OpenCv }> | null = null;

/**
 * OpenCV.js, loaded once (its WebAssembly takes a few seconds to start). Wrapped in an object: the
 * module is itself a thenable, which a promise resolved with it would chase forever.
 */
export function loadOpenCv(): Promise<{ cv: OpenCv }> {
  opencv ??= new Promise<{ cv: OpenCv }>((resolve) => {
    const cv = createRequire(import.meta.url)('@techstark/opencv-js') as OpenCv;
    // Emscripten's `then` runs its callback once the runtime is ready (at once if it already is).
    if (typeof cv.then === 'function') cv.then(() => resolve({ cv }));
    else cv.onRuntimeInitialized = () => resolve({ cv });
  });
  return opencv;
}

/** The edited images ([count, 28·28] in [−1, 1]). */
export async function editImages(edit: ImageEdit, pixels: Float32Array, count: number): Promise<Float32Array> {
  const { cv } = await loadOpenCv();
  const size = IMAGE_SIDE * IMAGE_SIDE;
  const out = new Float32Array(count * size);
  for (let i = 0; i < count; i++) out.set(editOne(cv, edit, pixels.subarray(i * size, (i + 1) * size)), i * size);
  return out;
}

function editOne(cv: OpenCv, edit: ImageEdit, image: Float32Array): Float32Array {
  const dst = new cv.Mat();
  if (edit === 'dilate') {
    const src = cv.matFromArray(IMAGE_SIDE, IMAGE_SIDE, cv.CV_32FC1, image);
    const kernel = cv.Mat.ones(3, 3, cv.CV_8U);
    cv.dilate(src, dst, kernel, new cv.Point(-1, -1), 1);
    const result = Float32Array.from(dst.data32F);
    for (const m of [src, kernel, dst]) m.delete();
    return result;
  }
  const bytes = Array.from(image, (v) => Math.round(((Math.min(1, Math.max(-1, v)) + 1) / 2) * 255));
  const src = cv.matFromArray(IMAGE_SIDE, IMAGE_SIDE, cv.CV_8UC1, bytes);
  const clahe = new cv.CLAHE(1.0, new cv.Size(3, 3));
  clahe.apply(src, dst);
  const result = Float32Array.from(dst.data, (b) => (2 * b) / 255 - 1);
  clahe.delete();
  for (const m of [src, dst]) m.delete();
  return result;
}
