// Source text → tokens, with every lexical problem as a diagnostic (unexpected characters,
// unclosed strings and comments, malformed numbers). The token stream stays usable for the
// parser, so syntax errors later in the file are still found.
import { Lexer, type IToken } from 'chevrotain';
import { error, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { LineMap } from './line-map.js';
import { ALL_TOKENS, NumberLiteral, UnterminatedComment, UnterminatedString } from './tokens.js';

const lexer = new Lexer(ALL_TOKENS, { positionTracking: 'full', ensureOptimizations: false });

export interface LexResult {
  tokens: IToken[];
  diagnostics: Diagnostic[];
}

const VALID_NUMBER = /^\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

export function lex(lines: LineMap): LexResult {
  const result = lexer.tokenize(lines.text);
  const diagnostics: Diagnostic[] = [];
  for (const e of result.errors) {
    const chars = lines.text.slice(e.offset, e.offset + e.length);
    diagnostics.push(error('syntax/unexpected-character',
      `unexpected character${chars.length > 1 ? 's' : ''} \`${chars}\``, lines.span(e.offset, e.offset + e.length)));
  }
  for (const t of result.groups['errors'] ?? []) {
    if (t.tokenType === UnterminatedComment) {
      diagnostics.push(error('syntax/unterminated-comment', 'unterminated block comment', lines.span(t.startOffset, t.startOffset + 2),
        'close the comment with `*/`'));
    }
  }
  for (const t of result.tokens) {
    if (t.tokenType === UnterminatedString) {
      diagnostics.push(error('syntax/unterminated-string', 'unterminated string literal',
        lines.span(t.startOffset, t.startOffset + t.image.length), 'close the string with `"` on the same line'));
    }
    if (t.tokenType === NumberLiteral && !VALID_NUMBER.test(t.image)) {
      diagnostics.push(error('syntax/malformed-number', `malformed number \`${t.image}\``,
        lines.span(t.startOffset, t.startOffset + t.image.length), numberHint(t.image)));
    }
  }
  return { tokens: result.tokens, diagnostics };
}

function numberHint(image: string): string {
  if (/^\d+\.(?!\d)/.test(image)) return 'write digits after the decimal point, e.g. `2.0`';
  if (/^\d+(?:\.\d+)?[eE][+-]?(?!\d)/.test(image)) return 'an exponent needs digits, e.g. `1e-3`';
  return 'numbers are written like `32`, `0.5` or `1e-3`; names cannot start with a digit';
}
