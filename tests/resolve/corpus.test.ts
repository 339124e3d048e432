// The malformed-file corpus: each tests/corpus/invalid/**/*.gmn starts with `// expect: LINE:COL text`
// lines, and checking the file must produce exactly those diagnostics (position and message), all in
// that file.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkFiles } from '../../compiler/check.js';

const root = join(import.meta.dirname, '..', 'corpus', 'invalid');

function corpusFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? corpusFiles(join(dir, e.name)) : e.name.endsWith('.gmn') ? [join(dir, e.name)] : []);
}

interface Expectation {
  line: number;
  col: number;
  text: string;
}

function expectations(source: string): Expectation[] {
  const out: Expectation[] = [];
  for (const m of source.matchAll(/^\/\/ expect: (\d+):(\d+) (.+)$/gm)) out.push({ line: Number(m[1]), col: Number(m[2]), text: m[3]! });
  return out;
}

const files = corpusFiles(root).sort();

describe('malformed corpus', () => {
  it('has at least 30 files, each with an expectation', () => {
    expect(files.length).toBeGreaterThanOrEqual(30);
    for (const f of files) expect(expectations(readFileSync(f, 'utf8')).length, f).toBeGreaterThan(0);
  });

  for (const file of files) {
    it(relative(root, file), () => {
      const expected = expectations(readFileSync(file, 'utf8'));
      const { diagnostics } = checkFiles([relative(process.cwd(), file)]);
      const actual = diagnostics.map((d) => ({ file: d.span.file, line: d.span.start.line, col: d.span.start.column, message: d.message }));
      const describe = actual.map((a) => `${a.line}:${a.col} ${a.message}`).join('\n');
      expect(actual.length, describe).toBe(expected.length);
      for (const e of expected) {
        const hit = actual.find((a) => a.line === e.line && a.col === e.col && a.message.includes(e.text));
        expect(hit, `expected ${e.line}:${e.col} ${e.text}\nactual:\n${describe}`).toBeDefined();
        expect(hit!.file).toBe(relative(process.cwd(), file));
      }
    });
  }
});
