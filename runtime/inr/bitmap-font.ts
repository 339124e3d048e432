// A 5×7 bitmap font (upper-case letters, digits, a little punctuation) for labels drawn into the
// PNG image grids: enough for model names and numbers, without a font-rendering dependency.

export const GLYPH_WIDTH = 5;
export const GLYPH_HEIGHT = 7;
/** Horizontal distance between the starts of two characters (one blank column between them). */
export const GLYPH_ADVANCE = GLYPH_WIDTH + 1;

/** Each glyph as 7 rows of 5 cells, `#` inked. */
const GLYPH_ROWS: Record<string, string> = {
  'A': '.###. #...# #...# ##### #...# #...# #...#',
  'B': '####. #...# #...# ####. #...# #...# ####.',
  'C': '.###. #...# #.... #.... #.... #...# .###.',
  'D': '####. #...# #...# #...# #...# #...# ####.',
  'E': '##### #.... #.... ####. #.... #.... #####',
  'F': '##### #.... #.... ####. #.... #.... #....',
  'G': '.###. #...# #.... #.### #...# #...# .####',
  'H': '#...# #...# #...# ##### #...# #...# #...#',
  'I': '.###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.',
  'J': '..### ...#. ...#. ...#. ...#. #..#. .##..',
  'K': '#...# #..#. #.#.. ##... #.#.. #..#. #...#',
  'L': '#.... #.... #.... #.... #.... #.... #####',
  'M': '#...# ##.## #.#.# #.#.# #...# #...# #...#',
  'N': '#...# #...# ##..# #.#.# #..## #...# #...#',
  'O': '.###. #...# #...# #...# #...# #...# .###.',
  'P': '####. #...# #...# ####. #.... #.... #....',
  'Q': '.###. #...# #...# #...# #.#.# #..#. .##.#',
  'R': '####. #...# #...# ####. #.#.. #..#. #...#',
  'S': '.#### #.... #.... .###. ....# ....# ####.',
  'T': '##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..',
  'U': '#...# #...# #...# #...# #...# #...# .###.',
  'V': '#...# #...# #...# #...# #...# .#.#. ..#..',
  'W': '#...# #...# #...# #.#.# #.#.# #.#.# .#.#.',
  'X': '#...# #...# .#.#. ..#.. .#.#. #...# #...#',
  'Y': '#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..',
  'Z': '##### ....# ...#. ..#.. .#... #.... #####',
  '0': '.###. #...# #..## #.#.# ##..# #...# .###.',
  '1': '..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.',
  '2': '.###. #...# ....# ...#. ..#.. .#... #####',
  '3': '##### ...#. ..#.. ...#. ....# #...# .###.',
  '4': '...#. ..##. .#.#. #..#. ##### ...#. ...#.',
  '5': '##### #.... ####. ....# ....# #...# .###.',
  '6': '..##. .#... #.... ####. #...# #...# .###.',
  '7': '##### ....# ...#. ..#.. .#... .#... .#...',
  '8': '.###. #...# #...# .###. #...# #...# .###.',
  '9': '.###. #...# #...# .#### ....# ...#. .##..',
  '_': '..... ..... ..... ..... ..... ..... #####',
  '+': '..... ..#.. ..#.. ##### ..#.. ..#.. .....',
  '-': '..... ..... ..... ##### ..... ..... .....',
  '.': '..... ..... ..... ..... ..... .##.. .##..',
  ':': '..... .##.. .##.. ..... .##.. .##.. .....',
  '=': '..... ..... ##### ..... ##### ..... .....',
  '(': '...#. ..#.. .#... .#... .#... ..#.. ...#.',
  ')': '.#... ..#.. ...#. ...#. ...#. ..#.. .#...',
  ' ': '..... ..... ..... ..... ..... ..... .....',
};

/** The characters the font draws (letters are drawn upper-case). */
export const FONT_CHARACTERS: readonly string[] = Object.keys(GLYPH_ROWS);

/** The glyph of one character as GLYPH_HEIGHT rows of GLYPH_WIDTH booleans (true = ink). */
export function glyph(char: string): boolean[][] {
  const rows = GLYPH_ROWS[char.toUpperCase()];
  if (rows === undefined) throw new Error(`the bitmap font has no glyph for ${JSON.stringify(char)}`);
  return rows.split(' ').map((row) => [...row].map((cell) => cell === '#'));
}

/** The width in pixels of a one-line text. */
export function textWidth(text: string): number {
  return text.length === 0 ? 0 : text.length * GLYPH_ADVANCE - 1;
}

/**
 * Splits a label into lines of at most `maxChars` characters, preferring to break after `_`, `+`
 * or a space (model names such as ws_gradmetanet_pp), and inside a word only when it is too long.
 */
export function wrapLabel(text: string, maxChars: number): string[] {
  const words = text.match(/[^_+ ]*[_+ ]?/g)!.filter((w) => w !== '');
  const lines: string[] = [];
  let line = '';
  for (let word of words) {
    if (line.length + word.length > maxChars && line !== '') {
      lines.push(line.trimEnd());
      line = '';
    }
    while (word.length > maxChars) {
      lines.push(word.slice(0, maxChars));
      word = word.slice(maxChars);
    }
    line += word;
  }
  if (line !== '') lines.push(line.trimEnd());
  return lines;
}
