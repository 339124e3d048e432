// `gmn fmt`: the canonical layout of a .gmn file. Only whitespace changes: the tokens and comments
// stay as written and in order, and so do the line breaks (at most one blank line in a row), so the
// author's choice of where a long call wraps is kept. What is decided here: each line's indentation
// and the spaces between tokens on a line (`f(x, y: 1)`, `a + -b`, `{ k: v }`, `[1, 2]`). The spaces before a
// comment that ends a line are kept, so aligned comments stay aligned. Formatting twice changes
// nothing.
//
// Indentation: inside a bracket that ends its line, one level (2 spaces) more than that line; inside
// a bracket followed by more on its line, aligned with what follows it (`f(a,\n  b)`); a line
// that starts with a closer, as its opener's line; a line that continues an expression (it starts
// with `->` or an operator, or the line before ends with one or with `=`), two levels more.
import { tokenMatcher, type IToken } from 'chevrotain';
import { commentsOf } from '../syntax/comments.js';
import { lex } from '../syntax/lexer.js';
import { LineMap } from '../syntax/line-map.js';
import * as T from '../syntax/tokens.js';

/** Spaces per level. */
const INDENT = 2;

/** A token or a comment, with the original text between it and the item before it. */
interface Item {
  text: string;
  token: IToken | undefined;
  /** Line breaks in the original text before it. */
  breaks: number;
  /** The original spaces before it on its line. */
  gap: string;
}

/** A bracket still open at the start of a line. */
interface OpenBracket {
  /** The indentation of the statement it was opened in (its closer lines up with it). */
  base: number;
  /** The indentation of lines inside it. */
  childIndent: number;
  /** Whether lines inside it align with what follows it on its line. */
  aligned: boolean;
}

/** The formatted text of a source that lexes and parses cleanly (the caller checks that). */
export function formatSource(source: string): string {
  const lines = groupLines(items(source));
  const out: string[] = [];
  const open: OpenBracket[] = [];
  for (let l = 0; l < lines.length; l++) {
    const line = lines[l]!;
    if (line.blankBefore && out.length > 0) out.push('');
    const first = line.items[0]!;
    const inner = open.at(-1);
    // The statement's own indentation: an aligned line goes on with the statement of its opener.
    const base = inner === undefined ? 0 : inner.aligned ? inner.base : inner.childIndent;
    const indent = isCloser(first.token) ? inner?.base ?? 0
      : (inner?.childIndent ?? 0) + (continues(first, lines[l - 1]) ? 2 * INDENT : 0);
    const { text, columns } = joinLine(line.items, indent);
    out.push(text);
    const lastCode = line.items.map((item) => item.token !== undefined).lastIndexOf(true);
    line.items.forEach((item, k) => {
      if (isCloser(item.token)) open.pop();
      else if (isOpener(item.token)) {
        const aligned = k < lastCode;
        open.push({ base, aligned, childIndent: aligned ? columns[k]! + 1 : base + INDENT });
      }
    });
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}

/** Tokens and comments in source order. */
function items(source: string): Item[] {
  const { tokens } = lex(new LineMap('', source));
  const pieces = [
    ...tokens.map((t) => ({ start: t.startOffset, end: t.startOffset + t.image.length, token: t as IToken | undefined })),
    ...commentsOf(source, tokens).map((c) => ({ start: c.start, end: c.end, token: undefined })),
  ].sort((a, b) => a.start - b.start);
  let previousEnd = 0;
  return pieces.map((p) => {
    const between = source.slice(previousEnd, p.start);
    previousEnd = p.end;
    const breaks = between.split('\n').length - 1;
    return { text: source.slice(p.start, p.end), token: p.token, breaks, gap: between.slice(between.lastIndexOf('\n') + 1) };
  });
}

interface Line {
  items: Item[];
  blankBefore: boolean;
}

function groupLines(all: Item[]): Line[] {
  const lines: Line[] = [];
  for (const item of all) {
    if (lines.length === 0 || item.breaks > 0) lines.push({ items: [item], blankBefore: item.breaks > 1 });
    else lines.at(-1)!.items.push(item);
  }
  return lines;
}

/** A line that goes on with the expression or declaration of the line before: indented one more. */
function continues(first: Item, previous: Line | undefined): boolean {
  if (first.token !== undefined && (first.token.tokenType === T.Arrow || isBinaryOperator(first.token))) return true;
  const last = previous?.items.at(-1)?.token;
  return last !== undefined && (last.tokenType === T.Arrow || last.tokenType === T.Equals || isBinaryOperator(last));
}

function isBinaryOperator(t: IToken): boolean {
  return t.tokenType === T.Plus || t.tokenType === T.Minus || t.tokenType === T.Star || t.tokenType === T.Slash;
}

/** The line's text at `indent` and the column of each item in it. */
function joinLine(line: Item[], indent: number): { text: string; columns: number[] } {
  let text = ' '.repeat(indent) + line[0]!.text;
  const columns = [indent];
  for (let i = 1; i < line.length; i++) {
    const item = line[i]!;
    const before = line[i - 1]!;
    text += item.token === undefined || before.token === undefined ? comment(item, before) : spaceBetween(before.token, item.token, line[i - 2]?.token);
    columns.push(text.length);
    text += item.text;
  }
  return { text, columns };
}

/** Around a comment, the author's spacing is kept (at least one space before a comment after code). */
function comment(item: Item, before: Item): string {
  return item.gap === '' && item.token === undefined && before.token !== undefined ? ' ' : item.gap;
}

/** The spaces between two tokens on one line; `beforeLeft` tells a unary minus from a binary one. */
function spaceBetween(left: IToken, right: IToken, beforeLeft: IToken | undefined): string {
  const r = right.tokenType;
  const l = left.tokenType;
  if (r === T.Comma || r === T.Colon || r === T.RParen || r === T.RBracket) return '';
  if (l === T.LParen || l === T.LBracket || l === T.At) return '';
  if (r === T.RBrace) return l === T.LBrace ? '' : ' ';
  if (l === T.Minus && isUnary(beforeLeft)) return '';
  // A call or an index: `f(x)`, `grads(T, b)[2]`, `xs[0]`.
  if ((r === T.LParen || r === T.LBracket) && (tokenMatcher(left, T.Identifier) || l === T.RParen || l === T.RBracket)) return '';
  return ' ';
}

/** A `-` is unary where no operand precedes it. */
function isUnary(before: IToken | undefined): boolean {
  if (before === undefined) return true;
  const t = before.tokenType;
  const operand = tokenMatcher(before, T.Identifier) || t === T.NumberLiteral || tokenMatcher(before, T.StringLiteral)
    || t === T.True || t === T.False || t === T.RParen || t === T.RBracket || t === T.RBrace;
  return !operand;
}

function isOpener(t: IToken | undefined): boolean {
  return t !== undefined && (t.tokenType === T.LParen || t.tokenType === T.LBracket || t.tokenType === T.LBrace);
}

function isCloser(t: IToken | undefined): boolean {
  return t !== undefined && (t.tokenType === T.RParen || t.tokenType === T.RBracket || t.tokenType === T.RBrace);
}

/**
 * Whether `after` holds exactly the tokens and comments of `before`, in order (what `gmn fmt`
 * checks of its own output before it writes a file).
 */
export function sameTokensAndComments(before: string, after: string): boolean {
  const pieces = (text: string): string[] => items(text).map((i) => i.text);
  const a = pieces(before);
  const b = pieces(after);
  return a.length === b.length && a.every((p, i) => p === b[i]);
}
