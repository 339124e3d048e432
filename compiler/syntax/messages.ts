// Chevrotain's parse errors, reworded for people: "expected `)` to close the argument list of
// `relu`, found `let`" instead of a dump of token types. The provider reads the token vector of
// the parse in progress to find which bracket a missing closer belongs to.
import { EOF, type IParserErrorMessageProvider, type IToken, type TokenType } from 'chevrotain';
import { describeToken, labelOf } from './parser.js';
import {
  At, Block, Identifier, LBrace, LBracket, LParen, Net, Preset, RBrace, RBracket, Repeat, RParen, Task,
} from './tokens.js';

const CLOSERS = new Map<TokenType, TokenType>([[RParen, LParen], [RBracket, LBracket], [RBrace, LBrace]]);

/** What a rule was trying to read when no alternative matched. */
const RULE_EXPECTATIONS: Readonly<Record<string, string>> = {
  program: 'a declaration (`use`, `target`, `net`, `block` or `task`)',
  declaration: 'a declaration (`use`, `target`, `net`, `block` or `task`)',
  functionDecl: '`net` or `block`',
  statement: 'a statement (`let`, `repeat` or `return`)',
  taskEntry: 'a task field `name: value` or `preset NAME { ... }`',
  unary: 'an expression',
  primary: 'an expression',
};

export class FriendlyMessages implements IParserErrorMessageProvider {
  /** The tokens being parsed; set before each parse. */
  tokens: IToken[] = [];

  buildMismatchTokenMessage(options: { expected: TokenType; actual: IToken; previous: IToken; ruleName: string }): string {
    const { expected, actual, previous } = options;
    const found = `found ${describeToken(actual)}`;
    if (expected === EOF) return `expected ${RULE_EXPECTATIONS['program']}, ${found}`;
    const opener = CLOSERS.get(expected);
    if (opener !== undefined && options.ruleName === 'body') {
      return `expected a statement (\`let\`, \`repeat\` or \`return\`) or \`}\` to close ${this.openerContext(opener, expected, actual)}, ${found}`;
    }
    if (opener !== undefined) {
      return `expected ${labelOf(expected)} to close ${this.openerContext(opener, expected, actual)}, ${found}`;
    }
    if (expected === Identifier) return `expected a name after ${describeToken(previous)}, ${found}`;
    return `expected ${labelOf(expected)} after ${describeToken(previous)}, ${found}`;
  }

  buildNotAllInputParsedMessage(options: { firstRedundant: IToken; ruleName: string }): string {
    return `expected ${RULE_EXPECTATIONS['program']}, found ${describeToken(options.firstRedundant)}`;
  }

  buildNoViableAltMessage(options: { actual: IToken[]; ruleName: string }): string {
    const expected = RULE_EXPECTATIONS[options.ruleName] ?? 'something else';
    return `expected ${expected}, found ${describeToken(options.actual[0])}`;
  }

  buildEarlyExitMessage(options: { actual: IToken[]; ruleName: string }): string {
    return this.buildNoViableAltMessage(options);
  }

  /** Describes the unmatched opening bracket before `actual`: "the argument list of `relu`". */
  private openerContext(opener: TokenType, closer: TokenType, actual: IToken): string {
    const tokens = this.tokens;
    let i = actual.tokenType === EOF ? tokens.length : indexAtOffset(tokens, actual.startOffset);
    let depth = 0;
    while (--i >= 0) {
      const type = tokens[i]!.tokenType;
      if (type === closer) depth++;
      else if (type === opener && depth-- === 0) return describeOpener(tokens, i);
    }
    return `the ${labelOf(opener)}`;
  }
}

function describeOpener(tokens: IToken[], i: number): string {
  const open = tokens[i]!;
  const before = tokens[i - 1];
  const name = before && isName(before) ? before.image : undefined;
  const twoBefore = tokens[i - 2]?.tokenType;
  const where = ` (opened at line ${open.startLine})`;
  if (open.tokenType === LParen) {
    if (name === undefined) return `the parenthesised expression${where}`;
    if (twoBefore === Net || twoBefore === Block) return `the parameter list of \`${name}\``;
    if (twoBefore === At) return `the arguments of \`@${name}\``;
    return `the argument list of \`${name}\``;
  }
  if (open.tokenType === LBracket) {
    const indexes = before && (before.tokenType === RParen || before.tokenType === RBracket || isName(before));
    return indexes ? `the index${where}` : `the list${where}`;
  }
  if (twoBefore === Task && name !== undefined) return `task \`${name}\``;
  if (twoBefore === Preset && name !== undefined) return `preset \`${name}\``;
  // A body follows a return type or a repeat count: find the `net`/`block`/`repeat` it belongs to.
  for (let j = i - 1; j >= 0; j--) {
    const type = tokens[j]!.tokenType;
    if (type === LBrace || type === RBrace) break;
    if (type === Net || type === Block) return `the body of \`${tokens[j + 1]?.image ?? '?'}\``;
    if (type === Repeat) return `the \`repeat\` body${where}`;
  }
  return `the record${where}`;
}

function isName(token: IToken): boolean {
  return token.tokenType === Identifier || token.tokenType.CATEGORIES?.includes(Identifier) === true;
}

function indexAtOffset(tokens: IToken[], offset: number): number {
  let lo = 0;
  let hi = tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (tokens[mid]!.startOffset < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
