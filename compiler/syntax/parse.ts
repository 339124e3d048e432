// The syntax stage: source text → AST plus every lexical and syntax error in the file.
import { EOF, type IRecognitionException, type IToken } from 'chevrotain';
import { error, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { Program, Span } from './ast.js';
import { lex } from './lexer.js';
import { LineMap } from './line-map.js';
import { FriendlyMessages } from './messages.js';
import { GmnParser } from './parser.js';
import { toAst } from './to-ast.js';

export interface ParseResult {
  program: Program;
  diagnostics: Diagnostic[];
}

let shared: { parser: GmnParser; messages: FriendlyMessages } | undefined;

/** Parses one file. `file` is the name used in spans (and so in printed diagnostics). */
export function parseSource(text: string, file: string): ParseResult {
  shared ??= createParser();
  const { parser, messages } = shared;
  const lines = new LineMap(file, text);
  const lexed = lex(lines);
  messages.tokens = lexed.tokens;
  parser.input = lexed.tokens;
  const cst = parser.program();
  const syntax = dropCascades(dedupe(parser.errors.map((e) => syntaxDiagnostic(e, lines))), lexed.diagnostics);
  const diagnostics = [...lexed.diagnostics, ...syntax];
  const program = toAst(cst, lines, diagnostics);
  messages.tokens = [];
  return { program, diagnostics };
}

function createParser(): { parser: GmnParser; messages: FriendlyMessages } {
  const messages = new FriendlyMessages();
  return { parser: new GmnParser(messages), messages };
}

function syntaxDiagnostic(e: IRecognitionException, lines: LineMap): Diagnostic {
  return error('syntax/unexpected-token', e.message, errorSpan(e, lines), missingCommaHint(e));
}

/** A closer expected where a new item starts usually means the separating comma is missing. */
function missingCommaHint(e: IRecognitionException): string | undefined {
  const startsItem = ['Identifier', 'NumberLiteral', 'StringLiteral', 'True', 'False', 'Target', 'Preset'];
  if (/^expected `[)\]}]` to close/.test(e.message) && startsItem.includes(e.token.tokenType.name)) {
    return `is a \`,\` missing before \`${e.token.image}\`?`;
  }
  return undefined;
}

/**
 * A missing token is reported just after the token it should follow when what comes instead is on
 * a later line (or the end of the file): the caret then sits where the user must type.
 */
function errorSpan(e: IRecognitionException, lines: LineMap): Span {
  const actual = e.token;
  const previous = (e as IRecognitionException & { previousToken?: IToken }).previousToken;
  const atEnd = actual.tokenType === EOF || !Number.isFinite(actual.startOffset);
  const previousOk = previous !== undefined && previous.tokenType !== EOF && Number.isFinite(previous.startOffset);
  if (previousOk && (atEnd || (e.name === 'MismatchedTokenException' && (actual.startLine ?? 0) > (previous.endLine ?? 0)))) {
    const after = previous.startOffset + previous.image.length;
    return lines.span(after, after);
  }
  if (atEnd) return lines.span(lines.text.length, lines.text.length);
  return lines.span(actual.startOffset, actual.startOffset + actual.image.length);
}

/**
 * After an error, recovery resynchronises on a following token, and what it skipped or inserted
 * often causes a second error on the same line (a `)` swallowed by an unclosed string, a list
 * closed early). Only the first error of a line is kept: it is the one to fix.
 */
function dropCascades(syntax: Diagnostic[], lexical: Diagnostic[]): Diagnostic[] {
  const lines = new Set(lexical.map((d) => d.span.start.line));
  const kept: Diagnostic[] = [];
  for (const d of [...syntax].sort((a, b) => a.span.start.offset - b.span.start.offset)) {
    if (lines.has(d.span.start.line)) continue;
    lines.add(d.span.start.line);
    kept.push(d);
  }
  return kept;
}

/** Recovery can report the same problem twice at one place. */
function dedupe(diagnostics: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const key = `${d.span.start.offset}:${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
