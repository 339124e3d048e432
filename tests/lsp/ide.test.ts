// The editor features never throw, wherever the cursor is: at every token of every malformed
// corpus file (a recovering parser's partial trees) and of small well-formed tasks, hover, definition,
// references, completion, symbols, semantic tokens and formatting answer something or nothing.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeSources } from '../../compiler/check.js';
import { analyzeFile } from '../../compiler/ide/analysis.js';
import { completionsAt } from '../../compiler/ide/completion.js';
import { hoverAt } from '../../compiler/ide/hover.js';
import { referencesAt } from '../../compiler/ide/references.js';
import { definitionSpan, nameAt } from '../../compiler/ide/scope.js';
import { semanticTokens } from '../../compiler/ide/semantic-tokens.js';
import { documentSymbols } from '../../compiler/ide/symbols.js';
import { lex } from '../../compiler/syntax/lexer.js';
import { LineMap } from '../../compiler/syntax/line-map.js';

const repo = join(import.meta.dirname, '..', '..');
const invalid = join(repo, 'tests', 'corpus', 'invalid');

describe('compiler/ide on any file, at any token', () => {
  const files = [
    ...readdirSync(invalid).filter((f) => f.endsWith('.gmn')).map((f) => join(invalid, f)),
    join(repo, 'tests', 'corpus', 'symmetry', 'reject', 'dense-over-neurons.gmn'),
    join(repo, 'tests', 'fixtures', 'tiny-curvature.gmn'),
    join(repo, 'tests', 'fixtures', 'inr-editors.gmn'),
  ];
  it.each(files.map((f) => [f.slice(repo.length + 1), f]))('%s', (_, file) => {
    const analysis = analyzeFile(file, nodeSources());
    const module = analysis.module!;
    expect(module).toBeDefined();
    expect(() => semanticTokens(module)).not.toThrow();
    expect(() => documentSymbols(module.program)).not.toThrow();
    const { tokens } = lex(new LineMap(module.file, module.source));
    for (const offset of [0, ...tokens.flatMap((t) => [t.startOffset, t.startOffset + t.image.length]), module.source.length]) {
      const where = `${module.file} at offset ${offset}`;
      expect(() => hoverAt(analysis, offset), where).not.toThrow();
      expect(() => completionsAt(module, offset), where).not.toThrow();
      expect(() => referencesAt(analysis.program, module, offset, true), where).not.toThrow();
      const referent = nameAt(module, offset)?.referent;
      if (referent !== undefined) expect(() => definitionSpan(referent), where).not.toThrow();
    }
  });
});
