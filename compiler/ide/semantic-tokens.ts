// Semantic tokens: the lexer's tokens (and the comments between them), each classified by what it
// is — a name by what it resolves to (a target, a net, a parameter, a builtin, a task field), so an
// editor colours `relu` as a builtin and `Siren` as a target whatever its grammar guesses.
import type { TokenType } from 'chevrotain';
import type { Span } from '../syntax/ast.js';
import type { ResolvedModule } from '../resolve/resolve.js';
import { commentsOf } from '../syntax/comments.js';
import { lex } from '../syntax/lexer.js';
import { LineMap } from '../syntax/line-map.js';
import * as T from '../syntax/tokens.js';
import { nameAt, type Referent } from './scope.js';

export const SEMANTIC_TOKEN_TYPES = [
  'namespace', 'type', 'function', 'parameter', 'variable', 'property', 'enumMember', 'keyword', 'number', 'string', 'comment', 'operator',
] as const;
export const SEMANTIC_TOKEN_MODIFIERS = ['declaration', 'defaultLibrary'] as const;

export type SemanticTokenType = (typeof SEMANTIC_TOKEN_TYPES)[number];
export type SemanticTokenModifier = (typeof SEMANTIC_TOKEN_MODIFIERS)[number];

export interface SemanticToken {
  /** 0-based line and UTF-16 column, as LSP counts them. */
  line: number;
  character: number;
  length: number;
  type: SemanticTokenType;
  modifiers: SemanticTokenModifier[];
}

const KEYWORD_TOKENS: ReadonlySet<TokenType> = new Set([T.Use, T.Target, T.Net, T.Block, T.Task, T.Preset, T.Let, T.Repeat, T.Return, T.True, T.False]);
const NAME_TOKENS: ReadonlySet<TokenType> = new Set([T.Identifier, T.Target, T.Preset]);
const OPERATOR_TOKENS: ReadonlySet<TokenType> = new Set([T.Arrow, T.At, T.Equals, T.Plus, T.Minus, T.Star, T.Slash]);

export function semanticTokens(module: ResolvedModule): SemanticToken[] {
  const lines = new LineMap(module.file, module.source);
  const { tokens } = lex(lines);
  const out: SemanticToken[] = [];
  const push = (start: number, end: number, type: SemanticTokenType, modifiers: SemanticTokenModifier[] = []): void => {
    // A token may not span lines: a block comment is sent one line at a time.
    for (let from = start; from < end;) {
      const newline = module.source.indexOf('\n', from);
      const to = newline === -1 || newline >= end ? end : newline;
      const p = lines.position(from);
      if (to > from) out.push({ line: p.line - 1, character: p.column - 1, length: to - from, type, modifiers });
      from = to + 1;
    }
  };
  tokens.forEach((t, i) => {
    const start = t.startOffset;
    const end = start + t.image.length;
    const name = NAME_TOKENS.has(t.tokenType) ? nameAt(module, start) : undefined;
    if (name !== undefined && name.span.start.offset === start && name.referent !== undefined) {
      const [type, modifiers] = classify(name.referent, name.span);
      push(start, end, type, modifiers);
    } else if (KEYWORD_TOKENS.has(t.tokenType)) push(start, end, 'keyword');
    // A key no schema names (a record's `{ models: 140 }`), else a bare word (`over: set`, `loss: mse`).
    else if (t.tokenType === T.Identifier) push(start, end, tokens[i + 1]?.tokenType === T.Colon ? 'property' : 'enumMember');
    else if (t.tokenType === T.NumberLiteral) push(start, end, 'number');
    else if (t.tokenType === T.StringLiteral || t.tokenType === T.UnterminatedString) push(start, end, 'string');
    else if (t.tokenType === T.ModulePath) push(start, end, 'namespace');
    else if (OPERATOR_TOKENS.has(t.tokenType)) push(start, end, 'operator');
  });
  for (const c of commentsOf(module.source, tokens)) push(c.start, c.end, 'comment');
  return out.sort((a, b) => a.line - b.line || a.character - b.character);
}

function classify(referent: Referent, at: Span): [SemanticTokenType, SemanticTokenModifier[]] {
  switch (referent.kind) {
    case 'decl': {
      const declaration: SemanticTokenModifier[] = sameStart(referent.symbol.decl.name.span, at) ? ['declaration'] : [];
      const type = referent.symbol.kind === 'target' ? 'type' : referent.symbol.kind === 'task' ? 'namespace' : 'function';
      return [type, declaration];
    }
    case 'param': return ['parameter', sameStart(referent.param.name.span, at) ? ['declaration'] : []];
    case 'let': return ['variable', sameStart(referent.binding.name.span, at) ? ['declaration'] : []];
    case 'builtin': return ['function', ['defaultLibrary']];
    case 'argument': return ['parameter', ['defaultLibrary']];
    case 'field': return ['property', []];
    case 'module': return ['namespace', []];
  }
}

const sameStart = (a: Span, b: Span): boolean => a.file === b.file && a.start.offset === b.start.offset;
