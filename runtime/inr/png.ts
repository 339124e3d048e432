// Grayscale images in [−1, 1] as PNG files (pngjs): one image, or a grid of equally sized images
// with a white gap between cells, each pixel drawn `scale`×`scale`.
import { writeFileSync } from 'node:fs';
import pngjs from 'pngjs';

/** rows[r][c] is one side×side image, row-major, in [−1, 1] (clipped). */
export function writeImageGrid(path: string, rows: readonly (readonly Float32Array[])[], side: number, scale = 2, gap = 4): void {
  const cols = Math.max(...rows.map((r) => r.length));
  const cell = side * scale;
  const width = cols * cell + (cols + 1) * gap;
  const height = rows.length * cell + (rows.length + 1) * gap;
  const png = new pngjs.PNG({ width, height, colorType: 0, inputColorType: 0, bitDepth: 8 });
  png.data = Buffer.alloc(width * height, 255);
  rows.forEach((row, r) => row.forEach((image, c) => {
    const x0 = gap + c * (cell + gap);
    const y0 = gap + r * (cell + gap);
    for (let y = 0; y < cell; y++) {
      for (let x = 0; x < cell; x++) {
        const v = image[Math.floor(y / scale) * side + Math.floor(x / scale)]!;
        png.data[(y0 + y) * width + x0 + x] = Math.round(((Math.min(1, Math.max(-1, v)) + 1) / 2) * 255);
      }
    }
  }));
  writeFileSync(path, pngjs.PNG.sync.write(png, { colorType: 0, inputColorType: 0, bitDepth: 8 }));
}
