// The labelled image grid (runtime/inr/png.ts): the header names each column, the captions sit
// under their images, and both read back from the PNG's pixels as the strings that were given.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pngjs from 'pngjs';
import { describe, expect, it } from 'vitest';
import { FONT_CHARACTERS, wrapLabel } from '../../runtime/inr/bitmap-font.js';
import { gridGeometry, LINE_HEIGHT, writeImageGrid, type GridOptions } from '../../runtime/inr/png.js';
import { readTextLine } from '../fixtures/png-text.js';
import { tempDir } from '../fixtures/temp-dir.js';

const SIDE = 28;

function gridOf(rows: number, columns: number): Float32Array[][] {
  return Array.from({ length: rows }, (_, r) => Array.from({ length: columns }, (_, c) => Float32Array.from({ length: SIDE * SIDE }, (_, p) => Math.sin(p * 0.1 + r + c))));
}

function written(rows: Float32Array[][], options: GridOptions): pngjs.PNG {
  const file = join(tempDir('gmn-grid-'), 'grid.png');
  writeImageGrid(file, rows, SIDE, options);
  return pngjs.PNG.sync.read(readFileSync(file), { skipRescale: true });
}

/** pngjs decodes to RGBA; the font reader wants one byte per pixel. */
function gray(png: pngjs.PNG): { width: number; data: Uint8Array } {
  return { width: png.width, data: Uint8Array.from({ length: png.width * png.height }, (_, i) => png.data[4 * i]!) };
}

describe('writeImageGrid with labels', () => {
  const header = ['image', 'INR', 'target', 'ws', 'ws_probing', 'ws_gradmetanet', 'ws_gradmetanet_pp'];
  const captions = [[undefined, 'MSE 0.3576', undefined, 'MSE 0.2000', 'MSE 0.1918', 'MSE 0.1782', 'MSE 0.1830'], [undefined, 'MSE 0.0123', undefined, 'MSE 1.0000', '', 'MSE 0.0000', '(2) = +.-:']];
  const options: GridOptions = { scale: 3, header, captions };
  const png = written(gridOf(2, header.length), options);
  const g = gridGeometry(2, header.length, SIDE, options);
  const image = gray(png);

  it('has the size its geometry says, and every column its own header', () => {
    expect([png.width, png.height]).toEqual([g.width, g.height]);
    const headers = header.map((_, c) => g.headerLines[c]!.map((_, i) => readTextLine(image, g.cellX(c), g.cell, g.headerY + i * LINE_HEIGHT)).join(''));
    expect(headers).toEqual(header.map((h) => h.toUpperCase()));
    // The longest name is wrapped at an underscore, not cut.
    expect(g.headerLines[6]).toEqual(['ws_', 'gradmetanet_pp']);
  });

  it('prints each caption under its own image, and nothing where none was given', () => {
    captions.forEach((row, r) => row.forEach((caption, c) => {
      expect(readTextLine(image, g.cellX(c), g.cell, g.captionY(r)), `row ${r} column ${c}`).toBe((caption ?? '').toUpperCase());
    }));
  });

  it('draws the images between the labels, unchanged', () => {
    const rows = gridOf(2, header.length);
    const y = g.imageY(1) + 3 * 5;
    const x = g.cellX(4) + 3 * 7;
    expect(image.data[y * image.width + x]).toBe(Math.round(((rows[1]![4]![5 * SIDE + 7]! + 1) / 2) * 255));
  });

  it('without labels keeps the plain layout', () => {
    const plain = written(gridOf(1, 3), { scale: 4, gap: 0 });
    expect([plain.width, plain.height]).toEqual([3 * 112, 112]);
  });
});

describe('the bitmap font', () => {
  it('has a distinct glyph for every character', () => {
    const png = written([[new Float32Array(SIDE * SIDE).fill(1)]], { scale: 20, header: [FONT_CHARACTERS.join('')] });
    const g = gridGeometry(1, 1, SIDE, { scale: 20, header: [FONT_CHARACTERS.join('')] });
    const read = g.headerLines[0]!.map((_, i) => readTextLine(gray(png), g.cellX(0), g.cell, g.headerY + i * LINE_HEIGHT)).join('');
    expect(read.replaceAll(' ', '')).toBe(FONT_CHARACTERS.join('').replaceAll(' ', ''));
  });

  it('wraps long labels at separators, and breaks a word only when it is too long', () => {
    expect(wrapLabel('ws_gradmetanet_pp', 9)).toEqual(['ws_', 'gradmetan', 'et_pp']);
    expect(wrapLabel('ws + probing', 20)).toEqual(['ws + probing']);
    expect(wrapLabel('ws + probing', 6)).toEqual(['ws +', 'probin', 'g']);
  });
});
