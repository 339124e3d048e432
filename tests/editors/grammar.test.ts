// The TextMate grammar of .gmn (runtime/editors/vscode/syntaxes/gmn.tmLanguage.json), run by the engine VS
// Code runs it with (vscode-textmate + vscode-oniguruma) and checked against the lexer: every token
// type of compiler/syntax/tokens.ts has a sample here (a new token fails the first test until it
// has one and the grammar scopes it), every keyword is scoped as one, every builtin as a builtin,
// and on every committed .gmn file the grammar agrees with the lexer on what is a comment, a
// string and code.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as oniguruma from 'vscode-oniguruma';
import * as textmate from 'vscode-textmate';
import { BUILTINS } from '../../compiler/resolve/builtins.js';
import { commentsOf } from '../../compiler/syntax/comments.js';
import { lex } from '../../compiler/syntax/lexer.js';
import { LineMap } from '../../compiler/syntax/line-map.js';
import { ALL_TOKENS, Identifier, StringLiteral } from '../../compiler/syntax/tokens.js';

const repo = join(import.meta.dirname, '..', '..');
const grammarPath = join(repo, 'runtime', 'editors', 'vscode', 'syntaxes', 'gmn.tmLanguage.json');

/** For each token type: a line, the token's text in it, and the scope the grammar must give it. */
const SAMPLES: Record<string, { line: string; image: string; scope: string }> = {
  LineComment: { line: 'let x = 1 // why', image: '// why', scope: 'comment.line.double-slash.gmn' },
  BlockComment: { line: 'let x = /* why */ 1', image: '/* why */', scope: 'comment.block.gmn' },
  UnterminatedComment: { line: 'let x = 1 /* never closed', image: '/* never closed', scope: 'comment.block.gmn' },
  StringLiteral: { line: 'kind: "curvature"', image: '"curvature"', scope: 'string.quoted.double.gmn' },
  UnterminatedString: { line: 'kind: "curvature', image: '"curvature', scope: 'string.quoted.double.gmn' },
  NumberLiteral: { line: 'optimizer: adam(lr: 1e-3)', image: '1e-3', scope: 'constant.numeric.gmn' },
  ModulePath: { line: 'use std/gradmetanet', image: 'std/gradmetanet', scope: 'entity.name.namespace.gmn' },
  Use: { line: 'use ./local/file', image: 'use', scope: 'keyword.other.use.gmn' },
  Target: { line: 'target Siren = mlp(widths: [1, 32, 1])', image: 'target', scope: 'keyword.other.declaration.gmn' },
  Net: { line: 'net f(x: grads(T, b)[2]) -> weights(T)[1] {', image: 'net', scope: 'keyword.other.declaration.gmn' },
  Block: { line: 'block pool(x: grads(T, b)[c]) -> neurons(T)[c] {', image: 'block', scope: 'keyword.other.declaration.gmn' },
  Task: { line: 'task curvature {', image: 'task', scope: 'keyword.other.declaration.gmn' },
  Preset: { line: '  preset quick {', image: 'preset', scope: 'keyword.other.declaration.gmn' },
  Let: { line: '  let z = relu(x)', image: 'let', scope: 'keyword.control.gmn' },
  Repeat: { line: '  repeat k1 {', image: 'repeat', scope: 'keyword.control.gmn' },
  Return: { line: '  return pool(x, width)', image: 'return', scope: 'keyword.control.gmn' },
  True: { line: 'linear(x, 4, bias: true)', image: 'true', scope: 'constant.language.boolean.gmn' },
  False: { line: 'linear(x, 4, bias: false)', image: 'false', scope: 'constant.language.boolean.gmn' },
  Identifier: { line: '  let z = relu(x)', image: 'x', scope: 'variable.other.gmn' },
  Arrow: { line: 'net f(x: vector[2]) -> vector[2] {', image: '->', scope: 'keyword.operator.arrow.gmn' },
  At: { line: '@breaks(set)', image: '@', scope: 'punctuation.definition.annotation.gmn' },
  LParen: { line: 'relu(x)', image: '(', scope: 'punctuation.bracket.round.gmn' },
  RParen: { line: 'relu(x)', image: ')', scope: 'punctuation.bracket.round.gmn' },
  LBracket: { line: 'vector[2]', image: '[', scope: 'punctuation.bracket.square.gmn' },
  RBracket: { line: 'vector[2]', image: ']', scope: 'punctuation.bracket.square.gmn' },
  LBrace: { line: 'task t {}', image: '{', scope: 'punctuation.bracket.curly.gmn' },
  RBrace: { line: 'task t {}', image: '}', scope: 'punctuation.bracket.curly.gmn' },
  Comma: { line: 'f(a, b)', image: ',', scope: 'punctuation.separator.comma.gmn' },
  Colon: { line: 'f(a, over: set)', image: ':', scope: 'punctuation.separator.colon.gmn' },
  Equals: { line: '  let z = x', image: '=', scope: 'keyword.operator.assignment.gmn' },
  Plus: { line: '  let z = x + y', image: '+', scope: 'keyword.operator.arithmetic.gmn' },
  Minus: { line: '  let z = x - y', image: '-', scope: 'keyword.operator.arithmetic.gmn' },
  Star: { line: '  let z = x * y', image: '*', scope: 'keyword.operator.arithmetic.gmn' },
  Slash: { line: '  let z = x / y', image: '/', scope: 'keyword.operator.arithmetic.gmn' },
};

let grammar: textmate.IGrammar;

beforeAll(async () => {
  const wasm = readFileSync(createRequire(import.meta.url).resolve('vscode-oniguruma/release/onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new textmate.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns: string[]) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s: string) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scope: string) => (scope === 'source.gmn' ? textmate.parseRawGrammar(readFileSync(grammarPath, 'utf8'), grammarPath) : null),
  });
  grammar = (await registry.loadGrammar('source.gmn'))!;
});

/** The scopes of every character of a text, line by line (the innermost scope last). */
function scopesOf(text: string): string[][][] {
  let stack = textmate.INITIAL;
  return text.split('\n').map((line) => {
    const result = grammar.tokenizeLine(line, stack);
    stack = result.ruleStack;
    const perChar: string[][] = [];
    for (const t of result.tokens) for (let c = t.startIndex; c < Math.min(t.endIndex, line.length); c++) perChar[c] = t.scopes;
    return perChar;
  });
}

const innermost = (scopes: string[] | undefined): string => scopes?.at(-1) ?? '';

describe('the TextMate grammar', () => {
  it('has a sample for every token type of the lexer', () => {
    const names = ALL_TOKENS.map((t) => t.name).filter((n) => n !== 'WhiteSpace');
    expect(Object.keys(SAMPLES).sort()).toEqual(names.sort());
  });

  it('scopes every sample as the lexer reads it', () => {
    for (const [name, { line, image, scope }] of Object.entries(SAMPLES)) {
      const at = line.lastIndexOf(image);
      // The lexer sees this token type there (or skips it, for comments, or reports it, for an unclosed one).
      const lexed = lex(new LineMap('sample.gmn', line));
      const token = lexed.tokens.find((t) => t.startOffset === at);
      const isComment = commentsOf(line, lexed.tokens).some((c) => c.start === at);
      expect(token?.tokenType.name ?? (isComment ? name : undefined), name).toBe(name);
      const scopes = scopesOf(line)[0]!;
      for (let c = at; c < at + image.length; c++) expect(innermost(scopes[c]), `${name} at column ${c} of \`${line}\``).toBe(scope);
    }
  });

  it('scopes every keyword of the lexer as a keyword or a language constant', () => {
    const keywords = ALL_TOKENS.filter((t) => t.LONGER_ALT !== undefined);
    expect(keywords.length).toBeGreaterThan(10);
    for (const k of keywords) {
      const word = (k.PATTERN as RegExp).source.replace('\\b', '');
      const scopes = scopesOf(`${word} x`)[0]!;
      expect(innermost(scopes[0]), word).toMatch(/^(keyword\.|constant\.language\.)/);
      // The same letters inside a longer name are a name.
      expect(innermost(scopesOf(`let ${word}_2 = 1`)[0]![4]), `${word}_2`).not.toMatch(/^keyword\./);
    }
  });

  it('scopes every builtin called as a builtin', () => {
    for (const b of BUILTINS) {
      const scopes = scopesOf(`  let y = ${b.name}(x)`)[0]!;
      expect(innermost(scopes[10]), b.name).toBe('support.function.builtin.gmn');
    }
  });

  it('agrees with the lexer on every committed .gmn file: comments, strings and code', () => {
    const files = ['dsl-examples', 'std'].flatMap((dir) => readdirSync(join(repo, dir)).filter((f) => f.endsWith('.gmn')).map((f) => join(repo, dir, f)));
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      const lines = new LineMap(file, text);
      const scopes = scopesOf(text);
      const scopeAt = (offset: number): string => {
        const p = lines.position(offset);
        return innermost(scopes[p.line - 1]![p.column - 1]);
      };
      const { tokens } = lex(lines);
      const name = relative(repo, file);
      for (const t of tokens) {
        const scope = scopeAt(t.startOffset);
        if (t.tokenType === StringLiteral) expect(scope, `${name}: ${t.image}`).toMatch(/^string\./);
        else expect(scope, `${name}:${t.startLine}:${t.startColumn} \`${t.image}\``).not.toMatch(/^(comment|string)\./);
        if (t.tokenType === Identifier) expect(scope, `${name}:${t.startLine}:${t.startColumn} \`${t.image}\``).not.toBe('');
      }
      for (const c of commentsOf(text, tokens)) expect(scopeAt(c.start), `${name}: comment at ${c.start}`).toMatch(/^comment\./);
    }
  });
});
