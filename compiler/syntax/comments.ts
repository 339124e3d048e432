// The comments of a source text. The lexer skips them (the parser never sees them), so they are
// found in the gaps between its tokens: a gap holds only whitespace and comments (and, in a file
// with lexical errors, the characters the lexer rejected).
import type { IToken } from 'chevrotain';

export interface Comment {
  /** Offsets [start, end). */
  start: number;
  end: number;
  block: boolean;
}

export function commentsOf(text: string, tokens: readonly IToken[]): Comment[] {
  const gaps: [number, number][] = [];
  let pos = 0;
  for (const t of tokens) {
    gaps.push([pos, t.startOffset]);
    pos = t.startOffset + t.image.length;
  }
  gaps.push([pos, text.length]);
  const out: Comment[] = [];
  for (const [from, to] of gaps) {
    for (let at = from; at < to;) {
      if (text.startsWith('//', at)) {
        const newline = text.indexOf('\n', at);
        const end = newline === -1 || newline > to ? to : newline;
        out.push({ start: at, end, block: false });
        at = end;
      } else if (text.startsWith('/*', at)) {
        const close = text.indexOf('*/', at + 2);
        const end = close === -1 || close + 2 > to ? to : close + 2;
        out.push({ start: at, end, block: true });
        at = end;
      } else {
        at++;
      }
    }
  }
  return out;
}
