// Grayscale images in [−1, 1] as PNG files (pngjs): one image, or a grid of equally sized images
// with a white gap between cells, each pixel drawn `scale`×`scale`. A grid may carry a header row
// naming its columns and a caption under each image, drawn in black with the 5×7 bitmap font.
import { writeFileSync } from 'node:fs';
import pngjs from 'pngjs';
import { glyph, GLYPH_ADVANCE, GLYPH_HEIGHT, textWidth, wrapLabel } from './bitmap-font.js';

export interface GridOptions {
  scale?: number;
  gap?: number;
  /** One label per column, wrapped onto as many lines as the longest needs. */
  header?: readonly string[];
  /** captions[r][c]: one line under the image of row r, column c. */
  captions?: readonly (readonly (string | undefined)[])[];
}

/** Where a grid puts its images and labels (pixels from the top left); the test reads labels back through it. */
export interface GridGeometry {
  width: number;
  height: number;
  /** Side of one image cell. */
  cell: number;
  /** Characters that fit on one line of a cell. */
  maxChars: number;
  /** Each column's header lines. */
  headerLines: string[][];
  /** Top of the first header line; header line i starts `i * LINE_HEIGHT` below. */
  headerY: number;
  cellX(column: number): number;
  imageY(row: number): number;
  /** Top of the caption line under row `row`'s images. */
  captionY(row: number): number;
}

/** Vertical distance between two lines of text. */
export const LINE_HEIGHT = GLYPH_HEIGHT + 2;
const INK = 0;

export function gridGeometry(rows: number, columns: number, side: number, options: GridOptions = {}): GridGeometry {
  const scale = options.scale ?? 2;
  const gap = options.gap ?? 4;
  const cell = side * scale;
  const maxChars = Math.floor((cell + 1) / GLYPH_ADVANCE);
  const headerLines = Array.from({ length: columns }, (_, c) => wrapLabel(options.header?.[c] ?? '', maxChars));
  const headerHeight = Math.max(0, ...headerLines.map((l) => l.length)) * LINE_HEIGHT;
  const captioned = (options.captions ?? []).some((row) => row.some((c) => c !== undefined && c !== ''));
  const captionHeight = captioned ? LINE_HEIGHT + 2 : 0;
  const top = gap + (headerHeight > 0 ? headerHeight + gap : 0);
  const rowPitch = cell + captionHeight + gap;
  return {
    width: columns * cell + (columns + 1) * gap,
    height: top + rows * rowPitch,
    cell,
    maxChars,
    headerLines,
    headerY: gap,
    cellX: (column) => gap + column * (cell + gap),
    imageY: (row) => top + row * rowPitch,
    captionY: (row) => top + row * rowPitch + cell + 2,
  };
}

/** rows[r][c] is one side×side image, row-major, in [−1, 1] (clipped). */
export function writeImageGrid(path: string, rows: readonly (readonly Float32Array[])[], side: number, options: GridOptions = {}): void {
  const scale = options.scale ?? 2;
  const columns = Math.max(...rows.map((r) => r.length));
  const g = gridGeometry(rows.length, columns, side, options);
  const png = new pngjs.PNG({ width: g.width, height: g.height, colorType: 0, inputColorType: 0, bitDepth: 8 });
  png.data = Buffer.alloc(g.width * g.height, 255);
  const centred = (text: string, column: number): number => g.cellX(column) + Math.floor((g.cell - textWidth(text)) / 2);
  g.headerLines.forEach((lines, c) => lines.forEach((line, i) => drawText(png.data, g.width, line, centred(line, c), g.headerY + i * LINE_HEIGHT)));
  rows.forEach((row, r) => row.forEach((image, c) => {
    const x0 = g.cellX(c);
    const y0 = g.imageY(r);
    for (let y = 0; y < g.cell; y++) {
      for (let x = 0; x < g.cell; x++) {
        const v = image[Math.floor(y / scale) * side + Math.floor(x / scale)]!;
        png.data[(y0 + y) * g.width + x0 + x] = Math.round(((Math.min(1, Math.max(-1, v)) + 1) / 2) * 255);
      }
    }
    const caption = options.captions?.[r]?.[c];
    if (caption !== undefined && caption !== '') drawText(png.data, g.width, caption.slice(0, g.maxChars), centred(caption.slice(0, g.maxChars), c), g.captionY(r));
  }));
  writeFileSync(path, pngjs.PNG.sync.write(png, { colorType: 0, inputColorType: 0, bitDepth: 8 }));
}

function drawText(data: Buffer, width: number, text: string, x0: number, y0: number): void {
  [...text].forEach((char, k) => glyph(char).forEach((row, y) => row.forEach((ink, x) => {
    if (ink) data[(y0 + y) * width + x0 + k * GLYPH_ADVANCE + x] = INK;
  })));
}
