// The symmetry corpora: every spec under reject/ fails `gmn check` with the diagnostic its first
// line announces (`// expect: LINE:COL message-substring`, at exactly that position), and every spec
// under accept/ — plus every std module — checks without errors and gets a certificate.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkFiles } from '../../compiler/check.js';
import { certifyProgram } from '../../compiler/symmetry/program.js';

const CORPUS = resolve(import.meta.dirname, '../corpus/symmetry');
const STD = resolve(import.meta.dirname, '../../std');
const gmnFiles = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.gmn')).sort().map((f) => join(dir, f));

describe('reject corpus', () => {
  const files = gmnFiles(join(CORPUS, 'reject'));
  it('has at least 25 specs', () => expect(files.length).toBeGreaterThanOrEqual(25));
  for (const file of files) {
    it(file.split('/').pop()!, () => {
      const m = /^\/\/ expect: (\d+):(\d+) (.+)$/m.exec(readFileSync(file, 'utf8'));
      expect(m, 'first line must be `// expect: LINE:COL message`').not.toBeNull();
      const [, line, col, text] = m!;
      const errors = checkFiles([file], { stdRoot: STD }).diagnostics.filter((d) => d.severity === 'error');
      expect(errors.map((d) => `${d.span.start.line}:${d.span.start.column} ${d.message}`)).toContainEqual(
        expect.stringMatching(new RegExp(`^${line}:${col} .*${text!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`)),
      );
    });
  }
});

describe('accept corpus', () => {
  const files = [...gmnFiles(join(CORPUS, 'accept')), ...gmnFiles(STD)];
  it('has at least 15 specs', () => expect(files.length).toBeGreaterThanOrEqual(15));
  for (const file of files) {
    it(file.split('/').slice(-2).join('/'), () => {
      const result = checkFiles([file], { stdRoot: STD });
      expect(result.diagnostics.filter((d) => d.severity !== 'note').map((d) => d.message)).toEqual([]);
      const own = certifyProgram(result.program).filter((r) => r.file === result.program.roots[0]!.file);
      for (const r of own) expect(r.certificate, `${r.net} is certified`).not.toBeNull();
    });
  }
});
